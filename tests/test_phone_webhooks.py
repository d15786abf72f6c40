"""The webhooks themselves: signatures, twice-sent requests, bad input, failures."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk import replay
from models import Call, CallOutcome, OutboxState, OutboxTask, Recording, Ticket, TicketEventKind
from settings import ConfigError
from tests.conftest import app_config
from tests.mailing import run_due_tasks
from tests.phone import (
    BASE,
    MAIN,
    MARIE,
    TOKEN,
    RecordingTwilioHttp,
    at,
    call_by_sid,
    helpdesk,
    place_call,
    signed_post,
    the_call,
)
from tools.simulator import Script, Simulator, Transcript
from tools.transports import InProcess

CALL = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": MARIE, "To": MAIN}


def verbs(body: str) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return [child.tag for child in root]


# -- signatures ---------------------------------------------------------------------------------


def test_an_unsigned_request_is_refused(phone_app: Flask) -> None:
    response = phone_app.test_client().post("/voice/incoming", data=CALL, base_url=BASE)
    assert response.status_code == 403


def test_a_request_signed_with_another_token_is_refused(phone_app: Flask) -> None:
    assert signed_post(phone_app, "/voice/incoming", CALL, token="not-ours").status_code == 403


def test_a_signature_for_other_parameters_is_refused(phone_app: Flask) -> None:
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}/voice/incoming", CALL)
    forged = {**CALL, "From": "+15145550199"}
    response = phone_app.test_client().post(
        "/voice/incoming", data=forged, base_url=BASE, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_the_signature_is_checked_against_the_public_url_behind_a_proxy(phone_app: Flask) -> None:
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}/voice/incoming", CALL)
    response = phone_app.test_client().post(
        "/voice/incoming",
        data=CALL,
        base_url="http://10.0.0.5:8000",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200


def test_switching_the_check_off_is_refused_in_production() -> None:
    with pytest.raises(ConfigError, match="TWILIO_SKIP_SIGNATURE"):
        create_app(
            {
                "TWILIO_SKIP_SIGNATURE": True,
                "SECRET_KEY": "s",
                "TWILIO_AUTH_TOKEN": "t",
                "PUBLIC_BASE_URL": BASE,
                "DATABASE_URL": "sqlite://",
            }
        )


# -- twice-sent requests ------------------------------------------------------------------------


def test_a_twice_sent_webhook_gets_the_same_twiml_and_one_ticket(
    phone_app: Flask, db: Session
) -> None:
    import time_machine

    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        signed_post(phone_app, "/voice/incoming", CALL)
        first = signed_post(phone_app, "/voice/regular", CALL)
        second = signed_post(phone_app, "/voice/regular", CALL)
        recording = {
            **CALL,
            "RecordingUrl": "https://api.twilio.com/r/RE1",
            "RecordingSid": "RE1",
            "RecordingDuration": "9",
        }
        done = [signed_post(phone_app, "/voice/recorded?kind=regular", recording) for _ in "12"]
    assert first.get_data() == second.get_data()
    assert done[0].get_data() == done[1].get_data()
    assert db.scalar(select(func.count(Ticket.id))) == 1
    ticket = db.scalars(select(Ticket)).one()
    assert [e.kind for e in ticket.events].count(TicketEventKind.MESSAGE) == 1
    tasks = sorted(key or "" for key in db.scalars(select(OutboxTask.key)))
    recording_id = db.scalars(select(Recording.id)).one()
    assert tasks == [
        f"recording-{recording_id}-copy",
        f"ticket-{ticket.id}-follow-up",
        f"ticket-{ticket.id}-follow-up-safety-net",
    ]


def test_every_gather_is_followed_by_another_verb(phone_app: Flask) -> None:
    documents = [
        *place_call(phone_app, at(2026, 12, 1, 10), press="-,-,-").documents,
        *place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("voicemail",)).documents,
        *place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6").documents,
    ]
    for body in documents:
        tags = verbs(body)
        for index, tag in enumerate(tags):
            if tag == "Gather":
                assert index + 1 < len(tags), body


def test_every_say_has_a_language_and_a_voice(phone_app: Flask) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("accept",))
    for body in transcript.documents:
        for say in ET.fromstring(body).iter("Say"):
            assert say.get("language") in {"fr-CA", "en-CA"} and say.get("voice"), body


# -- bad input ----------------------------------------------------------------------------------


def test_a_request_without_a_call_sid_ends_politely(phone_app: Flask) -> None:
    response = signed_post(phone_app, "/voice/incoming", {"From": MARIE})
    assert response.status_code == 200
    assert verbs(response.get_data(as_text=True)) == ["Say", "Say", "Hangup"]


@pytest.mark.parametrize("digits", ["9#*x", "66", "*#", "\u00e9"])
def test_garbage_keys_are_invalid_and_re_prompt(phone_app: Flask, digits: str) -> None:
    signed_post(phone_app, "/voice/incoming", CALL)
    response = signed_post(phone_app, "/voice/menu/choice", {**CALL, "Digits": digits})
    assert response.status_code == 200
    assert verbs(response.get_data(as_text=True)) == ["Say", "Redirect"]


def test_a_huge_speech_result_is_cut_and_re_prompts(phone_app: Flask) -> None:
    response = signed_post(phone_app, "/voice/menu/choice", {**CALL, "SpeechResult": "bla " * 2600})
    assert response.status_code == 200
    assert verbs(response.get_data(as_text=True)) == ["Say", "Redirect"]


def test_bytes_that_are_not_utf8_get_twiml_not_a_crash(engine_url: str, phone_app: Flask) -> None:
    # No client can sign bytes Twilio would never send, so this one app skips the check.
    unsigned = create_app(app_config(engine_url, TWILIO_SKIP_SIGNATURE=True))
    response = unsigned.test_client().post(
        "/voice/menu/choice",
        data=b"CallSid=CA1&Digits=%FF%FE&SpeechResult=%C3%28",
        base_url=BASE,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert verbs(response.get_data(as_text=True)) == ["Say", "Redirect"]


def test_nonsense_in_the_apps_own_counters_is_ignored(phone_app: Flask) -> None:
    response = signed_post(phone_app, "/voice/menu?silent=abc&invalid=-4", CALL)
    assert response.status_code == 200
    assert verbs(response.get_data(as_text=True)) == ["Gather", "Say", "Redirect"]


def test_a_status_callback_for_an_unknown_call_is_recorded(phone_app: Flask, db: Session) -> None:
    response = signed_post(
        phone_app,
        "/voice/status",
        {"CallSid": "CA" + "9" * 32, "CallStatus": "weird", "CallDuration": "x"},
    )
    assert response.status_code == 200
    call = db.scalars(select(Call)).one()
    assert (call.status, call.outcome) == ("unknown", None)


def test_a_failing_step_apologizes_and_takes_a_message(
    phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("helpdesk.phone.identify", broken)
    response = signed_post(phone_app, "/voice/incoming", CALL)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert verbs(body) == ["Say", "Say", "Say", "Record", "Say", "Hangup"]
    assert "/voice/recorded?kind=voicemail&amp;after_error=1" in body


def test_the_fallback_url_takes_a_message(phone_app: Flask) -> None:
    response = signed_post(phone_app, "/voice/fallback", CALL)
    assert verbs(response.get_data(as_text=True)) == [
        "Say",
        "Say",
        "Say",
        "Record",
        "Say",
        "Hangup",
    ]


class HostDiesOnce(InProcess):
    """A web host that dies while answering the first request for ``path``: no answer at all."""

    def __init__(self, app: Flask, path: str) -> None:
        super().__init__(app)
        self.path, self.died = path, False

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        if not self.died and urlsplit(url).path == self.path:
            self.died = True
            raise ConnectionResetError("the host died before it answered")
        return super().post(url, params, signature)


def _message_met_by_the_fallback(app: Flask) -> Transcript:
    """Marie's call to regular support whose message step gets no answer (its host dies), so
    that Twilio turns to the number's fallback URL with her recording."""
    simulator = Simulator(
        HostDiesOnce(app, "/voice/recorded"), TOKEN, fallback_url=f"{BASE}/voice/fallback"
    )
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        return simulator.place_call(
            f"{BASE}/voice/incoming", MARIE, MAIN, Script(inputs=["6"], record_seconds=12)
        )


