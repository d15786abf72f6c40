"""A form sent twice (a double click, a browser sending it again after a slow answer) acts once:
one note, one time entry, one callback. A page shown again gives its forms new keys, so a second
note written there is a second note."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CallbackRequest, Ticket, TicketEventKind, TimeEntry
from tests.console_world import LUC, Staff, signed_in

PAGE = "/console/tickets/1001"


def _key(page: str, action: str) -> str:
    """The submission key of the page's form that posts to ``action``."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', form.group(1))
    assert found, f"the form posting to {action} has no submission key"
    return found.group(1)


def _twice(luc: Staff, action: str, fields: dict[str, str]) -> None:
    key = _key(luc.text(PAGE), action)
    for _copy in range(2):
        response = luc.post(action, {**fields, "submission": key}, page=PAGE)
        assert response.status_code == 302


def _notes(db: Session) -> list[str]:
    db.expire_all()
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    return [e.data.get("text", "") for e in ticket.events if e.kind == TicketEventKind.NOTE]


def test_a_note_sent_twice_from_one_page_is_added_once(desk: Flask, db: Session) -> None:
    fields = {"text": "Client told", "visibility": "public"}
    _twice(signed_in(desk, LUC), f"{PAGE}/notes", fields)
    assert _notes(db) == ["Client told"]


def test_the_copy_of_a_note_says_the_note_was_added(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    _twice(luc, f"{PAGE}/notes", {"text": "Client told"})
    assert "Note ajoutée." in luc.text(PAGE)


def test_a_time_entry_sent_twice_from_one_page_is_posted_once(desk: Flask, db: Session) -> None:
    fields = {"kind": "phone", "category": "support", "minutes": "20", "action": "post"}
    _twice(signed_in(desk, LUC), f"{PAGE}/time", fields)
    assert len(db.scalars(select(TimeEntry)).all()) == 1


def test_a_callback_asked_twice_from_one_page_rings_once(desk: Flask, db: Session) -> None:
    _twice(signed_in(desk, LUC), f"{PAGE}/call-back", {})
    assert len(db.scalars(select(CallbackRequest)).all()) == 1


def test_a_note_written_on_the_page_shown_again_is_a_second_note(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    for text in ("Called, no answer", "Called again, no answer"):
        key = _key(luc.text(PAGE), f"{PAGE}/notes")
        luc.post(f"{PAGE}/notes", {"text": text, "submission": key}, page=PAGE)
    assert _notes(db) == ["Called, no answer", "Called again, no answer"]


def test_a_refused_form_sent_again_once_corrected_is_acted_on(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    key = _key(luc.text(PAGE), f"{PAGE}/notes")
    luc.post(f"{PAGE}/notes", {"text": "   ", "submission": key}, page=PAGE)  # refused: empty
    luc.post(f"{PAGE}/notes", {"text": "Sage 50 reinstalled", "submission": key}, page=PAGE)
    assert _notes(db) == ["Sage 50 reinstalled"]


def test_a_form_filled_in_anew_with_its_old_key_is_a_new_note(desk: Flask, db: Session) -> None:
    # The browser's back button may restore a form, key and all, for a second note.
    luc = signed_in(desk, LUC)
    key = _key(luc.text(PAGE), f"{PAGE}/notes")
    for text in ("Called, no answer", "Called again, no answer"):
        luc.post(f"{PAGE}/notes", {"text": text, "submission": key}, page=PAGE)
    assert _notes(db) == ["Called, no answer", "Called again, no answer"]
