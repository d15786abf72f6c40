"""A bank falling below the threshold is told to the client's authorized contacts and the
supervisors, once per crossing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import time_entries
from helpdesk.context import Context
from models import DeliveryState, Line, Notification, OutboxTask
from sending import bank_alerts
from tests.banking import BOULANGERIE, DENTAL, LOW, buy, form, luc, open_ticket
from tests.phone import helpdesk
from time_words import duration


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _cross(db: Session, context: Context) -> OutboxTask:
    buy(db, BOULANGERIE, 2)
    ticket = open_ticket(db, context)
    time_entries.post(db, form(ticket, luc(db), minutes=30), luc(db), low_minutes=LOW)
    db.commit()
    return db.scalars(select(OutboxTask).where(OutboxTask.task == "bank.low")).one()


def test_the_alert_goes_to_the_authorized_contacts_and_the_supervisors(
    db: Session, context: Context
) -> None:
    task = _cross(db, context)
    bank_alerts.alert_low_balance(context, **task.args)
    db.expire_all()
    sent = db.scalars(select(Notification).order_by(Notification.id)).all()
    # No SMTP server in this test: each is written to the log, and says so.
    assert [(n.recipient, n.state) for n in sent] == [
        ("marie@boulangerie.example", DeliveryState.LOGGED),
        ("jacques@boulangerie.example", DeliveryState.LOGGED),
        ("helene@altilogix.example", DeliveryState.LOGGED),
        ("david@altilogix.example", DeliveryState.LOGGED),
    ]


def test_the_alert_says_the_balance_and_the_threshold_in_the_readers_language(
    db: Session, context: Context
) -> None:
    task = _cross(db, context)
    bank_alerts.alert_low_balance(context, **task.args)
    marie = db.scalars(
        select(Notification).where(Notification.recipient == "marie@boulangerie.example")
    ).one()
    assert marie.subject == "[AltiLogix] Banque d’heures presque épuisée : Boulangerie Saint-Denis"  # noqa: RUF001
    assert "est descendue à 1 h 30, sous le seuil d'alerte de 2 h." in marie.body


def test_the_client_is_told_where_to_write_and_the_supervisors_that_the_client_is_told(
    db: Session, context: Context
) -> None:
    task = _cross(db, context)
    bank_alerts.alert_low_balance(context, **task.args)
    marie, helene = (
        db.scalars(select(Notification).where(Notification.recipient == address)).one()
        for address in ("marie@boulangerie.example", "helene@altilogix.example")
    )
    assert "écrivez-nous à support-regulier@altilogix.example." in marie.body
    assert "ne pas répondre" not in marie.body
    assert "Ses contacts autorisés en sont avisés par courriel" in helene.body
    assert "écrivez-nous" not in helene.body


@pytest.mark.parametrize(
    ("minutes", "french", "english"),
    [(90, "1 h 30", "1 h 30 min"), (45, "45 min", "45 min"), (120, "2 h", "2 h")],
)
def test_a_balance_reads_as_each_language_writes_it(
    minutes: int, french: str, english: str
) -> None:
    assert (duration(minutes, "fr"), duration(minutes, "en")) == (french, english)


def test_an_alert_run_twice_sends_each_message_once(db: Session, context: Context) -> None:
    task = _cross(db, context)
    bank_alerts.alert_low_balance(context, **task.args)
    bank_alerts.alert_low_balance(context, **task.args)
    assert len(db.scalars(select(Notification)).all()) == 4


def test_a_bank_topped_up_before_the_alert_ran_sends_nothing(db: Session, context: Context) -> None:
    task = _cross(db, context)
    buy(db, BOULANGERIE, 10, invoice="F-2026-0102")
    bank_alerts.alert_low_balance(context, **task.args)
    assert db.scalars(select(Notification)).all() == []


def test_falling_again_after_a_purchase_is_a_new_crossing(db: Session, context: Context) -> None:
    _cross(db, context)  # 120 -> 90
    buy(db, BOULANGERIE, 1, invoice="F-2026-0102")  # 150
    ticket = open_ticket(db, context)
    time_entries.post(db, form(ticket, luc(db), minutes=45), luc(db), low_minutes=LOW)  # 105
    db.commit()
    alerts = db.scalars(select(OutboxTask).where(OutboxTask.task == "bank.low")).all()
    assert len(alerts) == 2


def _dental_alerts(db: Session, context: Context, *minutes: int) -> dict[str, Notification]:
    """The dental clinic buys 2 h, time is posted, then the first crossing's alert runs."""
    buy(db, DENTAL, 2)
    ticket = open_ticket(db, context, DENTAL)
    for worked in minutes:
        time_entries.post(db, form(ticket, luc(db), minutes=worked), luc(db), low_minutes=LOW)
        db.commit()
    task = db.scalars(select(OutboxTask).where(OutboxTask.task == "bank.low")).first()
    assert task is not None
    bank_alerts.alert_low_balance(context, **task.args)
    return {n.recipient: n for n in db.scalars(select(Notification))}