def test_a_message_step_that_gets_no_answer_turns_to_the_fallback_and_the_message_is_kept(
    phone_app: Flask, db: Session
) -> None:
    transcript = _message_met_by_the_fallback(phone_app)
    assert replay.replay_spool(helpdesk(phone_app)) == 1
    assert "/voice/fallback" in [e.text for e in transcript.entries if e.kind == "request"]
    assert "application error" not in str(transcript)
    assert "Merci, votre message est enregistré." in transcript.heard()
    call = the_call(db, transcript)
    [recording] = db.scalars(select(Recording).where(Recording.call_id == call.id)).all()
    assert (recording.ticket_id, recording.seconds) == (call.ticket_id, 12)
    assert (call.status, call.outcome) == ("completed", CallOutcome.MESSAGE)


def test_technicians_told_before_a_fallback_message_is_written_back_are_told_of_it(
    phone_app: Flask, db: Session
) -> None:
    _message_met_by_the_fallback(phone_app)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        # the call's end: its follow-up and the technicians' notices go
        run_due_tasks(helpdesk(phone_app).replace(twilio_http=RecordingTwilioHttp()))
    assert replay.replay_spool(helpdesk(phone_app)) == 1
    db.expire_all()
    tasks = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.notify")).all()
    assert [t.args["notice"] for t in tasks if t.state == OutboxState.PENDING] == ["addition"]


