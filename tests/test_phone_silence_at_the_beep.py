"""Silence at the beep: the caller is asked once more, in every flow that records, and the
message left at the second beep is kept as a first one would be; a second silence ends the call
as before."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Recording
from tests.phone import CATA, MAIN, MARIE, at, event_kinds, place_call, the_call

NO_MESSAGE = "Nous n'avons pas reçu de message."
TRY_AGAIN = (
    "Vous pouvez essayer de nouveau. Après le bip, laissez votre message, puis faites le carré."
)
MORNING = at(2026, 12, 1, 10)

# Each flow that records: when, who calls which number, and the keys that lead to the beep.
FLOWS: dict[str, tuple[datetime, str, str, str]] = {
    "regular": (MORNING, MARIE, MAIN, "6"),
    "cata voicemail": (at(2026, 12, 1, 21), MARIE, CATA, ""),
    "general voicemail": (MORNING, MARIE, MAIN, "-,-,-"),
    "message to verify": (MORNING, "anonymous", MAIN, "-,6,1001#"),
    "addition": (at(2026, 12, 1, 11), MARIE, MAIN, "6,1"),
}


@pytest.mark.parametrize("flow", list(FLOWS))
def test_silence_at_the_beep_gets_one_more_try_and_the_message_is_kept(
    phone_app: Flask, db: Session, flow: str
) -> None:
    when, caller, to, press = FLOWS[flow]
    if flow == "addition":  # Marie's open ticket, to add to
        place_call(phone_app, MORNING, press="6")
    transcript = place_call(phone_app, when, caller=caller, to=to, press=press, recordings=(0,))
    heard = transcript.heard()
    assert heard.count(TRY_AGAIN) == 1
    assert heard[heard.index(TRY_AGAIN) - 1] == NO_MESSAGE
    assert NO_MESSAGE not in heard[heard.index(TRY_AGAIN) :]
    call = the_call(db, transcript)
    [recording] = db.scalars(select(Recording).where(Recording.call_id == call.id)).all()
    assert call.ticket_id is not None
    assert (recording.seconds, recording.ticket_id) == (12, call.ticket_id)
    assert event_kinds(call).count("no_message") == 1


def test_in_english_the_second_chance_is_in_english(phone_app: Flask, db: Session) -> None:
    heard = place_call(phone_app, MORNING, caller=MARIE, press="9,6", recordings=(0,)).heard()
    again = heard.index("You may try again. After the beep, leave your message, then press pound.")
    assert heard[again - 1] == "We did not receive a message."


def test_a_second_silence_ends_with_the_promise_and_no_third_beep(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, MORNING, press="6", record_seconds=0)
    assert transcript.heard()[-5:] == [
        TRY_AGAIN,
        NO_MESSAGE,
        "Votre numéro de billet est le 1 0 0 1.",
        "Un technicien vous rappellera au plus tard à 14 h.",
        "Au revoir.",
    ]
    assert [e.kind for e in transcript.entries].count("record") == 2
    assert event_kinds(the_call(db, transcript)).count("no_message") == 2
