"""Benchmark: a burst of 1,000 emails through the intake and the worker, on PostgreSQL.

The messages are the test corpus (``tests/mail_corpus/*.eml``) repeated with a fresh Message-ID
per copy; the people's messages are sent from the demo directory's authorized contacts (so they
become tickets), the automatic ones (bounces, out-of-office, list mail) keep their senders.

- intake: each message through ``email_intake.receive`` (one transaction each, as the doors
  do) on a fresh PostgreSQL database: messages stored per second;
- worker: then ``worker.burst`` against a private ``redis-server``, sending over SMTP to a
  server on loopback that counts: acknowledgements (mail to the senders) per second;
- baseline, in the same run: merely parsing the same 1,000 messages with the standard library
  (``email.message_from_bytes``); the ratio of the intake's time to it;
- memory: the peak Python allocation (tracemalloc) of the intake of one 25 MB message (a
  base64 attachment), and its ratio to the message's size, with the path the intake took.

Run with ``make bench`` or ``python -m bench.email_intake`` (PostgreSQL on 127.0.0.1,
``redis-server`` installed).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import re
import shutil
import subprocess
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, parseaddr

from redis import Redis as RedisClient
from redis.exceptions import RedisError
from sqlalchemy import select

import settings
import worker
from bench import harness
from bench.mailbox import Mailbox, SmtpServer
from helpdesk import jobs
from helpdesk.context import Context
from mail import intake as email_intake
from mail.reading import Unreadable, read_message
from models import Contact, utcnow

CORPUS = harness.ROOT / "tests/mail_corpus"
MESSAGES = 1_000
BIG_MESSAGE_BYTES = 25 * 1024 * 1024
WORKER_SECONDS = 600.0  # the burst is given up (its Redis stopped) after this long
# The few demo senders write far more often than people do: above MAIL_LOOP_BURST messages
# within minutes their answers would be held as a mail loop. The bench raises it, and gives each
# person's message a text of its own, so that the worker's sending is what is measured.
LOOP_BURST = 100_000

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def header(raw: bytes, name: bytes, value: bytes) -> bytes:
    """``raw`` with its top-level header ``name`` (folded lines included) set to ``value``;
    the body and the message's line endings are left as they are."""
    end = _HEADER_END.search(raw)
    cut = end.start() if end else len(raw)
    pattern = re.compile(rb"(?im)^" + re.escape(name) + rb":[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")
    head, count = pattern.subn(lambda _: name + b": " + value, raw[:cut], count=1)
    if count == 0:
        head = name + b": " + value + (b"\r\n" if b"\r\n" in raw[:cut] else b"\n") + head
    return head + raw[cut:]


@dataclass(frozen=True)
class Shape:
    """One corpus message, and whether a person wrote it (then an authorized contact sends it)."""

    name: str
    raw: bytes
    personal: bool
    id_domain: str


def corpus() -> list[Shape]:
    shapes = []
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()
        message = read_message(raw)
        assert not isinstance(message, Unreadable), path
        domain = message.message_id.rpartition("@")[2] or "bench.example"
        shapes.append(Shape(path.stem, raw, message.automatic is None, domain))
    return shapes


def burst_of(shapes: Sequence[Shape], senders: Sequence[str], count: int) -> list[bytes]:
    """``count`` messages: the shapes in turn, the people's twice as often as the automatic
    ones (most mail to a helpdesk is people's), each with a Message-ID of its own."""
    cycle = [s for s in shapes for _ in range(2 if s.personal else 1)]
    people = itertools.cycle(senders)
    messages = []
    for n, shape in zip(range(count), itertools.cycle(cycle), strict=False):
        raw = header(
            shape.raw, b"Message-ID", f"<bench-{n}-{shape.name}@{shape.id_domain}>".encode()
        )
        if shape.personal:
            raw = numbered(header(raw, b"From", next(people).encode()), n)
        messages.append(raw)
    return messages


