"""Pages that did not arrive are noticed: every SMS asks Twilio for its delivery status, and
Twilio's signed callback (POST /sms/status) of an undelivered page marks it failed, shows it
to the supervisors and pages the next person on duty."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import jobs
from helpdesk.context import Context
from models import (
    DeliveryState,
    Notification,
    NotificationChannel,
    OutboxState,
    OutboxTask,
    StaffMember,
    Ticket,
)
from sending import staff_notices
from tests.console_world import HELENE, give_passwords, signed_in
from tests.phone import MAIN, RecordingTwilioHttp, at, helpdesk, place_call, signed_post, the_ticket

LUC = "+15145550171"  # technician, first on regular duty
SOPHIE = "+15145550172"  # technician, next on regular duty
MORNING = at(2026, 12, 1, 10)
STATUS_URL = "https://support.altilogix.example/sms/status"


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


@pytest.fixture
def worker(phone_app: Flask, twilio_api: RecordingTwilioHttp) -> Context:
    return helpdesk(phone_app).replace(twilio_http=twilio_api)


def staff(db: Session, mobile: str) -> StaffMember:
    return db.scalars(select(StaffMember).where(StaffMember.mobile == mobile)).one()


def page_luc(app: Flask, db: Session, worker: Context) -> tuple[Ticket, Notification]:
    """A regular ticket, paged to Luc alone; the page as sent."""
    ticket = the_ticket(db, place_call(app, MORNING, press="6"))
    with time_machine.travel(MORNING, tick=False):
        staff_notices.notify_ticket(worker, ticket.id, [staff(db, LUC).id], only="sms")
    db.expire_all()
    page = db.scalars(select(Notification).where(Notification.recipient == LUC)).one()
    return ticket, page


def twilio_says(app: Flask, page: Notification, status: str, error: str = "") -> Any:
    """Twilio's status callback, as it posts it: a signed form."""
    params = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "From": MAIN,
        "To": page.recipient,
        "MessageSid": page.provider_id or "",
        "SmsSid": page.provider_id or "",
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error:
        params["ErrorCode"] = error
    with time_machine.travel(at(2026, 12, 1, 10, 1), tick=False):
        return signed_post(app, "/sms/status", params)


def pass_ons(db: Session) -> list[OutboxTask]:
    db.expire_all()
    return list(
        db.scalars(
            select(OutboxTask).where(
                OutboxTask.task == "ticket.notify", OutboxTask.key.like("%instead-of%")
            )
        )
    )


def test_every_page_asks_twilio_for_its_delivery_status(
    phone_app: Flask, db: Session, worker: Context, twilio_api: RecordingTwilioHttp
) -> None:
    page_luc(phone_app, db, worker)
    [sent] = [r["data"] for r in twilio_api.requests if r["url"].endswith("/Messages.json")]
    assert (sent["To"], sent["StatusCallback"]) == (LUC, STATUS_URL)


def test_an_undelivered_page_is_marked_failed_and_the_next_on_duty_is_paged(
    phone_app: Flask, db: Session, worker: Context, twilio_api: RecordingTwilioHttp
) -> None:
    ticket, page = page_luc(phone_app, db, worker)
    assert twilio_says(phone_app, page, "undelivered", "30003").status_code == 204
    db.expire_all()
    failed = db.get(Notification, page.id)
    assert failed is not None
    assert (failed.state, failed.last_error) == (
        DeliveryState.FAILED,
        "Twilio: undelivered (error 30003)",
    )
    [task] = pass_ons(db)
    assert (task.args["staff_ids"], task.args["only"]) == ([staff(db, SOPHIE).id], "sms")
    twilio_api.requests.clear()
    with time_machine.travel(at(2026, 12, 1, 10, 1), tick=False):
        jobs.perform(worker, task.id)
    assert [r["data"]["To"] for r in twilio_api.requests] == [SOPHIE]
    assert "1001" in twilio_api.requests[0]["data"]["Body"]
    assert ticket.number == 1001


def test_a_failed_page_shows_on_its_ticket_and_on_the_undelivered_page(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    page_luc(phone_app, db, worker)
    give_passwords(db)
    page = db.scalars(select(Notification).where(Notification.recipient == LUC)).one()
    twilio_says(phone_app, page, "failed", "30006")
    helene = signed_in(phone_app, HELENE)
    assert "Twilio: failed (error 30006)" in helene.text("/console/tickets/1001")
    undelivered = helene.text("/console/undelivered")
    assert "Twilio: failed (error 30006)" in undelivered and LUC in undelivered


def test_a_page_that_did_not_arrive_says_so_rather_than_that_it_will_be_tried_again(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    page_luc(phone_app, db, worker)
    give_passwords(db)
    page = db.scalars(select(Notification).where(Notification.recipient == LUC)).one()
    twilio_says(phone_app, page, "undelivered", "30003")
    helene = signed_in(phone_app, HELENE)
    for path in ("/console/tickets/1001", "/console/undelivered"):
        text = helene.text(path)
        assert "pas atteint le téléphone (Twilio)" in text
        assert "nouvel essai" not in text


def test_a_status_posted_twice_passes_the_page_on_once(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    _, page = page_luc(phone_app, db, worker)
    twilio_says(phone_app, page, "undelivered", "30003")
    twilio_says(phone_app, page, "undelivered", "30003")
    assert len(pass_ons(db)) == 1


def test_a_delivered_page_changes_nothing(phone_app: Flask, db: Session, worker: Context) -> None:
    _, page = page_luc(phone_app, db, worker)
    for status in ("queued", "sent", "delivered"):
        assert twilio_says(phone_app, page, status).status_code == 204
    db.expire_all()
    assert db.get(Notification, page.id).state == DeliveryState.SENT  # type: ignore[union-attr]
    assert pass_ons(db) == []


def test_a_page_of_a_ticket_somebody_took_is_not_passed_on(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    ticket, page = page_luc(phone_app, db, worker)
    db.get(Ticket, ticket.id).assignee_id = staff(db, SOPHIE).id  # type: ignore[union-attr]
    db.commit()
    twilio_says(phone_app, page, "undelivered", "30003")
    db.expire_all()
    assert db.get(Notification, page.id).state == DeliveryState.FAILED  # type: ignore[union-attr]
    assert pass_ons(db) == []


def test_a_status_callback_not_signed_by_twilio_is_refused(
    phone_app: Flask, db: Session, worker: Context
) -> None:
    _, page = page_luc(phone_app, db, worker)
    params = {"MessageSid": page.provider_id or "", "MessageStatus": "undelivered"}
    response = phone_app.test_client().post(
        "/sms/status", data=params, base_url="https://support.altilogix.example"
    )
    assert response.status_code == 403
    forged = signed_post(phone_app, "/sms/status", params, token="not-twilio-s-token")
    assert forged.status_code == 403
    db.expire_all()
    assert db.get(Notification, page.id).state == DeliveryState.SENT  # type: ignore[union-attr]


def test_the_status_of_an_sms_we_never_sent_is_ignored(phone_app: Flask, db: Session) -> None:
    ghost = Notification(
        key="ghost", channel=NotificationChannel.SMS, recipient=LUC, provider_id="SM" + "9" * 32
    )
    assert twilio_says(phone_app, ghost, "undelivered", "30003").status_code == 204
    assert db.scalars(select(OutboxTask).where(OutboxTask.state == OutboxState.PENDING)).all() == []
