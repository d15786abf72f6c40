"""Technicians answer their pages by SMS: POST /sms/incoming, signed by Twilio."""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import business_time
from helpdesk.context import Context
from models import Line, OutboxTask, PagerReply, StaffMember, Ticket, TicketStatus
from pager import commands as pager
from sending import staff_notices
from tests import concurrency
from tests.phone import (
    CATA,
    MAIN,
    RecordingTwilioHttp,
    at,
    helpdesk,
    place_call,
    signed_post,
    the_ticket,
)

LUC = "+15145550171"  # technician, French, urgent and regular duty
SOPHIE = "+15145550172"  # technician, French, urgent and regular duty
DAVID = "+15145550176"  # supervisor, English
JULIE = "+14385550174"  # technician, French, regular duty only
STRANGER = "+15145550199"
MARIE = "+15145550101"  # a client's authorized contact
MORNING = at(2026, 12, 1, 10)


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


@pytest.fixture
def worker(phone_app: Flask, twilio_api: RecordingTwilioHttp) -> Context:
    return helpdesk(phone_app).replace(twilio_http=twilio_api)


def _staff(db: Session, mobile: str) -> StaffMember:
    return db.scalars(select(StaffMember).where(StaffMember.mobile == mobile)).one()


def _paged_ticket(app: Flask, db: Session, worker: Context) -> Ticket:
    """A regular ticket whose page went to Luc and Sophie."""
    ticket = the_ticket(db, place_call(app, MORNING, press="6"))
    staff_notices.notify_ticket(worker, ticket.id, [_staff(db, LUC).id, _staff(db, SOPHIE).id])
    return ticket


def sms(app: Flask, sender: str, body: str, sid: str = "SM" + "1" * 32) -> Any:
    params = {"From": sender, "To": MAIN, "Body": body, "MessageSid": sid}
    with time_machine.travel(MORNING, tick=False):
        return signed_post(app, "/sms/incoming", params)


def answer(response: Any) -> str:
    """The one <Message> of the TwiML answer."""
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Message"]
    return root[0].text or ""


def test_ok_and_a_number_takes_the_ticket(phone_app: Flask, db: Session, worker: Context) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    reply = answer(sms(phone_app, LUC, "ok 1001"))
    assert reply == (
        "Billet 1001 (Boulangerie Saint-Denis) : il est à vous. Les autres sont prévenus."
    )
    db.expire_all()
    assert ticket.assignee_id == _staff(db, LUC).id
    assert ticket.events[-1].data == {"why": "taken by SMS: no escalation needed"}


