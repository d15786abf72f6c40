"""Simulated callers for the load-and-fault bench: each in its own process, placing complete
signed calls over HTTP, noting every webhook's timing and what the caller heard.

What a call must leave behind is read from what the caller heard, never from the server's
side: "ticket number N" means ticket N must exist; "a member of our team will review your
message" means a ticket to verify must exist for that call.
"""

from __future__ import annotations

import json
import random
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import i18n
from ivr import prompts
from tools.simulator import Script, Simulator, Transcript
from tools.transports import OverHttp

MAIN_NUMBER = "+15149826161"
# What the fallback URL answers when it takes a call on: TwiML (the message kept, goodbye), or
# the apology and the voicemail.
TAKEN_ON = ("twiml", "apology")
# Authorized contacts of the demo directory (examples/directory.toml).
CONTACTS = [
    "+15145550101",
    "+15145550103",
    "+14505550111",
    "+15145550121",
    "+15145550122",
    "+18195550131",
]
# What each caller does, and how often (weights out of 100).
SCENARIOS = {
    "regular": 35,  # press 6 (2: a new request if a ticket is open), leave a message
    "cata": 25,  # press 7; the technicians ring, refuse, ignore or accept
    "anonymous": 15,  # no caller ID: "-,6,1001#", then a message to verify
    "hangup_menu": 10,  # hangs up at the greeting
    "hangup_beep": 15,  # press 6, hears the ticket number, hangs up at the beep
}
# What the 3 rung technicians do on a CATA call, one plan picked per call.
TECH_PLANS = [
    ["refuse", "accept"],
    ["ignore", "ring", "ring"],
    ["ring", "ring", "ring"],
    ["accept"],
    ["voicemail", "refuse", "ring"],
]


@dataclass(frozen=True)
class Phrases:
    """What the bench listens for, rendered from the prompt catalog in both languages."""

    ticket_opened: list[str]  # regular expressions capturing the spoken digits
    will_verify: list[str]
    message_saved: list[str]
    apology: list[str]

    @classmethod
    def load(cls) -> Phrases:
        catalog = prompts.load()
        return cls(
            ticket_opened=[_number_pattern(catalog, lang) for lang in ("fr", "en")],
            will_verify=_both(catalog, "will_verify"),
            message_saved=_both(catalog, "message_saved"),
            apology=_both(catalog, "technical_difficulty"),
        )


def _both(catalog: i18n.Catalog, key: str) -> list[str]:
    return [catalog.render(key, lang) for lang in ("fr", "en")]


def _number_pattern(catalog: i18n.Catalog, language: str) -> str:
    before, _, after = catalog.render("ticket_opened", language, number="\0").partition("\0")
    return re.escape(before) + r"([\d ]+)" + re.escape(after)


@dataclass
class Request:
    """One webhook as the caller saw it. ``verdict``: twiml, apology (TwiML, but the app's
    last-resort answer), not_twiml, http_<status>, or transport_error."""

    started: float  # time.time()
    seconds: float
    path: str
    verdict: str
    host: str = ""  # which server answered (several hosts: bench.two_hosts)


@dataclass
class PlacedCall:
    scenario: str
    call_sid: str
    caller: str
    ticket_numbers: list[int] = field(default_factory=list)
    will_verify: bool = False
    message_saved: bool = False
    connected: bool = False  # a technician was bridged, and the app's answer was not an apology
    left_message: bool = False  # the caller recorded something at a beep
    requests: list[Request] = field(default_factory=list)
    aborted: str = ""  # the call broke off (a connection error): why


class TimedTransport(OverHttp):
    """Over HTTP, noting each webhook; ``think`` seconds before each step as a listening caller
    would. ``hang_up_at_beep``: the caller's phone never plays what follows a <Record>, so only
    the status callback reaches the app afterwards."""

    def __init__(
        self, server: str, think: float, apology: list[str], others: tuple[str, ...] = ()
    ) -> None:
        super().__init__(server)
        # Several hosts: each step goes to the next one, and to another when one does not
        # answer at all, as a load balancer in front of them does.
        self.hosts: list[tuple[str, OverHttp]] = [(server, self)]
        self.hosts += [(other, OverHttp(other)) for other in others]
        self.turn = 0
        self.think = think
        self.apology = apology
        self.hang_up_at_beep = False
        self.requests: list[Request] = []
        self.call_sid = ""  # the call's own CallSid, kept for a call that breaks off

    def new_call(self, hang_up_at_beep: bool) -> None:
        self.hang_up_at_beep, self.requests, self.call_sid = hang_up_at_beep, [], ""

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        time.sleep(self.think)
        self.call_sid = self.call_sid or params.get("CallSid", "")
        started, began = time.time(), time.perf_counter()
        path = urlsplit(url).path
        try:
            host, (status, body) = self._send(url, params, signature)
        except OSError:  # http.client's errors and timeouts: the request got no answer
            self.requests.append(
                Request(started, time.perf_counter() - began, path, "transport_error")
            )
            raise
        verdict = _verdict(status, body, self.apology)
        self.requests.append(Request(started, time.perf_counter() - began, path, verdict, host))
        if self.hang_up_at_beep and "<Record" in body:
            body = body[: body.index("<Record")] + "</Response>"
        return status, body

    def _send(
        self, url: str, params: dict[str, str], signature: str
    ) -> tuple[str, tuple[int, str]]:
        """To the host whose turn it is; to the next on a connection refused (a dead host)."""
        self.turn += 1
        order = (
            self.hosts[self.turn % len(self.hosts) :] + self.hosts[: self.turn % len(self.hosts)]
        )
        for index, (name, transport) in enumerate(order):
            try:
                if transport is self:
                    return name, OverHttp.post(self, url, params, signature)
                return name, transport.post(url, params, signature)
            except ConnectionRefusedError:
                if index == len(order) - 1:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        super().close()
        for _name, transport in getattr(self, "hosts", [])[1:]:
            transport.close()


