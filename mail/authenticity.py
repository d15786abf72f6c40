"""DKIM signatures verified here (``dkimpy``), for a host that does not trust its receiving
server's verdict alone (MAIL_VERIFY_DKIM). It asks DNS for the signers' keys: the intake calls
it before its transaction, never within one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dkim

log = logging.getLogger(__name__)
# A message signed more often than this is not checked further: each one is a DNS lookup.
MAX_SIGNATURES = 5
DNS_TIMEOUT_SECONDS = 5


def verified_domains(raw: bytes, dnsfunc: Callable[..., Any] | None = None) -> frozenset[str]:
    """The domains (d=) of the message's DKIM signatures that verify; ``dnsfunc``: the key
    lookup, DNS's by default (tests hand in their own)."""
    found: set[str] = set()
    try:
        checker = dkim.DKIM(raw, timeout=DNS_TIMEOUT_SECONDS)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception:  # not even parseable by dkimpy: no signature of ours to trust
        return frozenset()
    lookup = {"dnsfunc": dnsfunc} if dnsfunc else {}
    for index in range(min(count, MAX_SIGNATURES)):
        try:
            if checker.verify(idx=index, **lookup):
                found.add(checker.domain.decode("ascii", "replace").lower())
        except Exception as error:  # a broken signature or DNS away: that one does not count
            log.info("DKIM signature %s not verified: %s", index, type(error).__name__)
    return frozenset(found)
