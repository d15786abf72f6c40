"""A notice to the client for each intervention on their ticket, as the policy promises ("un
courriel de notification vous est envoyé pour chacune de nos interventions").

The acts call ``announce`` in their own transaction; it writes one task per intervention (its
key names the intervention, so a twice-sent webhook or a retried act queues one notice), and
the job (``sending.clients.send_notice``) emails the ticket's contact.
"""

from __future__ import annotations

from enum import StrEnum

from helpdesk import tasks
from models import Contact, Ticket


class Intervention(StrEnum):
    CALLBACK = "callback"  # a technician's callback reached the client
    CALLBACK_NO_ANSWER = "callback_no_answer"  # the client's phone rang, nobody answered
    CALLBACK_VOICEMAIL = "callback_voicemail"  # a message was left on the client's voicemail
    NOTE = "note"  # a public note
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    TIME_ENTRY = "time_entry"  # time logged on the ticket


# How a notice's key names its intervention, and an intervention its history entry.
_NOTICE, _EVENT = "-notice-", "event-"


def event_occasion(event_id: int) -> str:
    """The occasion of an intervention a history entry records (a public note, a resolution)."""
    return f"{_EVENT}{event_id}"


def notice_key(ticket_id: int, occasion: str) -> str:
    """The key of the notice of one intervention: its notification's, one per occasion."""
    return f"ticket-{ticket_id}{_NOTICE}{occasion}"


def event_of_notice(key: str) -> int | None:
    """The history entry whose intervention a notice's key names, if it names one (whose act
    it was: the author of a public note)."""
    _, found, rest = key.partition(_NOTICE + _EVENT)
    return int(rest) if found and rest.isdigit() else None


def announce(
    ticket: Ticket,
    kind: Intervention,
    occasion: str,
    *,
    event_id: int | None = None,
    entry_id: int | None = None,
) -> bool:
    """Queue the notice of one intervention (``occasion`` tells it apart from the others);
    nothing for a message to verify or a ticket without a contact. ``event_id``: the history
    entry whose text the notice carries (a public note); ``entry_id``: the time entry whose
    work and charges it states."""
    if ticket.to_verify or ticket.contact_id is None:
        return False
    return tasks.notify_contact(ticket, kind.value, occasion, event_id=event_id, entry_id=entry_id)


def reaches_client(ticket: Ticket, contact: Contact | None) -> bool:
    """Whether the ticket's client is emailed its notices: a contact with an address, on a
    ticket that is not a message to verify."""
    return not ticket.to_verify and contact is not None and bool(contact.email)


def announce_time_entry(ticket: Ticket, time_entry_id: int) -> bool:
    """For the time-entry service: time logged on the ticket is an intervention the client is
    told of, once per entry, with what was done and what it cost."""
    occasion = f"time-entry-{time_entry_id}"
    return announce(ticket, Intervention.TIME_ENTRY, occasion, entry_id=time_entry_id)