def numbered(raw: bytes, n: int) -> bytes:
    """A person's message whose text ends with its number: no two are the same text again."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, MimeMessage)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return raw
    text = str(body.get_content()) + f"\n(bench {n})\n"
    body.set_content(text, subtype=body.get_content_subtype())
    return message.as_bytes()


def big_message(sender: str, size: int) -> bytes:
    """A person's message with one base64 attachment, ``size`` bytes in all (about)."""
    message = MimeMessage()
    message["From"], message["To"] = sender, "support-regulier@altilogix.example"
    message["Subject"] = "Copie de la base de données Sage 50"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = "<bench-big@boulangerie.example>"
    message.set_content("Bonjour,\n\nVoici la copie demandée.\n\nMarie")
    payload = os.urandom(size * 3 // 4 - 2048)  # base64 grows it by a third
    message.add_attachment(
        payload, maintype="application", subtype="octet-stream", filename="sage50.zip"
    )
    return message.as_bytes()


@contextmanager
def private_redis() -> Iterator[Redis]:
    """A ``redis-server`` of our own on a free loopback port, nothing kept on disk."""
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    port = harness.free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    with open(os.devnull, "wb") as quiet:
        process = harness.start([*argv, "--save", "", "--appendonly", "no"], os.environ, quiet)
    try:
        harness.wait_for_port(port, 10)
        yield Redis(f"redis://127.0.0.1:{port}/0", process)
    finally:
        harness.stop(process)


def build_context(database_url: str, redis_url: str, smtp_port: int) -> Context:
    """The worker's context, as a worker process builds it: from its environment (here, these
    values: no Twilio, pages are logged), once (helpdesk.jobs.process_context)."""
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "MAIL_LOOP_BURST": str(LOOP_BURST),
            "LOG_LEVEL": "WARNING",
            "DEBUG": "true",
            "TWILIO_ACCOUNT_SID": "",
        }
    )
    context = jobs.process_context()
    settings.configure_logging(context.settings)
    return context


def authorized_senders(context: Context) -> list[str]:
    with context.transaction() as session:
        rows = session.execute(
            select(Contact.name, Contact.email)
            .where(Contact.authorized, Contact.email.is_not(None))
            .order_by(Contact.id)
        ).all()
    # formataddr encodes a name with accents as RFC 2047 words, as a mail client does.
    return [formataddr((name, address)) for name, address in rows if address]


def parse_all(messages: Sequence[bytes]) -> float:
    """The baseline: seconds to parse every message with the standard library."""
    began = time.perf_counter()
    for raw in messages:
        email.message_from_bytes(raw, policy=email.policy.default)
    return time.perf_counter() - began


def intake_all(context: Context, messages: Sequence[bytes]) -> tuple[float, Counter[str]]:
    """Seconds to take every message in, one unit of work each, and what they became."""
    outcomes: Counter[str] = Counter()
    began = time.perf_counter()
    for raw in messages:
        outcomes[email_intake.receive(context, raw, source="bench").outcome.value] += 1
    return time.perf_counter() - began, outcomes


@dataclass(frozen=True)
class Redis:
    url: str
    process: subprocess.Popen[bytes]


@dataclass
class Burst:
    seconds: float
    jobs: int | None  # None: not finished within WORKER_SECONDS


def run_worker(context: Context, redis: Redis, limit: float) -> Burst:
    """``worker.burst`` (in this thread: RQ installs signal handlers), given up after ``limit``
    seconds by stopping its Redis, which ends the burst on a Redis error."""
    watchdog = threading.Timer(limit, harness.stop, [redis.process])
    began = time.perf_counter()
    watchdog.start()
    try:
        connection = RedisClient.from_url(redis.url)
        ran: int | None = worker.burst(*worker.make_worker(context, connection))
    except RedisError:
        ran = None
    finally:
        watchdog.cancel()
    return Burst(time.perf_counter() - began, ran)