def _verdict(status: int, body: str, apology: list[str]) -> str:
    if status != 200:
        return f"http_{status}"
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return "not_twiml"
    if root.tag != "Response":
        return "not_twiml"
    said = {(say.text or "").strip() for say in root.iter("Say")}
    return "apology" if said & set(apology) else "twiml"


def script_for(scenario: str, rng: random.Random) -> tuple[str, Script]:
    """The caller's number and what they (and the technicians) will do."""
    contact = rng.choice(CONTACTS)
    if scenario == "cata":
        return contact, Script(inputs=["7"], technicians=list(rng.choice(TECH_PLANS)))
    if scenario == "anonymous":
        return "anonymous", Script(inputs=["-", "6", "1001#"], record_seconds=8)
    if scenario == "hangup_menu":
        return contact, Script(inputs=["hangup"])
    return contact, Script(inputs=["6", "2"], record_seconds=10)


def place(
    simulator: Simulator,
    transport: TimedTransport,
    base: str,
    scenario: str,
    rng: random.Random,
    phrases: Phrases,
) -> PlacedCall:
    caller, script = script_for(scenario, rng)
    transport.new_call(hang_up_at_beep=scenario == "hangup_beep")
    try:
        transcript = simulator.place_call(f"{base}/voice/incoming", caller, MAIN_NUMBER, script)
    except OSError as error:
        # The simulator gives up with the call; its CallSid is in no transcript.
        return PlacedCall(
            scenario,
            transport.call_sid,
            caller,
            requests=transport.requests,
            aborted=type(error).__name__,
        )
    return heard(transcript, scenario, caller, taken_over(transport.requests), phrases)


def taken_over(requests: list[Request]) -> list[Request]:
    """The requests, where one that got no answer (its host killed mid-request) and whose call
    the fallback URL took on next (with an apology, or keeping the message the cut step brought)
    is marked so: Twilio's way, not a failure of the app."""
    for cut, fallback in pairwise(requests):
        took_on = fallback.path.endswith("/voice/fallback") and fallback.verdict in TAKEN_ON
        if cut.verdict == "transport_error" and took_on:
            cut.verdict = "taken_over"
    return requests


def heard(
    transcript: Transcript, scenario: str, caller: str, requests: list[Request], phrases: Phrases
) -> PlacedCall:
    """What the caller was told, as the bench's expectations."""
    said = transcript.heard()
    numbers = [
        int(match.group(1).replace(" ", ""))
        for text in said
        for pattern in phrases.ticket_opened
        if (match := re.fullmatch(pattern, text))
    ]
    apologized = any(r.verdict == "apology" for r in requests)
    return PlacedCall(
        scenario=scenario,
        call_sid=transcript.call_sid,
        caller=caller,
        ticket_numbers=numbers,
        will_verify=any(text in phrases.will_verify for text in said),
        message_saved=any(text in phrases.message_saved for text in said),
        connected="connected" in transcript.kinds() and not apologized,
        left_message=any(
            e.kind == "record" and not e.text.startswith("nothing") for e in transcript.entries
        ),
        requests=list(requests),
    )


@dataclass(frozen=True)
class CallerPlan:
    index: int
    base: str
    token: str
    seconds: float
    think: float
    phrases: Phrases
    out: str  # where this caller writes its calls (JSON)
    others: tuple[str, ...] = ()  # other hosts that serve the same line, steps alternating


def caller_main(plan: CallerPlan, barrier: Any) -> None:
    """One caller's process: wait for every caller to be ready, then call for ``seconds``."""
    rng = random.Random(plan.index)
    calls = []
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    with TimedTransport(plan.base, plan.think, plan.phrases.apology, plan.others) as transport:
        # The number's fallback URL, as `flask twilio wire` sets it: a step that gets no answer
        # (a host killed mid-request) is asked again there, through the load balancer.
        simulator = Simulator(transport, plan.token, fallback_url=f"{plan.base}/voice/fallback")
        barrier.wait()
        time.sleep(rng.uniform(0, 2))  # callers do not all dial in the same millisecond
        stop_at = time.monotonic() + plan.seconds
        while time.monotonic() < stop_at:
            scenario = rng.choices(names, weights)[0]
            calls.append(place(simulator, transport, plan.base, scenario, rng, plan.phrases))
    Path(plan.out).write_text(json.dumps([asdict(call) for call in calls]))


def read_calls(path: Path) -> list[PlacedCall]:
    """A caller's calls, as written by ``caller_main``."""
    calls = []
    for raw in json.loads(path.read_text()):
        requests = [Request(**each) for each in raw.pop("requests")]
        calls.append(PlacedCall(**raw, requests=requests))
    return calls
