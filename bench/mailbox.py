"""A real SMTP server on loopback that keeps what it receives: the bench's mail recipients.

The workers send through ``SMTP_URL`` exactly as in production; this server only counts. Each
message is kept as (recipient, subject), which is how the bench matches it to its
``notification`` row: a duplicate send shows up as the same pair received twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


def mail_key(recipient: str, subject: str) -> tuple[str, str]:
    """How a message is matched to its row. Whitespace is collapsed: Python's header decoder
    can double a space next to an encoded word ("Gauthier  ltée"), the row has it once."""
    return recipient.lower(), " ".join(subject.split())


class Mailbox:
    """What an SMTP server received, counted by (recipient, subject); safe across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[tuple[str, str]] = Counter()

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        subject = str(message_from_bytes(raw, policy=policy.default)["Subject"] or "")
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received[mail_key(recipient, subject)] += 1
        return "250 OK"

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self.lock:
            return Counter(self.received)


class SmtpServer:
    """``with SmtpServer(port) as mailbox:`` an SMTP server on 127.0.0.1:``port``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self.mailbox

    def __exit__(self, *_: object) -> None:
        self.controller.stop()
