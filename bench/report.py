"""The load-and-fault bench's report: the reconciled counts, the webhooks' latency overall and
during each fault, and PASS or FAIL per target."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bench.callers import PlacedCall, Request
from bench.harness import percentile
from bench.reconcile import MailCheck, NotificationCheck, OutboxCheck, Tally

# A request still waiting on a reconnect when a fault ends belongs to the fault: each window
# runs this long after the fault's end.
RECOVERY_SECONDS = 2.0
P99_TARGET_SECONDS = 1.0


@dataclass(frozen=True)
class FaultWindow:
    name: str
    started: float  # seconds after the load started
    ended: float
    wall_start: float  # time.time() at its start

    def covers(self, request: Request) -> bool:
        """The request was in flight at some moment of the window."""
        end = self.wall_start + (self.ended - self.started) + RECOVERY_SECONDS
        return request.started <= end and request.started + request.seconds >= self.wall_start


@dataclass(frozen=True)
class WorkerExit:
    worker: str
    at: float  # seconds after the load started
    code: int


@dataclass(frozen=True)
class Latency:
    label: str
    count: int
    p50: float
    p99: float

    def line(self) -> str:
        if not self.count:
            return f"  {self.label:34} no requests"
        return (
            f"  {self.label:34} n={self.count:5}  p50 {self.p50 * 1000:7.1f} ms"
            f"  p99 {self.p99 * 1000:7.1f} ms"
        )


def latency_figures(calls: list[PlacedCall], faults: list[FaultWindow]) -> list[Latency]:
    """Overall, per fault window, and over every fault window together (the target's)."""
    requests = [r for call in calls for r in call.requests]
    groups = [("overall", requests)]
    groups += [(f"during {f.name}", [r for r in requests if f.covers(r)]) for f in faults]
    groups.append(("during any fault", [r for r in requests if any(f.covers(r) for f in faults)]))
    return [_latency(label, [r.seconds for r in group]) for label, group in groups]


def _latency(label: str, seconds: list[float]) -> Latency:
    return Latency(label, len(seconds), percentile(seconds, 50), percentile(seconds, 99))


# A webhook's verdicts that are not failures: TwiML, the app's apology, a step cut by a host
# killed mid-request whose call Twilio's fallback URL took on (bench.callers.taken_over), and a
# status callback cut so (``verdict``).
ANSWERED = ("twiml", "apology", "taken_over", "callback_lost")
HOST_KILLED = "host A: SIGKILL"  # bench.two_hosts's fault window: a web host killed


def verdict(request: Request, faults: list[FaultWindow]) -> str:
    """The request's verdict, where a status callback with no answer while a host was being
    killed is "callback_lost": Twilio neither retries it nor turns to the fallback URL, and the
    ticket's safety net follows the call up. Any other unanswered one stays a failure."""
    cut = request.verdict == "transport_error" and request.path.endswith("/voice/status")
    if cut and any(f.name == HOST_KILLED and f.covers(request) for f in faults):
        return "callback_lost"
    return request.verdict


@dataclass
class Report:
    setting: str
    calls_placed: int
    calls_aborted: int
    scenarios: Counter[str]
    calls: Tally
    tickets: Tally
    notifications: NotificationCheck
    mail: MailCheck
    outbox: OutboxCheck
    verdicts: Counter[str]
    latency: list[Latency]
    faults: list[FaultWindow]
    worker_exits: list[WorkerExit]
    drain_seconds: float
    drain_limit: float
    unconfirmed: int  # messages recorded after the apology with no "saved" or "will review"

    @property
    def bad_answers(self) -> int:
        """Webhooks that got no TwiML: a 5xx or other status, not XML, or no answer at all (but
        those a host's death cut, whose call the fallback URL took on, as Twilio does)."""
        return sum(n for verdict, n in self.verdicts.items() if verdict not in ANSWERED)

    def targets(self) -> list[tuple[bool, str]]:
        during_faults = self.latency[-1]
        return [
            (self.calls.matches, "every answered call is in the call log"),
            (self.tickets.matches, "every ticket a caller was told of is stored, and no other"),
            (
                self._notifications_sent(),
                "every notification the policy asks for is sent, and no other (but one whose "
                "sending a SIGKILL cut, shown as unsure: at most once, never twice)",
            ),
            (
                self.mail.duplicates == 0 and self.mail.lost == 0 and self.mail.unmatched == 0,
                "each email notification received exactly once",
            ),
            (
                self.notifications.client_mail_held == 0,
                "no email to a client held back (only a mail loop may hold one)",
            ),
            (
                self.outbox.tally.matches and not self.outbox.due_not_done,
                "every outbox task written, and done when due",
            ),
            (not self.outbox.scheduled_lost, "every timed task waits in the outbox, due later"),
            (self.bad_answers == 0, "zero webhooks answered with non-TwiML or 5xx"),
            (
                during_faults.count > 0 and during_faults.p99 < P99_TARGET_SECONDS,
                f"p99 under {P99_TARGET_SECONDS:.0f} s during the faults",
            ),
            (not self.worker_exits, "no RQ worker quit on its own"),
        ]

    def _notifications_sent(self) -> bool:
        """All sent; or missing only what a killed worker had claimed and not recorded (the
        notification is "sending": it left or not, and it is never sent twice). One kill, at
        most one such notification."""
        check = self.notifications
        cut = check.not_sent.get("sending", 0)
        kills = sum(1 for fault in self.faults if "SIGKILL" in fault.name)
        unsure_only = len(check.tally.missing) == cut == sum(check.not_sent.values())
        return check.tally.matches or (unsure_only and cut <= kills and not check.tally.unexpected)

    def print(self) -> None:
        for line in self.lines():
            print(line)

    def lines(self) -> list[str]:
        return [
            self.setting,
            *self._fault_lines(),
            "",
            f"calls placed: {self.calls_placed} ({_counts(self.scenarios)}); "
            f"broke off on a connection error: {self.calls_aborted}",
            f"calls stored (`call`, inbound): {self.calls.line()}",
            f"  messages left after the apology that nothing confirmed: {self.unconfirmed}",
            f"tickets (from what callers heard): {self.tickets.line()}",
            *self._notification_lines(),
            *self._outbox_lines(),
            f"webhooks: {sum(self.verdicts.values())} ({_counts(self.verdicts)}); "
            f"non-TwiML, 5xx or unanswered: {self.bad_answers}",
            "latency (each webhook, as the caller saw it):",
            *(figure.line() for figure in self.latency),
            "",
            *(f"{'PASS' if ok else 'FAIL'}  {text}" for ok, text in self.targets()),
        ]

    def _fault_lines(self) -> list[str]:
        lines = [
            f"fault: {f.name} from {f.started:.1f} s to {f.ended:.1f} s after the load started"
            for f in self.faults
        ]
        lines += [
            f"unplanned exit: {e.worker} at {e.at:.1f} s (exit code {e.code}), restarted after 1 s"
            for e in self.worker_exits
        ]
        settled = self.drain_seconds < self.drain_limit
        lines.append(
            f"drain after the load: {self.drain_seconds:.1f} s "
            + ("(every due task done)" if settled else f"(gave up at {self.drain_limit:.0f} s)")
        )
        return lines

    def _notification_lines(self) -> list[str]:
        check, mail = self.notifications, self.mail
        not_sent = f" (written, not sent: {_counts(check.not_sent)})" if check.not_sent else ""
        return [
            f"notifications sent (expected from the policy): {check.tally.line()}{not_sent}",
            f"  emails: {mail.rows_sent} rows sent, {mail.received} received by the SMTP server,"
            f" duplicates {mail.duplicates}, lost {mail.lost}, matching no row {mail.unmatched},"
            f" received but not marked sent {mail.unrecorded}",
            f"  SMS: {check.sms_sent} sent (logged: no Twilio account in the bench)",
        ]

    def _outbox_lines(self) -> list[str]:
        box = self.outbox
        due = _counts(box.due_not_done) if box.due_not_done else "none"
        lost = (
            f"\n      not held: {', '.join(box.scheduled_lost[:5])}" if box.scheduled_lost else ""
        )
        return [
            f"outbox tasks (expected from the policy): {box.tally.line()}",
            f"  {box.total} rows, {box.done} done; due and not done: {due}",
            f"  timed for later: {box.scheduled}, waiting in the outbox: "
            f"{box.scheduled_waiting}{lost}",
        ]


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counter.items()))