def test_the_caller_whose_message_met_the_fallback_is_not_asked_to_record_it_again(
    phone_app: Flask,
) -> None:
    transcript = _message_met_by_the_fallback(phone_app)
    assert [e.text for e in transcript.entries if e.kind == "record"] == ["12 s of message"]


def test_a_caller_who_left_nothing_is_not_told_a_message_is_saved_when_the_step_fails(
    phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("helpdesk.phone.support_message", broken)
    heard = place_call(phone_app, at(2026, 12, 1, 10), press="6", record_seconds=0).heard()
    assert "Merci, votre message est enregistré." not in heard
    assert heard[-4:] == [
        "Nous éprouvons présentement des difficultés techniques.",
        "We are experiencing technical difficulties.",
        "Au revoir.",
        "Goodbye.",
    ]


def test_the_fallback_after_an_early_step_apologizes_and_takes_a_message(phone_app: Flask) -> None:
    failed = {**CALL, "ErrorCode": "11200", "ErrorUrl": f"{BASE}/voice/menu?invalid=1"}
    body = signed_post(phone_app, "/voice/fallback", failed).get_data(as_text=True)
    assert verbs(body) == ["Say", "Say", "Say", "Record", "Say", "Hangup"]


def test_the_fallback_keeps_nothing_from_a_url_that_is_not_the_apps(phone_app: Flask) -> None:
    failed = {
        **CALL,
        "RecordingUrl": "https://api.twilio.example/r",
        "ErrorUrl": "https://elsewhere.example/voice/recorded?kind=regular",
    }
    body = signed_post(phone_app, "/voice/fallback", failed).get_data(as_text=True)
    assert verbs(body) == ["Say", "Say", "Say", "Record", "Say", "Hangup"]
    assert replay.replay_spool(helpdesk(phone_app)) == 0


def test_log_lines_carry_no_phone_number_and_no_token(
    phone_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    signed_post(phone_app, "/voice/incoming", CALL, token="forged")
    text = caplog.text
    assert "5550101" not in text and TOKEN not in text


def test_the_call_row_keeps_the_menu_path(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="*,6")
    from helpdesk.calllog import menu_path

    assert menu_path(the_call(db, transcript)) == ["repeat", "regular"]


def test_with_the_database_down_the_caller_still_gets_an_answer() -> None:
    app = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    incoming = signed_post(app, "/voice/incoming", CALL)
    assert incoming.status_code == 200
    # The caller still leaves a message: Twilio records it, whatever is down here.
    assert verbs(incoming.get_data(as_text=True)) == [
        "Say",
        "Say",
        "Say",
        "Record",
        "Say",
        "Hangup",
    ]
    recorded = signed_post(app, "/voice/recorded?kind=voicemail&after_error=1", CALL)
    assert recorded.status_code == 200
    assert verbs(recorded.get_data(as_text=True)) == ["Say", "Say", "Say", "Say", "Hangup"]


def test_an_oversized_request_is_refused_before_parsing(phone_app: Flask) -> None:
    response = phone_app.test_client().post(
        "/voice/incoming",
        data={"CallSid": "CA1", "Junk": "x" * 300_000},
        base_url=BASE,
        headers={"X-Twilio-Signature": "anything"},
    )
    assert response.status_code == 413


def test_copies_of_a_webhook_at_once_open_one_ticket_even_on_a_busy_machine(
    phone_app: Flask, db: Session
) -> None:
    """Twilio may send a webhook again while the first is still running: on both databases,
    round after round, with other processes taking the CPU, one ticket and one answer."""
    import subprocess
    import sys
    import threading

    import time_machine

    burners = [
        subprocess.Popen(
            [sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<60: pass"]
        )
        for _ in range(2)
    ]
    try:
        with time_machine.travel(at(2026, 12, 1, 10), tick=True):
            for round_ in range(6):
                call = {**CALL, "CallSid": f"CA{round_:032d}"}
                signed_post(phone_app, "/voice/incoming", call)
                answers: list[bytes] = []
                barrier = threading.Barrier(6)

                def twin(
                    call: dict[str, str] = call,
                    barrier: threading.Barrier = barrier,
                    answers: list[bytes] = answers,
                ) -> None:
                    barrier.wait()
                    answers.append(signed_post(phone_app, "/voice/regular?new=1", call).get_data())

                threads = [threading.Thread(target=twin) for _ in range(6)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                assert len(set(answers)) == 1, f"round {round_}: the copies answered differently"
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert db.scalar(select(func.count(Ticket.id))) == 6


def test_hostile_values_in_signed_urls_never_reach_a_job(phone_app: Flask, db: Session) -> None:
    """A NUL byte or garbage in a query value (the URL is signed, but Twilio signs what it is
    given) is cleaned before anything is stored; the supervisors' job then runs on it."""
    from sending import staff_notices
    from tests.phone import helpdesk

    call = {**CALL, "CallSid": "CA" + "6" * 32, "From": "anonymous"}
    entered = signed_post(
        phone_app, "/voice/account/entered?line=%00&tries=%00", {**call, "Digits": "10\x0001#"}
    )
    assert entered.status_code == 200
    recording = {**call, "RecordingUrl": "https://api.twilio.example/RE1", "RecordingDuration": "x"}
    done = signed_post(
        phone_app, "/voice/recorded?kind=verify%00&client=%00&account=%00", recording
    )
    assert done.status_code == 200 and "<Say" in done.get_data(as_text=True)
    ticket = db.scalars(select(Ticket)).one()
    assert call_by_sid(db, call["CallSid"]).account_given == "1001"
    staff_notices.ask_verification(helpdesk(phone_app), ticket.id)


def test_a_call_first_seen_at_its_recording_still_names_its_caller(
    phone_app: Flask, db: Session
) -> None:
    recording = {
        "CallSid": "CA" + "5" * 32,
        "From": "+15145550199",
        "To": MAIN,
        "RecordingUrl": "https://api.twilio.example/RE2",
        "RecordingDuration": "9",
    }
    signed_post(phone_app, "/voice/recorded?kind=voicemail", recording)
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.requester, ticket.subject) == ("+15145550199", "+15145550199")
