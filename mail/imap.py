"""The IMAP door: the worker reads a mailbox's unseen mail into the intake.

Each unseen message of IMAP_FOLDER is fetched without marking it, stored by the intake in its
own transaction, and only then flagged \\Seen (or moved to IMAP_DONE_FOLDER). A crash between
the two reads it again at the next poll, where its Message-ID makes it a duplicate: at least
once, never twice. TLS always: ``imaps://`` (port 993) or ``imap://`` with STARTTLS.

Each worker's relay writes the poll of the current time slot (``write_due``) as an outbox row;
its key is the slot, so several workers poll once between them.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from helpdesk import tasks
from helpdesk.context import Context
from mail import intake
from settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
MAX_PER_POLL = 200  # a big backlog is read over several polls


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    folder: str
    done_folder: str
    ca_file: str

    @classmethod
    def of(cls, settings: Settings) -> Mailbox | None:
        """The mailbox IMAP_URL names, or None when it is not set."""
        if not settings.imap_url:
            return None
        url = urlparse(settings.imap_url)
        if url.scheme not in ("imap", "imaps"):
            raise ValueError("IMAP_URL: imaps://user:password@host:993 or imap://… (STARTTLS)")
        starttls = url.scheme == "imap"
        return cls(
            host=url.hostname or "127.0.0.1",
            port=url.port or (143 if starttls else 993),
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            starttls=starttls,
            folder=settings.imap_folder,
            done_folder=settings.imap_done_folder,
            ca_file=settings.imap_ca_file,
        )


def poll(context: Context) -> None:
    """Job: read the mailbox's unseen mail, if IMAP_URL is set."""
    box = Mailbox.of(context.settings)
    if box is not None:
        read_unseen(context, box)


def read_unseen(context: Context, box: Mailbox) -> int:
    """Store each unseen message, then mark it read; return how many were stored. Raises (for
    RQ to retry) when one cannot be stored: it and the rest stay unseen."""
    with connect(box) as imap:
        if box.done_folder:
            imap.create(_quoted(box.done_folder))  # "already exists" is fine too
        _ok(imap.select(_quoted(box.folder)))
        found = _ok(imap.uid("SEARCH", "UNSEEN"))
        first = found[0] if found else b""
        uids = first.decode().split()[:MAX_PER_POLL] if isinstance(first, bytes) else []
        for uid in uids:
            raw = _fetch(imap, uid)
            if raw is None:  # gone meanwhile (another client moved it)
                continue
            stored = intake.receive(context, raw, source="imap")
            _done(imap, uid, box)
            log.info("IMAP message %s: %s", uid, stored.outcome.value)
        if box.done_folder and uids:
            imap.expunge()
    return len(uids)


def connect(box: Mailbox) -> imaplib.IMAP4:
    """A logged-in connection, over TLS checked against IMAP_CA_FILE or the system's CAs."""
    tls = ssl.create_default_context(cafile=box.ca_file or None)
    imap: imaplib.IMAP4
    if box.starttls:
        imap = imaplib.IMAP4(box.host, box.port, timeout=TIMEOUT_SECONDS)
        imap.starttls(ssl_context=tls)
    else:
        imap = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=tls, timeout=TIMEOUT_SECONDS)
    imap.login(box.user, box.password)
    return imap


def _fetch(imap: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK leaves \Seen alone: the message is marked only once it is stored.
    for part in _ok(imap.uid("FETCH", uid, "(BODY.PEEK[])")):
        if isinstance(part, tuple) and len(part) == 2:
            return bytes(part[1])
    return None


def _done(imap: imaplib.IMAP4, uid: str, box: Mailbox) -> None:
    _ok(imap.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
    if not box.done_folder:
        return
    if "MOVE" in imap.capabilities:
        _ok(imap.uid("MOVE", uid, _quoted(box.done_folder)))
    else:
        _ok(imap.uid("COPY", uid, _quoted(box.done_folder)))
        _ok(imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)"))


def _ok(answer: tuple[str, Sequence[Any]]) -> Sequence[Any]:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP answered {status}")
    return data


_ATOM = re.compile(r"^[A-Za-z0-9._/-]+$")


def _quoted(folder: str) -> str:
    if _ATOM.match(folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_due(context: Context) -> bool:
    """The poll of the current time slot (IMAP_POLL_SECONDS long), as an outbox row due now:
    each relay round writes it, and its key lets one row in between all the workers."""
    if not context.settings.imap_url:
        return False
    interval = context.settings.imap_poll_seconds
    with context.transaction() as session:
        return tasks.poll_imap(session, int(time.time() // interval))