def test_the_alert_states_the_balance_the_crossing_left_not_the_balance_when_sent(
    db: Session, context: Context
) -> None:
    sent = _dental_alerts(db, context, 45, 75)  # 2 h -> 1 h 15 (the crossing) -> 0 min
    emily, helene = sent["emily@dental.example"], sent["helene@altilogix.example"]
    assert "The support hour bank of Westmount Dental Clinic fell to 1 h 15 min, below" in (
        emily.body
    )
    assert "de Westmount Dental Clinic est descendue à 1 h 15, sous le seuil" in helene.body


def test_a_crossing_that_empties_the_bank_tells_the_client_it_is_used_up(
    db: Session, context: Context
) -> None:
    emily = _dental_alerts(db, context, 120)["emily@dental.example"]
    assert emily.subject == "[AltiLogix] Hour bank used up: Westmount Dental Clinic"
    assert emily.body.splitlines()[2:4] == [
        "The support hour bank of Westmount Dental Clinic is used up.",
        "Support time is now billed outside the bank. To buy hours, write to us at "
        "support-regulier@altilogix.example.",
    ]


def test_a_crossing_that_empties_the_bank_tells_the_supervisors_it_is_used_up(
    db: Session, context: Context
) -> None:
    sent = _dental_alerts(db, context, 120)
    helene, david = sent["helene@altilogix.example"], sent["david@altilogix.example"]
    assert helene.subject == "[AltiLogix] Banque d'heures épuisée : Westmount Dental Clinic"
    assert helene.body.splitlines()[2] == (
        "La banque d'heures de support de Westmount Dental Clinic est épuisée. Ses contacts "
        "autorisés en sont avisés par courriel ; le temps de support est maintenant facturé "
        "hors banque."
    )
    assert "Westmount Dental Clinic is used up. Its authorized contacts are told" in david.body


def _alerts(db: Session) -> list[OutboxTask]:
    return list(db.scalars(select(OutboxTask).where(OutboxTask.task == "bank.low")))


def _use_up_an_hour_bought(db: Session, context: Context) -> None:
    """The bakery buys 1 h (below the 2 h threshold); urgent phone work takes the whole hour."""
    buy(db, BOULANGERIE, 1)
    ticket = open_ticket(db, context, line=Line.URGENT)
    time_entries.post(db, form(ticket, luc(db), minutes=20), luc(db), low_minutes=LOW)
    db.commit()


def test_a_bank_bought_below_the_threshold_is_told_to_everyone_when_used_up(
    db: Session, context: Context
) -> None:
    _use_up_an_hour_bought(db, context)
    (task,) = _alerts(db)
    bank_alerts.alert_low_balance(context, **task.args)
    sent = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.recipient, n.subject) for n in sent] == [
        (
            "marie@boulangerie.example",
            "[AltiLogix] Banque d'heures épuisée : Boulangerie Saint-Denis",
        ),
        (
            "jacques@boulangerie.example",
            "[AltiLogix] Banque d'heures épuisée : Boulangerie Saint-Denis",
        ),
        (
            "helene@altilogix.example",
            "[AltiLogix] Banque d'heures épuisée : Boulangerie Saint-Denis",
        ),
        ("david@altilogix.example", "[AltiLogix] Hour bank used up: Boulangerie Saint-Denis"),
    ]


def test_time_billed_outside_a_used_up_bank_alerts_nobody_again(
    db: Session, context: Context
) -> None:
    _use_up_an_hour_bought(db, context)
    ticket = open_ticket(db, context, line=Line.URGENT)
    time_entries.post(db, form(ticket, luc(db), minutes=30), luc(db), low_minutes=LOW)
    db.commit()
    assert len(_alerts(db)) == 1


def test_a_line_that_crosses_the_threshold_and_empties_the_bank_is_one_alert(
    db: Session, context: Context
) -> None:
    sent = _dental_alerts(db, context, 120)  # 2 h -> 0 min in one entry
    assert len(_alerts(db)) == 1
    assert len(sent) == 4


def test_time_taken_from_a_bank_already_below_the_threshold_but_not_emptied_alerts_nobody(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 1)
    ticket = open_ticket(db, context)
    time_entries.post(db, form(ticket, luc(db), minutes=15), luc(db), low_minutes=LOW)  # 45
    db.commit()
    assert _alerts(db) == []


def test_a_used_up_bank_topped_up_below_the_threshold_before_the_alert_ran_is_told_low(
    db: Session, context: Context
) -> None:
    _use_up_an_hour_bought(db, context)
    (task,) = _alerts(db)
    buy(db, BOULANGERIE, 1, invoice="F-2026-0102")  # 1 h: still below the threshold
    bank_alerts.alert_low_balance(context, **task.args)
    low = ("presque épuisée", "running low")
    alerts = db.scalars(select(Notification)).all()
    assert alerts and all(any(words in n.subject for words in low) for n in alerts)
    assert all("1 h" in n.body for n in alerts)
