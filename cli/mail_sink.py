"""``make run``'s mail sink: an SMTP server on loopback that keeps every message it is given.

Each message is written to ``FOLDER/NNNN.eml`` and shown in the output: who it is from and to,
its subject and its text, so a developer sees what the app sent without a mail server of their
own. Nothing is ever relayed anywhere. ``python -m cli.mail_sink --port 5025 --folder DIR``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import signal
import sys
import threading
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

# Longer texts are cut in the output (the .eml keeps everything).
SHOWN_LINES = 40


class Keeper:
    """aiosmtpd's handler: each message to a file and to the output."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        path = self._keep(raw)
        print(describe(raw, path, envelope.rcpt_tos), flush=True)
        return "250 kept"

    def _keep(self, raw: bytes) -> Path:
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            number = len(list(self.folder.glob("*.eml"))) + 1
            path = self.folder / f"{number:04d}.eml"
            path.write_bytes(raw)
        return path


def describe(raw: bytes, path: Path, recipients: Sequence[str]) -> str:
    """The message as a developer wants to read it in the output."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else "(no text part)"
    lines = str(text).strip().splitlines()
    if len(lines) > SHOWN_LINES:
        lines = [*lines[:SHOWN_LINES], f"… ({len(lines) - SHOWN_LINES} more lines in the file)"]
    head = [
        f"=== email kept: {path}",
        f"From: {message['From']}",
        f"To: {', '.join(recipients)}",
        f"Subject: {message['Subject']}",
    ]
    return "\n".join([*head, "", *lines, "==="])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local SMTP sink for make run.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    options = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    controller = Controller(Keeper(options.folder), hostname="127.0.0.1", port=options.port)
    controller.start()
    print(f"mail sink on 127.0.0.1:{options.port}, keeping mail in {options.folder}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
