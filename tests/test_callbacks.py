"""Click-to-call: the technician is rung first, presses 1, and the client's answer is the first
response the SLA measures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import callbacks
from helpdesk.context import Context
from models import (
    Call,
    CallbackRequest,
    CallbackState,
    CallDirection,
    CallOutcome,
    OutboxTask,
    StaffMember,
    Ticket,
)
from tests.phone import (
    BASE,
    RecordingTwilioHttp,
    at,
    helpdesk,
    place_call,
    signed_post,
    the_ticket,
)


@pytest.fixture
def worker_context(phone_app: Flask) -> Context:
    """The worker's context: Twilio credentials, and a recorder as Twilio's REST API."""
    return helpdesk(phone_app).replace(twilio_http=RecordingTwilioHttp())


def _recorded(context: Context) -> list[dict[str, Any]]:
    assert isinstance(context.twilio_http, RecordingTwilioHttp)
    return context.twilio_http.requests


def _setup(app: Flask, db: Session) -> tuple[Ticket, StaffMember, CallbackRequest]:
    ticket = the_ticket(db, place_call(app, at(2026, 12, 1, 10), press="6"))
    luc = db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()
    request = callbacks.request_callback(db, ticket, luc)
    db.commit()
    return ticket, luc, request


def test_the_technicians_phone_is_rung_first(
    phone_app: Flask, db: Session, worker_context: Context
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    callbacks.place_callback(worker_context, request.request_id)
    [sent] = _recorded(worker_context)
    assert sent["url"].endswith("/Calls.json")
    assert sent["data"]["To"] == "+15145550171"
    assert sent["data"]["From"] == "+15149826161"
    query = f"ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    assert sent["data"]["Url"] == f"{BASE}/voice/callback/technician?{query}"
    assert sent["data"]["StatusCallback"] == f"{BASE}/voice/callback/status?{query}"


def test_a_callback_request_is_placed_once(
    phone_app: Flask, db: Session, worker_context: Context
) -> None:
    _, _, request = _setup(phone_app, db)
    callbacks.place_callback(worker_context, request.request_id)
    callbacks.place_callback(worker_context, request.request_id)
    assert len(_recorded(worker_context)) == 1


def test_a_placed_callback_is_an_outbound_call_of_its_ticket_and_technician(
    phone_app: Flask, db: Session, worker_context: Context
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    callbacks.place_callback(worker_context, request.request_id)
    db.expire_all()
    outbound = db.scalars(select(Call).where(Call.direction == CallDirection.OUTBOUND)).one()
    assert (outbound.ticket_id, outbound.staff_member_id) == (ticket.id, luc.id)
    assert db.get(CallbackRequest, request.id).state == CallbackState.PLACED  # type: ignore[union-attr]


def test_the_technicians_leg_status_never_makes_a_phantom_inbound_call(
    phone_app: Flask, db: Session, worker_context: Context
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    callbacks.place_callback(worker_context, request.request_id)
    sid = f"CA{1:032d}"  # the recorder answers with its request count
    query = f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    signed_post(
        phone_app,
        f"/voice/callback/status{query}",
        {"CallSid": sid, "CallStatus": "completed", "CallDuration": "95"},
    )
    db.expire_all()
    inbound = db.scalars(select(Call).where(Call.direction == CallDirection.INBOUND)).all()
    assert len(inbound) == 1  # the client's own call, nothing else
    outbound = db.scalars(select(Call).where(Call.direction == CallDirection.OUTBOUND)).one()
    assert (outbound.status, outbound.duration_seconds) == ("completed", 95)
    assert outbound.outcome == CallOutcome.CALLBACK_NOT_REACHED


def test_pressing_1_dials_the_client_and_the_answer_is_the_first_response(
    phone_app: Flask, db: Session
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    leg = {"CallSid": "CA" + "5" * 32, "To": "+15145550171"}
    query = f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    intro = signed_post(phone_app, f"/voice/callback/technician{query}", leg)
    assert "Rappel du billet numéro 1 0 0 1, client Boulangerie Saint-Denis." in (
        intro.get_data(as_text=True)
    )
    connect = signed_post(phone_app, f"/voice/callback/connect{query}", {**leg, "Digits": "1"})
    number = ET.fromstring(connect.get_data(as_text=True)).find("Dial/Number")
    assert number is not None and number.text == "+15145550101"
    assert number.get("statusCallbackEvent") == "answered"
    with time_machine.travel(at(2026, 12, 1, 11, 5), tick=False):
        signed_post(
            phone_app,
            f"/voice/callback/answered{query}",
            {"CallSid": "CA" + "6" * 32, "CallStatus": "in-progress"},
        )
    db.refresh(ticket)
    assert ticket.first_response_at == at(2026, 12, 1, 11, 5)


def test_a_client_who_does_not_answer_leaves_the_ticket_waiting(
    phone_app: Flask, db: Session
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    query = f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    done = signed_post(
        phone_app,
        f"/voice/callback/done{query}",
        {"CallSid": "CA" + "5" * 32, "DialCallStatus": "no-answer"},
    )
    assert "Le client n'a pas répondu." in done.get_data(as_text=True)
    db.refresh(ticket)
    assert ticket.first_response_at is None
    told = select(OutboxTask.args).where(OutboxTask.task == "ticket.notify_contact")
    notices = db.scalars(told).all()
    assert [n["kind"] for n in notices] == ["callback_no_answer"]  # the client is told we tried


def test_the_command_queues_a_callback(phone_app: Flask, db: Session) -> None:
    the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    result = phone_app.test_cli_runner().invoke(
        args=["call", "back", "1001", "--staff", "luc@altilogix.example"]
    )
    assert result.exit_code == 0, result.output
    assert "callback of ticket 1001 queued for Luc Gagnon" in result.output
    assert db.scalars(select(OutboxTask.task).where(OutboxTask.task == "call.callback")).one()


def test_the_simulator_command_prints_what_the_caller_hears(phone_app: Flask, db: Session) -> None:
    runner: FlaskCliRunner = phone_app.test_cli_runner()
    result = runner.invoke(args=["call", "simulate", "--press", "6", "--at", "2026-12-01 10:15"])
    assert result.exit_code == 0, result.output
    assert "caller hears [fr-CA]: Un technicien vous rappellera au plus tard à 14 h 15." in (
        result.output
    )
    assert "status callback: completed" in result.output


def test_the_interactive_simulator_asks_at_each_menu(phone_app: Flask, db: Session) -> None:
    from tests.phone import MAIN, TOKEN
    from tools.simulator import Script, Simulator
    from tools.transports import InProcess

    asked: list[str] = []

    def keyboard(prompt: str) -> str:
        asked.append(prompt)
        return "6" if len(asked) == 1 else "-"

    script = Script(ask=keyboard)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        transcript = Simulator(InProcess(phone_app), TOKEN).place_call(
            f"{BASE}/voice/incoming", "+15145550101", MAIN, script
        )
    assert len(asked) == 1 and "Pour réentendre ces choix" in asked[0]
    # the whole greeting and menu, before the first question, not its last two lines
    assert asked[0].startswith("Bienvenue au soutien technique d'AltiLogix.")
    assert "Pour le soutien régulier, faites le 6." in asked[0].splitlines()
    assert "Nous avons ouvert le billet numéro 1 0 0 1." in transcript.heard()


def test_the_simulator_calls_a_running_server_over_http(phone_app: Flask, db: Session) -> None:
    import threading

    from werkzeug.serving import make_server

    from tests.phone import MAIN, TOKEN
    from tools.simulator import Script, Simulator
    from tools.transports import OverHttp

    server = make_server("127.0.0.1", 0, phone_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with OverHttp(f"http://127.0.0.1:{server.server_port}") as transport:
            transcript = Simulator(transport, TOKEN).place_call(
                f"{BASE}/voice/incoming", "+15145550101", MAIN, Script(inputs=["0"])
            )
    finally:
        server.shutdown()
        server.server_close()
    assert transcript.heard()[0] == "Bienvenue au soutien technique d'AltiLogix."
    assert transcript.kinds()[-1] == "status"
    assert not any(e.kind == "error" for e in transcript.entries)


def test_a_cata_call_out_of_hours_with_technicians_says_why_nobody_was_rung(
    phone_app: Flask, db: Session
) -> None:
    result = phone_app.test_cli_runner().invoke(
        args=["call", "simulate", "--to", "cata", "--tech", "accept", "--at", "2026-12-01 22:00"]
    )
    assert result.exit_code == 0, result.output
    assert "--tech was given but nobody was rung: the line was closed" in result.output


def test_a_technician_who_never_picks_up_leaves_the_callback_not_reached(
    phone_app: Flask, db: Session, worker_context: Context
) -> None:
    ticket, luc, request = _setup(phone_app, db)
    callbacks.place_callback(worker_context, request.request_id)
    query = f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    status = {"CallSid": f"CA{1:032d}", "CallStatus": "no-answer"}
    signed_post(phone_app, f"/voice/callback/status{query}", status)
    db.expire_all()
    assert db.get(CallbackRequest, request.id).state == CallbackState.NOT_REACHED  # type: ignore[union-attr]
    outbound = db.scalars(select(Call).where(Call.direction == CallDirection.OUTBOUND)).one()
    assert outbound.to_number == "+15145550171"  # the technician's mobile, rung first