def test_the_others_paged_are_told_by_sms_who_took_it(
    phone_app: Flask, db: Session, worker: Context, twilio_api: RecordingTwilioHttp
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    sms(phone_app, LUC, "OK 1001")
    task = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.tell_taken")).one()
    twilio_api.requests.clear()
    pager.tell_taken(worker, **task.args)
    pager.tell_taken(worker, **task.args)  # a retried job sends nothing twice
    assert task.args == {"ticket_id": ticket.id, "staff_member_id": _staff(db, LUC).id}
    assert [r["data"] for r in twilio_api.requests] == [
        {
            "To": SOPHIE,
            "From": MAIN,
            "Body": "AltiLogix : le billet 1001 (Boulangerie Saint-Denis) est pris par Luc Gagnon.",
            "StatusCallback": "https://support.altilogix.example/sms/status",
        }
    ]


def test_a_taken_ticket_is_not_escalated(
    phone_app: Flask, db: Session, worker: Context, twilio_api: RecordingTwilioHttp
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    sms(phone_app, LUC, "OK 1001")
    twilio_api.requests.clear()
    staff_notices.escalate(worker, ticket.id)
    assert twilio_api.requests == []


def test_a_ticket_taken_by_somebody_else_stays_theirs(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    sms(phone_app, LUC, "OK 1001", sid="SM" + "1" * 32)
    reply = answer(sms(phone_app, SOPHIE, "OK 1001", sid="SM" + "2" * 32))
    assert reply == "Le billet 1001 est déjà pris par Luc Gagnon."
    db.expire_all()
    assert ticket.assignee_id == _staff(db, LUC).id


def test_a_reply_twice_sent_by_twilio_acts_once(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    _paged_ticket(phone_app, db, worker)
    first = answer(sms(phone_app, LUC, "OK 1001"))
    again = answer(sms(phone_app, LUC, "OK 1001"))
    assert again == first
    assert db.scalar(select(func.count(PagerReply.id))) == 1
    tasks = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.tell_taken")).all()
    assert len(tasks) == 1


def test_an_unknown_ticket_number_is_said_so(phone_app: Flask, db: Session) -> None:
    assert answer(sms(phone_app, LUC, "OK 4242")) == (
        "Aucun billet ouvert ne porte le numéro 4242."
    )


def test_a_closed_ticket_cannot_be_taken(phone_app: Flask, db: Session, worker: Context) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    ticket.status = TicketStatus.CLOSED
    db.commit()
    assert answer(sms(phone_app, LUC, "OK 1001")) == (
        "Aucun billet ouvert ne porte le numéro 1001."
    )
    db.expire_all()
    assert ticket.assignee_id is None


def test_an_unknown_word_gets_the_help_in_the_technicians_language(
    phone_app: Flask, db: Session
) -> None:
    assert answer(sms(phone_app, DAVID, "hello?")) == (
        'AltiLogix: "OK 1234" takes ticket 1234, "OFF" takes you off duty, "ON" puts you back on, '
        '"STATUS" lists the open tickets of your lines.'
    )


def no_answer(response: Any) -> None:
    """An empty TwiML answer: Twilio sends nothing back."""
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert (root.tag, list(root)) == ("Response", [])


@pytest.mark.parametrize("sender", [STRANGER, MARIE, "anonymous"])
def test_a_number_that_is_no_staff_members_mobile_gets_no_answer_and_nothing_is_done(
    phone_app: Flask, db: Session, worker: Context, sender: str, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    with caplog.at_level(logging.INFO, logger="pager.commands"):
        no_answer(sms(phone_app, sender, "OK 1001"))
    assert "not answered" in caplog.text
    db.expire_all()
    assert ticket.assignee_id is None
    assert db.scalar(select(func.count(PagerReply.id))) == 0


def test_a_former_technicians_mobile_gets_no_answer(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    _staff(db, LUC).active = False
    db.commit()
    no_answer(sms(phone_app, LUC, "STATUS"))
    db.expire_all()
    assert ticket.assignee_id is None


def test_off_takes_a_technician_off_the_roster_and_on_puts_them_back(
    phone_app: Flask, db: Session
) -> None:
    context = helpdesk(phone_app)
    assert answer(sms(phone_app, LUC, "OFF", sid="SM" + "1" * 32)) == (
        "Vous êtes hors garde : ni appel ni page jusqu'à votre « ON »."
    )
    db.expire_all()
    off = business_time.people_on_duty(db, context.hours, Line.URGENT, MORNING)
    assert [db.get(StaffMember, i).name for i in off] == [  # type: ignore[union-attr]
        "Sophie Lavoie",
        "Karim Haddad",
        "Hélène Bergeron",
    ]
    assert answer(sms(phone_app, LUC, "on", sid="SM" + "2" * 32)) == (
        "Vous êtes de garde à nouveau."
    )
    db.expire_all()
    back = business_time.people_on_duty(db, context.hours, Line.URGENT, MORNING)
    assert back[0] == _staff(db, LUC).id


def test_status_lists_the_open_tickets_of_the_technicians_lines(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    _paged_ticket(phone_app, db, worker)
    assert answer(sms(phone_app, LUC, "STATUS")) == (
        "1 billet(s) ouvert(s) : 1001 rég. Boulangerie Saint-Denis avant mar. 1 déc. 14 h 00"
    )


def test_status_says_when_a_line_has_no_open_ticket(phone_app: Flask, db: Session) -> None:
    assert answer(sms(phone_app, LUC, "status")) == "Aucun billet ouvert sur vos lignes."


def test_a_forged_sms_is_refused_and_does_nothing(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    params = {"From": LUC, "To": MAIN, "Body": "OK 1001", "MessageSid": "SM" + "9" * 32}
    forged = signed_post(phone_app, "/sms/incoming", params, token="not-the-token")
    unsigned = phone_app.test_client().post(
        "/sms/incoming", data=params, base_url="https://support.altilogix.example"
    )
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    db.expire_all()
    assert ticket.assignee_id is None
    assert db.scalar(select(func.count(PagerReply.id))) == 0


def test_a_technician_cannot_take_a_ticket_of_another_line_they_were_not_told_of(
    phone_app: Flask, db: Session
) -> None:
    urgent = the_ticket(db, place_call(phone_app, MORNING, to=CATA, techs=("ignore",) * 3))
    assert urgent.priority == Line.URGENT
    assert answer(sms(phone_app, JULIE, f"OK {urgent.number}")) == (
        f"Le billet {urgent.number} n'est pas d'une de vos lignes."
    )
    db.expire_all()
    assert urgent.assignee_id is None


def test_a_supervisor_may_take_any_open_ticket(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    ticket = _paged_ticket(phone_app, db, worker)
    assert answer(sms(phone_app, DAVID, "OK 1001")) == (
        "Ticket 1001 (Boulangerie Saint-Denis) is yours. The others have been told."
    )
    db.expire_all()
    assert ticket.assignee_id == _staff(db, DAVID).id


def test_two_copies_of_one_sms_at_once_act_once_and_get_the_same_answer(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL's row locks (SQLite has one writer at once)")
    _paged_ticket(phone_app, db, worker)
    context = helpdesk(phone_app)
    texts = pager.Texts(context.notices, context.hours.timezone)
    copy: list[str] = []
    with context.transaction() as first:  # the first copy is acting, not yet committed...
        sent = pager.Sms("SM" + "7" * 32, LUC, "OK 1001")
        first_answer = pager.receive(first, texts, sent)
        second = threading.Thread(
            target=lambda: copy.append(answer(sms(phone_app, LUC, "OK 1001", sid=sent.message_sid)))
        )
        second.start()  # ...when the second arrives: it waits on the MessageSid
        assert concurrency.waits_for_a_lock(db.get_bind(), second)
    concurrency.finish(second)
    assert copy == [first_answer]
    assert db.scalar(select(func.count(PagerReply.id))) == 1
    tasks = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.tell_taken")).all()
    assert len(tasks) == 1


def test_supervisors_see_who_is_off_duty_on_the_staff_page(phone_app: Flask, db: Session) -> None:
    from tests.console_world import HELENE, Staff, give_passwords

    give_passwords(db)
    sms(phone_app, LUC, "OFF")
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    page = helene.text("/console/staff")
    assert page.count("hors garde depuis le") == 1
    assert re.fullmatch(
        r"hors garde depuis le mar\. 1 déc\.( 2026)?, 10 h 00",
        re.findall(r"hors garde depuis le [^<]*", page)[0],
    )