def measure_memory(context: Context, raw: bytes) -> tuple[int, email_intake.Intake]:
    """The peak of Python's allocations while one message is taken in (its own transaction)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        intake = email_intake.receive(context, raw, source="bench")
        return tracemalloc.get_traced_memory()[1], intake
    finally:
        tracemalloc.stop()


def acknowledgements(mailbox: Mailbox, senders: Sequence[str]) -> tuple[int, int]:
    """Mails received by the senders (the acknowledgements), and by anybody else (staff)."""
    clients = {parseaddr(s)[1].lower() for s in senders}
    received = mailbox.snapshot()
    acks = sum(n for (to, _), n in received.items() if to in clients)
    return acks, sum(received.values()) - acks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--big-mb", type=int, default=BIG_MESSAGE_BYTES // (1024 * 1024))
    args = parser.parse_args()
    shapes = corpus()
    smtp_port = harness.free_port()
    with (
        harness.demo_database() as url,
        private_redis() as redis,
        SmtpServer(smtp_port) as mailbox,
    ):
        context = build_context(url, redis.url, smtp_port)
        senders = authorized_senders(context)
        messages = burst_of(shapes, senders, args.messages)
        parse_seconds = parse_all(messages)
        intake_seconds, outcomes = intake_all(context, messages)
        burst = run_worker(context, redis, WORKER_SECONDS)
        acks, others = acknowledgements(mailbox, senders)
        big = big_message(senders[0], args.big_mb * 1024 * 1024)
        default_path = measure_memory(context, big)
        raised = context.replace(settings=context.settings.replace(mail_max_bytes=2 * len(big)))
        read_path = measure_memory(raised, header(big, b"Message-ID", b"<bench-big-2@b.example>"))
    report(shapes, messages, parse_seconds, intake_seconds, outcomes, burst, acks, others)
    report_memory(len(big), context.settings.mail_max_bytes, default_path, read_path)


def report(
    shapes: Sequence[Shape],
    messages: Sequence[bytes],
    parse_seconds: float,
    intake_seconds: float,
    outcomes: Counter[str],
    burst: Burst,
    acks: int,
    others: int,
) -> None:
    count = len(messages)
    stored = count - outcomes["duplicate"] - outcomes["quarantined"]
    people = sum(s.personal for s in shapes)
    print(
        f"{count} messages from {len(shapes)} corpus shapes ({people} people's, sent by the demo "
        f"directory's authorized contacts; {len(shapes) - people} automatic), "
        f"{sum(map(len, messages)) / count:.0f} bytes on average; PostgreSQL, one transaction each"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"\n{'':34} {'seconds':>8} {'per second':>11} {'x parse':>8}")
    print(
        f"{'parse only (email.message_from_bytes)':34} {parse_seconds:8.2f} "
        f"{count / parse_seconds:11.0f} {1:8.1f}"
    )
    print(
        f"{'intake (email_intake.receive)':34} {intake_seconds:8.2f} "
        f"{stored / intake_seconds:11.0f} {intake_seconds / parse_seconds:8.1f}"
    )
    print(
        f"intake: {stored} messages stored, {stored / intake_seconds:.0f} per second; "
        f"{intake_seconds / parse_seconds:.1f} times the time to merely parse them"
    )
    state = f"{burst.jobs} jobs" if burst.jobs is not None else "NOT FINISHED (given up)"
    print(
        f"\nworker.burst: {state} in {burst.seconds:.2f} s; the SMTP server received "
        f"{acks} acknowledgements (to the senders) and {others} other mails (staff notices)"
    )
    print(
        f"acknowledgements: {acks / burst.seconds:.1f} per second "
        f"(of {outcomes['new_ticket']} new tickets; MAIL_LOOP_BURST raised to "
        f"{LOOP_BURST}); all mail: {(acks + others) / burst.seconds:.1f} per second"
    )


def report_memory(
    size: int,
    max_bytes: int,
    default_path: tuple[int, email_intake.Intake],
    read_path: tuple[int, email_intake.Intake],
) -> None:
    print(f"\none message of {size / 2**20:.1f} MiB (a base64 attachment), tracemalloc peak:")
    for label, (peak, intake) in (
        (f"MAIL_MAX_BYTES={max_bytes} (default)", default_path),
        (f"MAIL_MAX_BYTES={2 * size} (raised)", read_path),
    ):
        path = "quarantined as too_big" if intake.outcome == "quarantined" else "read and stored"
        print(
            f"  {label:34} {intake.outcome.value:12} ({path}): peak {peak / 2**20:.1f} MiB, "
            f"{peak / size:.2f} x the message"
        )


if __name__ == "__main__":
    main()
