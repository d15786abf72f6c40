"""Rules the database alone cannot state, checked on every flush of the sessions of a factory
that ``attach`` was given (every factory ``models.db.make_session_factory`` makes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from models.directory import MAX_AUTHORIZED_CONTACTS, Client, Contact
from models.tickets import BankPayment, BankTransaction, TimeEntry


class IntegrityRuleError(ValueError):
    """A change breaks a rule of the policy; the message says which and for whom."""


def attach(factory: sessionmaker[Session]) -> None:
    """Check the rules on every flush of the factory's sessions."""
    event.listen(factory, "before_flush", _bank_ledger_is_append_only)
    event.listen(factory, "after_flush", _at_most_four_authorized_contacts)


def _bank_ledger_is_append_only(session: Session, _ctx: UOWTransaction, _i: Any) -> None:
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, BankTransaction | BankPayment | TimeEntry) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise IntegrityRuleError(
                f"{obj.__tablename__} rows are append-only: "
                "record a correcting entry or transaction instead"
            )


def _at_most_four_authorized_contacts(session: Session, _ctx: UOWTransaction) -> None:
    # Counted in SQL after the flush, so contacts added by any path (relationship, client_id,
    # several flushes) are all seen.
    client_ids = {
        obj.client_id
        for obj in [*session.new, *session.dirty]
        if isinstance(obj, Contact) and obj.authorized
    }
    if not client_ids:
        return
    over = session.execute(
        select(Client.account, Client.name, func.count(Contact.id))
        .join(Contact, Contact.client_id == Client.id)
        .where(Client.id.in_(client_ids), Contact.authorized.is_(True))
        .group_by(Client.id, Client.account, Client.name)
        .having(func.count(Contact.id) > MAX_AUTHORIZED_CONTACTS)
    ).first()
    if over is not None:
        account, name, count = over
        raise IntegrityRuleError(
            f"client {account} ({name}) would have {count} authorized contacts; "
            f"at most {MAX_AUTHORIZED_CONTACTS} people may report problems for a client"
        )
