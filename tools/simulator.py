"""A call simulator: places a call against the app the way Twilio does.

It signs every request with the auth token, follows the TwiML verb by verb (``Say`` becomes what
the caller hears; ``Gather`` is answered from a script, the keyboard, or left silent; ``Record``
and ``Dial`` post their actions with Twilio's parameters; each ``Number``'s whisper is played as
the technician's side), and ends with the status callback. The result is a readable transcript.

Given the number's fallback URL, it also does what Twilio does when a webhook gets no answer (a
connection reset, a timeout, an HTTP error): it asks the fallback URL at once, with the same
parameters plus ``ErrorCode`` and ``ErrorUrl``, and follows that TwiML instead. Without one, such
a failure is Twilio's "application error" (which the app must never cause).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

MAX_REQUESTS = 60  # more webhooks than any real call needs: the app is looping
RETRIEVAL_FAILED = "11200"  # Twilio's error code for a webhook that gave no usable answer
SILENCE = "-"
HANGUP = "hangup"
# What a rung technician does: press 1; press another key; answer and press nothing ("ignore",
# or a cell phone's voicemail picking up); or never answer.
TECH_CHOICES = ("accept", "refuse", "ignore", "voicemail", "ring")


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]: ...


@dataclass
class Entry:
    kind: str  # request, heard, pressed, said, silent, record, ring, tech_heard, tech_pressed,
    #            connected, hangup, error, status
    text: str
    language: str = ""


@dataclass
class Transcript:
    entries: list[Entry] = field(default_factory=list)
    call_sid: str = ""
    documents: list[str] = field(default_factory=list)  # every TwiML answer, in order

    def add(self, kind: str, text: str, language: str = "") -> None:
        self.entries.append(Entry(kind, text, language))

    def heard(self) -> list[str]:
        """What the caller heard, in order."""
        return [e.text for e in self.entries if e.kind == "heard"]

    def said_to_technicians(self) -> list[str]:
        return [e.text for e in self.entries if e.kind == "tech_heard"]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.entries]

    def __str__(self) -> str:
        return "\n".join(_render(entry) for entry in self.entries)


LABELS = {
    "request": "→ POST {text}",
    "heard": "caller hears [{language}]: {text}",
    "pressed": "caller presses {text}",
    "said": "caller says \u201c{text}\u201d",
    "silent": "caller stays silent",
    "record": "[beep] caller records: {text}",
    "ring": "ringing {text}",
    "tech_heard": "  technician hears [{language}]: {text}",
    "tech_pressed": "  technician presses {text}",
    "connected": "connected to {text}",
    "hangup": "call ends: {text}",
    "error": "!! {text}",
    "status": "status callback: {text}",
}


def _render(entry: Entry) -> str:
    return LABELS[entry.kind].format(text=entry.text, language=entry.language)


@dataclass
class Script:
    """What the caller and the technicians will do."""

    inputs: list[str] = field(default_factory=list)  # per Gather: "6", "1001#", "say:urgence", "-"
    technicians: list[str] = field(default_factory=list)  # per Number: one of TECH_CHOICES
    record_seconds: int = 12  # every message's length (0: silence), after ``recordings``
    recordings: list[int] = field(default_factory=list)  # per Record, in order, first
    reception_answers: bool = False
    ask: Callable[[str], str] | None = None  # interactive: asked at each Gather

    def next_input(self, prompt: str) -> str:
        if self.inputs:
            return self.inputs.pop(0)
        if self.ask is not None:
            return self.ask(prompt) or SILENCE
        return SILENCE

    def next_recording(self) -> int:
        return self.recordings.pop(0) if self.recordings else self.record_seconds


class Simulator:
    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        account_sid: str = "AC" + "0" * 32,
        fallback_url: str = "",
    ):
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.account_sid = account_sid
        self.fallback_url = fallback_url

    def place_call(self, incoming_url: str, caller: str, called: str, script: Script) -> Transcript:
        transcript = Transcript(call_sid=_sid("CA"))
        base = {
            "CallSid": transcript.call_sid,
            "AccountSid": self.account_sid,
            "From": caller,
            "To": called,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            "ApiVersion": "2010-04-01",
        }
        run = _Call(self, transcript, base, script)
        run.follow(incoming_url, {})
        status_url = urljoin(incoming_url, "status")
        answered = self.post(
            transcript,
            status_url,
            {**base, "CallStatus": "completed", "CallDuration": str(run.seconds)},
        )
        # Twilio does not turn to the fallback URL for a status callback: a lost one is lost.
        delivered = "" if answered is not None else " (the callback failed)"
        transcript.add("status", f"completed, {run.seconds} s{delivered}")
        return transcript

    def post(self, transcript: Transcript, url: str, params: dict[str, str]) -> str | None:
        """The answer's body, or None when there was none to follow. A connection error is
        raised, unless there is a fallback URL to turn to (as Twilio would)."""
        signature = self.validator.compute_signature(url, params)
        try:
            status, body = self.transport.post(url, params, signature)
        except OSError as error:
            if not self.fallback_url:
                raise
            transcript.add("error", f"{type(error).__name__} from {urlsplit(url).path}")
            return None
        if status != 200:
            transcript.add("error", f"HTTP {status} from {urlsplit(url).path}")
            return None
        transcript.documents.append(body)
        return body


class _Call:
    """One call in progress: follows TwiML documents until the call ends."""

    def __init__(
        self, sim: Simulator, transcript: Transcript, base: dict[str, str], script: Script
    ):
        self.sim, self.transcript, self.base, self.script = sim, transcript, base, script
        self.requests, self.seconds, self.ended = 0, 0, False
        self.asked_after = 0  # what the caller heard up to the last question

    def follow(self, url: str, params: dict[str, str]) -> None:
        while url and not self.ended:
            self.requests += 1
            if self.requests > MAX_REQUESTS:
                self.transcript.add("error", f"more than {MAX_REQUESTS} requests: the call loops")
                return
            self.transcript.add("request", urlsplit(url).path + _query(url))
            body = self.sim.post(self.transcript, url, {**self.base, **params})
            if body is None:
                url, body = self._fallback(url, params)
            if body is None:
                self.transcript.add("hangup", "application error (Twilio would say so)")
                return
            url, params = self.execute(url, _parse(body, self.transcript))
        if not self.ended:
            self.transcript.add("hangup", "end of instructions")
            self.ended = True

    def _fallback(self, failed: str, params: dict[str, str]) -> tuple[str, str | None]:
        """The number's fallback URL and its answer, after ``failed`` gave none (once: a
        fallback that fails too is the application error)."""
        fallback = self.sim.fallback_url
        if not fallback or failed == fallback:
            return failed, None
        self.transcript.add("request", urlsplit(fallback).path + _query(fallback))
        asked = {**self.base, **params, "ErrorCode": RETRIEVAL_FAILED, "ErrorUrl": failed}
        return fallback, self.sim.post(self.transcript, fallback, asked)

    def execute(self, url: str, verbs: list[ET.Element]) -> tuple[str, dict[str, str]]:
        """Run verbs in order; return the next request (url, params), or ("", {}) at the end."""
        for verb in verbs:
            handler = getattr(self, f"_{verb.tag.lower()}", None)
            if handler is None:
                self.transcript.add("error", f"unknown verb <{verb.tag}>")
                continue
            step: tuple[str, dict[str, str]] | None = handler(url, verb)
            if step is not None:
                return step
            if self.ended:
                break
        return "", {}

    def _say(self, _url: str, verb: ET.Element) -> None:
        text = (verb.text or "").strip()
        self.seconds += max(1, len(text) // 15)
        self.transcript.add("heard", text, verb.get("language", ""))

    def _play(self, _url: str, verb: ET.Element) -> None:
        self.transcript.add("heard", f"(audio {verb.text})")

    def _pause(self, _url: str, verb: ET.Element) -> None:
        self.seconds += int(verb.get("length", "1"))

    def _gather(self, url: str, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        for child in verb:
            if child.tag == "Say":
                self._say(url, child)
        heard = self.transcript.heard()
        answer = self.script.next_input("\n".join(heard[self.asked_after :]))
        self.asked_after = len(heard)
        if answer == HANGUP:
            self.transcript.add("hangup", "caller hangs up")
            self.ended = True
            return None
        if answer in ("", SILENCE):
            self.seconds += int(verb.get("timeout", "5"))
            self.transcript.add("silent", "")
            return None
        action = urljoin(url, verb.get("action", url))
        if answer.startswith("say:"):
            self.transcript.add("said", answer[4:])
            return action, {"SpeechResult": answer[4:], "Confidence": "0.9"}
        finish = verb.get("finishOnKey", "#")
        digits = answer[:-1] if finish and answer.endswith(finish) else answer
        self.transcript.add("pressed", answer)
        return action, {"Digits": digits}

    def _record(self, url: str, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        seconds = self.script.next_recording()
        if seconds <= 0:
            self.transcript.add("record", "nothing (silence)")
            return None
        self.seconds += seconds
        self.transcript.add("record", f"{seconds} s of message")
        sid = _sid("RE")
        recording = (
            f"https://api.twilio.com/2010-04-01/Accounts/{self.sim.account_sid}/Recordings/{sid}"
        )
        return urljoin(url, verb.get("action", url)), {
            "RecordingUrl": recording,
            "RecordingSid": sid,
            "RecordingDuration": str(seconds),
            "Digits": "#",
        }

    def _dial(self, url: str, verb: ET.Element) -> tuple[str, dict[str, str]] | None:
        numbers = [child for child in verb if child.tag == "Number"]
        if any(number.get("url") for number in numbers):  # screened: each has a whisper
            status, child_sid = self._ring_group(url, numbers, verb.get("callerId", ""))
        else:  # a plain transfer (the reception)
            target = " ".join((n.text or "").strip() for n in numbers) or (verb.text or "").strip()
            self.transcript.add("ring", target)
            answered = self.script.reception_answers
            status, child_sid = ("completed" if answered else "no-answer"), _sid("CA")
            if answered:
                self.transcript.add("connected", target)
        params = {
            "DialCallStatus": status,
            "DialCallSid": child_sid,
            "DialCallDuration": "60" if status == "completed" else "0",
        }
        if verb.get("action"):
            return urljoin(url, verb.get("action", "")), params
        return None

    def _ring_group(self, url: str, numbers: list[ET.Element], caller_id: str) -> tuple[str, str]:
        """Ring every Number at once; the first whose whisper ends without hanging up is joined."""
        techs = self.script.technicians
        plan = [
            ((n.text or "").strip(), techs[i] if i < len(techs) else "ring", n)
            for i, n in enumerate(numbers)
        ]
        for target, behaviour, _ in plan:
            self.transcript.add("ring", f"{target} ({behaviour})")
        answered_any = False
        for target, behaviour, number in plan:
            if behaviour == "ring":
                continue
            answered_any = True
            child_sid = _sid("CA")
            if self._whisper(
                urljoin(url, number.get("url", "")), child_sid, target, caller_id, behaviour
            ):
                self.transcript.add("connected", target)
                self.seconds += 60
                return "completed", child_sid
        # A voicemail that picked up counts as an answer for Twilio: the app must not trust it.
        return ("completed" if answered_any else "no-answer"), _sid("CA")

    def _whisper(
        self, url: str, child_sid: str, target: str, caller_id: str, behaviour: str
    ) -> bool:
        """Play the technician's side; True when it ends without hanging up (the call joins)."""
        params = {
            "CallSid": child_sid,
            "ParentCallSid": self.base["CallSid"],
            "AccountSid": self.sim.account_sid,
            "From": caller_id,
            "To": target,
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }
        key = {"accept": "1", "refuse": "2"}.get(behaviour)
        extra: dict[str, str] = {}
        for _ in range(5):  # a whisper is a short exchange
            body = self.sim.post(self.transcript, url, {**params, **extra})
            if body is None:
                return False
            step = self._whisper_step(url, _parse(body, self.transcript), key)
            if step is None or isinstance(step, bool):
                return bool(step)
            url, extra = step
        return False

    def _whisper_step(
        self, url: str, verbs: list[ET.Element], key: str | None
    ) -> tuple[str, dict[str, str]] | bool | None:
        for verb in verbs:
            sayings = [verb] if verb.tag == "Say" else [c for c in verb if c.tag == "Say"]
            for say in sayings:
                self.transcript.add("tech_heard", (say.text or "").strip(), say.get("language", ""))
            if verb.tag == "Gather" and key is not None:
                self.transcript.add("tech_pressed", key)
                return urljoin(url, verb.get("action", url)), {"Digits": key}
            if verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), {}
            if verb.tag == "Hangup":
                return False
        return True

    def _redirect(self, url: str, verb: ET.Element) -> tuple[str, dict[str, str]]:
        return urljoin(url, (verb.text or "").strip()), {}

    def _hangup(self, _url: str, _verb: ET.Element) -> None:
        self.transcript.add("hangup", "the app hangs up")
        self.ended = True

    def _reject(self, url: str, verb: ET.Element) -> None:
        self._hangup(url, verb)


def _parse(body: str, transcript: Transcript) -> list[ET.Element]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        transcript.add("error", f"not XML: {error}")
        return []
    if root.tag != "Response":
        transcript.add("error", f"root element is <{root.tag}>, not <Response>")
        return []
    return list(root)


def _query(url: str) -> str:
    query = urlsplit(url).query
    return f"?{query}" if query else ""


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def iter_inputs(text: str) -> Iterator[str]:
    """``--press "6,-,1001#,say:urgence"`` → the answers to successive Gathers."""
    return (part.strip() for part in text.split(",") if part.strip())
