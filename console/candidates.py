"""Whom a message to verify may be from: the contacts its traces point to (the number that
called, the account number keyed in, the sender's address or domain), proposed first; none is
chosen for the supervisor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models import Client, Contact, Ticket

# Addresses anybody can have: a shared domain there says nothing about the client.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "hotmail.com",
        "hotmail.ca",
        "outlook.com",
        "live.com",
        "live.ca",
        "yahoo.com",
        "yahoo.ca",
        "icloud.com",
        "videotron.ca",
        "sympatico.ca",
        "bell.net",
        "example.com",
    }
)


@dataclass(frozen=True)
class Candidate:
    client: Client
    contact: Contact
    why: tuple[str, ...]  # "number", "account", "address", "domain"


def _domain(address: str | None) -> str:
    return (address or "").rpartition("@")[2].lower()


def _traces(ticket: Ticket, account: str | None, client: Client, contact: Contact) -> list[str]:
    found = []
    if ticket.requester and ticket.requester in {p.number for p in contact.phones}:
        found.append("number")
    if account and account == client.account:
        found.append("account")
    sender = ticket.requester.lower() if "@" in ticket.requester else ""
    if sender and sender == (contact.email or "").lower():
        found.append("address")
    elif (
        sender
        and _domain(sender) not in PUBLIC_MAIL_DOMAINS
        and _domain(sender) == _domain(contact.email)
    ):
        found.append("domain")
    return found


def propose(ticket: Ticket, account: str | None, clients: Iterable[Client]) -> Sequence[Candidate]:
    """The contacts this message's traces point to, the surest first (its number, its address,
    then the account given, then the domain)."""
    found = [
        Candidate(client, contact, tuple(why))
        for client in clients
        for contact in client.contacts
        if (why := _traces(ticket, account, client, contact))
    ]
    order = ("number", "address", "account", "domain")
    return sorted(found, key=lambda c: (min(order.index(w) for w in c.why), c.client.account))
