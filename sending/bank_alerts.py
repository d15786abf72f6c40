"""Job: an hour bank fell below the alert threshold, or was used up; tell the client's authorized
contacts (by email) and the supervisors.

Written once per crossing: the ledger line that crossed the threshold names every notification
(``bank-low-<line>-…``), so a retried job writes and sends nothing twice, and the next crossing
(after a purchase, a later debit) is a new alert, delivered by ``sending.delivery``. The alert
states the balance right after that line: later entries may have taken more before the job ran,
and "fell to 1 h 15" stays true where "holds only 0 min" would not say what crossed.
"""

from __future__ import annotations

from sqlalchemy import select

from helpdesk import banks
from helpdesk.context import Context
from models import BankTransaction, Client, Contact, Notification, NotificationChannel
from sending import staff_notices
from sending.delivery import deliver
from time_words import duration


def alert_low_balance(context: Context, client_id: int, transaction_id: int) -> None:
    """Job: write the alert to each authorized contact with an email and each supervisor."""
    with context.transaction() as session:
        client = session.get(Client, client_id)
        crossing = session.get(BankTransaction, transaction_id)
        if client is None or crossing is None:
            return
        threshold = context.settings.bank_low_minutes
        left, held = banks.balance_after(session, crossing), banks.balance(session, client_id)
        if held >= threshold:
            return  # hours were bought before the job ran: the bank is no longer low
        if left <= 0 < held:
            left = held  # used up, then topped up below the threshold: low, as it stands now
        contacts = session.scalars(
            select(Contact)
            .where(Contact.client_id == client_id, Contact.authorized.is_(True))
            .order_by(Contact.id)
        ).all()
        people: list[tuple[str, str, int | None, int | None]] = [
            (c.email.lower(), c.language.value, c.id, None) for c in contacts if c.email
        ]
        supervisors = staff_notices.supervisors(session)
        people += [(s.email, s.language.value, None, s.id) for s in supervisors]
        ids = []
        for address, language, contact_id, staff_id in people:
            key = f"bank-low-{transaction_id}-{address}"
            row = session.scalar(select(Notification).where(Notification.key == key))
            if row is None:
                row = Notification(
                    key=key,
                    channel=NotificationChannel.EMAIL,
                    recipient=address,
                    contact_id=contact_id,
                    staff_member_id=staff_id,
                    sender=context.settings.mail_from if contact_id else "",
                    **_texts(context, language, client.name, left, threshold, staff_id),
                )
                session.add(row)
                session.flush()
            ids.append(row.id)
    deliver(context, ids)


# The subject and body of each alert, by (the bank is used up, to a supervisor): the client's
# says where to write to buy hours, the supervisors' that the client is told.
TEXTS = {
    (False, False): ("bank_low_subject", "bank_low_body"),
    (False, True): ("bank_low_subject", "bank_low_staff_body"),
    (True, False): ("bank_empty_subject", "bank_empty_body"),
    (True, True): ("bank_empty_subject", "bank_empty_staff_body"),
}


def _texts(
    context: Context, language: str, client: str, left: int, threshold: int, staff_id: int | None
) -> dict[str, str]:
    """The alert for one reader: the balance the crossing left, or that the bank is used up."""
    render = context.notices.render
    values = {
        "client": client,
        "balance": duration(left, language),
        "threshold": duration(threshold, language),
        "address": context.settings.support_email_regular,
    }
    subject, body = TEXTS[(left <= 0, staff_id is not None)]
    return {
        "subject": render(subject, language, **values),
        "body": render(body, language, **values),
    }
