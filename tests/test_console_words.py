"""Every word of the console in its reader's language: the labels of every stored value a page
can show, refusals, ticket subjects composed from data, dates with their weekday, phone numbers
in their national form, and each staff member's own choice of language."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import time_machine
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

import billing.vocabulary
import models.enums
import routing.calendar
import sending
from console import conversation, filters, forms, moments
from helpdesk.calllog import CALL_STATUSES
from helpdesk.ticket_rules import Act
from mail.reading.message import UNREADABLE
from models import Channel, Language, Line, StaffMember, Ticket
from tests.console_world import DAVID, HELENE, LUC, give_passwords, signed_in
from tests.phone import STRANGER, at, place_call
from web.languages import TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
# Which table words each vocabulary a template shows (console/filters.py).
WORDED_BY: list[tuple[dict[str, Any], list[str]]] = [
    (filters.CALL_EVENTS, [k.value for k in models.enums.CallEventKind]),
    (filters.TICKET_EVENTS, [k.value for k in models.enums.TicketEventKind]),
    (filters.DELIVERY, [s.value for s in models.enums.DeliveryState]),
    (filters.DELIVERY, [r.value for r in models.enums.HoldReason]),
    (filters.DELIVERY, list(sending.FAILURES)),
    (filters.NOTE_TOLD, list(conversation.TOLD_ALL)),
    (filters.INVITATION_TOLD, list(conversation.TOLD_ALL)),
]
SHOWN_BY_LABEL: list[type[StrEnum]] = [
    models.enums.Language,
    models.enums.Line,
    models.enums.Role,
    models.enums.Channel,
    models.enums.TicketStatus,
    models.enums.MailDirection,
    models.enums.NotificationChannel,
    models.enums.OutboxState,
    models.enums.WorkKind,
    models.enums.WorkCategory,
    models.enums.BankReason,
    models.enums.CallDirection,
    models.enums.CallOutcome,
    models.enums.WhisperAnswer,
    models.enums.CallbackState,
    billing.vocabulary.Reason,
    routing.calendar.Reason,
]


def _menu_destinations() -> list[str]:
    menu = tomllib.loads((ROOT / "ivr" / "menu.toml").read_text(encoding="utf-8"))
    return [option["destination"] for option in menu["option"]]


def _labelled_values() -> list[str]:
    values = [member.value for vocabulary in SHOWN_BY_LABEL for member in vocabulary]
    values += [*sorted(CALL_STATUSES), "unknown"]  # a call's status, as Twilio says it
    values += [*UNREADABLE, "too_big", "http", "imap", "pipe"]  # the quarantine's columns
    return values + _menu_destinations()


def _french() -> dict[str, str]:
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def _msgid(lazy: Any) -> str:
    with force_locale("en"):
        return str(lazy)


@pytest.fixture
def reader() -> Iterator[Flask]:
    """A request of a bare app that speaks the console's catalog, in Montreal time."""
    app = Flask(__name__)
    app.config.update(
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS), BABEL_DEFAULT_TIMEZONE="America/Montreal"
    )
    Babel(app)
    filters.register(app)
    with app.test_request_context():
        yield app


def test_every_value_a_page_can_show_has_its_english_and_french_label(reader: Flask) -> None:
    french = _french()
    missing = [v for v in _labelled_values() if v not in filters.LABELS]
    missing += [v for table, values in WORDED_BY for v in values if v not in table]
    assert missing == []
    tables = [filters.LABELS, filters.CALL_EVENTS, filters.TICKET_EVENTS, filters.DELIVERY]
    tables += [filters.NOTE_TOLD, filters.INVITATION_TOLD]
    untranslated = [key for t in tables for key, text in t.items() if not french.get(_msgid(text))]
    assert untranslated == []


def test_a_french_page_shows_no_raw_code_for_a_call_status_or_a_quarantine_reason(
    reader: Flask,
) -> None:
    with force_locale("fr"):
        assert [filters.label(s) for s in ("in-progress", "completed", "no-answer")] == [
            "en cours",
            "terminé",
            "sans réponse",
        ]
        assert filters.label("not_a_message") == "pas un courriel"
        assert filters.ticket_event("email_in") == "courriel du client"
    with force_locale("en"):
        assert filters.label("in-progress") == "in progress"


def _refusal_keys() -> set[str]:
    """Every refusal key the code raises: Refused and its kinds, with a literal key."""
    kinds = {"Refused", "InvalidEntry", "TicketStateError", "CallbackRefused"}
    keys: set[str] = set()
    for package in ("billing", "helpdesk", "console", "directory"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) in kinds
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    keys.add(str(node.args[0].value))
    return keys | {f"cannot_{act.value}" for act in Act}


def test_every_refusal_the_code_raises_has_its_words_in_both_languages(reader: Flask) -> None:
    keys = _refusal_keys()
    assert len(keys) > 60  # the scan found the services' refusals
    assert sorted(keys - set(forms.REFUSALS)) == []
    french = _french()
    assert [k for k in keys if not french.get(_msgid(forms.REFUSALS[k]))] == []


def test_a_refusal_reads_in_the_readers_language_with_its_values_worded(reader: Flask) -> None:
    from billing import InvalidEntry
    from helpdesk.ticket_rules import TicketStateError

    closed = TicketStateError(
        "cannot_resolve", "ticket %(number)s is %(status)s", number=1001, status="closed"
    )
    taken = InvalidEntry("invoice_taken", "invoice: %(invoice)s", invoice="INV-2")
    why = InvalidEntry("say_why", "%(field)s: say why", field="urgency_reason")
    with force_locale("fr"):
        assert forms.refusal_text(closed) == (
            "le billet 1001 est fermé : il ne peut pas être résolu"
        )
        assert forms.refusal_text(taken) == "facture : INV-2 est déjà inscrite pour ce client"
        assert forms.refusal_text(why) == "raison de l'urgence : dites pourquoi"
    with force_locale("en"):
        assert forms.refusal_text(closed) == "ticket 1001 is closed: it cannot be resolved"


def _ticket(subject: str, *, to_verify: bool = False, channel: Channel = Channel.PHONE) -> Ticket:
    return Ticket(
        number=1, subject=subject, channel=channel, priority=Line.REGULAR, to_verify=to_verify
    )


@pytest.mark.parametrize(
    ("stored", "to_verify", "french", "english"),
    [
        ("Marie Tremblay", False, "Marie Tremblay (régulier)", "Marie Tremblay (regular)"),
        (
            "Marie Tremblay (regular)",
            False,
            "Marie Tremblay (régulier)",
            "Marie Tremblay (regular)",
        ),
        (
            "unknown caller: message",
            True,
            "appelant inconnu : message (régulier)",
            "unknown caller: message (regular)",
        ),
        ("", True, "appelant inconnu : message (régulier)", "unknown caller: message (regular)"),
        (
            "+15145550199",
            True,
            "(514) 555-0199 : message (régulier)",
            "(514) 555-0199: message (regular)",
        ),
    ],
)
def test_a_phone_tickets_subject_is_composed_in_the_readers_language(
    reader: Flask, stored: str, to_verify: bool, french: str, english: str
) -> None:
    with force_locale("fr"):
        assert filters.subject(_ticket(stored, to_verify=to_verify)) == french
    with force_locale("en"):
        assert filters.subject(_ticket(stored, to_verify=to_verify)) == english


def test_an_emails_subject_is_its_own_and_none_is_said_in_the_readers_language(
    reader: Flask,
) -> None:
    with force_locale("en"):
        assert filters.subject(_ticket("Imprimante", channel=Channel.EMAIL)) == "Imprimante"
        assert filters.subject(_ticket("(sans objet)", channel=Channel.EMAIL)) == "(no subject)"


def test_a_moment_has_its_weekday_in_each_languages_style(reader: Flask) -> None:
    moment = datetime(2026, 12, 7, 17, 25, tzinfo=UTC)  # 12:25 in Montreal
    with time_machine.travel(datetime(2026, 12, 8, tzinfo=UTC), tick=False):
        with force_locale("fr"):
            assert moments.when(moment) == "lun. 7 déc., 12 h 25"
        with force_locale("en"):
            assert moments.when(moment) == "Mon Dec 7, 12:25 PM"
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False), force_locale("fr"):
        assert moments.when(moment) == "lun. 7 déc. 2026, 12 h 25"  # another year says it


def test_a_phone_number_is_shown_in_its_national_form_as_a_tel_link(reader: Flask) -> None:
    assert str(filters.phone("+15145550142")) == (
        '<a class="tel" href="tel:+15145550142">(514) 555-0142</a>'
    )
    assert str(filters.phone("+33142685300")) == (
        '<a class="tel" href="tel:+33142685300">+33 1 42 68 53 00</a>'
    )
    assert str(filters.phone("<b>anonymous</b>")) == "&lt;b&gt;anonymous&lt;/b&gt;"


def test_a_time_entry_line_says_what_was_worked_and_what_was_charged(reader: Flask) -> None:
    template = (ROOT / "console" / "templates" / "_conversation.html").read_text()
    assert "%(worked)s worked, %(charged)s charged" in template
    with force_locale("fr"):
        from flask_babel import gettext

        line = gettext("%(worked)s worked, %(charged)s charged", worked="20 min", charged="30 min")
    assert line == "20 min travaillées, 30 min facturées"


def test_a_staff_member_chooses_their_own_language(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    luc = signed_in(phone_app, LUC)
    assert "Mes billets" in luc.text("/console/")
    answer = luc.post("/console/language?next=/console/tickets/", {"language": "en"})
    assert answer.headers["Location"] == "/console/tickets/"
    assert "My tickets" in luc.text("/console/")
    db.expire_all()
    person = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    assert person.language == Language.EN
    assert "Mes billets" in signed_in(phone_app, HELENE).text("/console/")  # hers is unchanged


def test_a_language_that_does_not_exist_is_refused_in_the_readers_language(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    david = signed_in(phone_app, DAVID)
    david.post("/console/language", {"language": "xx"})
    assert "Refused: unknown value xx" in david.text("/console/")


def test_a_message_ticket_from_a_stranger_reads_in_each_readers_language(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="6")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.subject == "+15145550199"  # who called: no words stored in one language
    french = signed_in(phone_app, HELENE).text(f"/console/tickets/{ticket.number}")
    english = signed_in(phone_app, DAVID).text(f"/console/tickets/{ticket.number}")
    assert re.search(r'<p class="subject">\(514\) 555-0199 : message \(régulier\)</p>', french)
    assert re.search(r'<p class="subject">\(514\) 555-0199: message \(regular\)</p>', english)
    assert 'href="tel:+15145550199"' in french


def test_a_withheld_caller_id_is_said_in_words_not_as_twilios_code(reader: Flask) -> None:
    with force_locale("fr"):
        assert str(filters.phone("anonymous")) == "numéro masqué"
    with force_locale("en"):
        assert str(filters.phone("restricted")) == "hidden number"
        assert str(filters.phone("")) == ""


def test_time_past_a_deadline_reads_in_each_languages_style(reader: Flask) -> None:
    late = -timedelta(hours=20, minutes=59)
    with force_locale("fr"):
        assert filters.time_left(late) == "en retard de 20 h 59"
    with force_locale("en"):
        assert filters.time_left(late) == "20 hr 59 min late"


# A French colon, question or exclamation mark has a space before it: "Solde : 0 min", "Ouvert ?".
_TIGHT_FRENCH_MARK = re.compile(r"(?<=[^\s\u00a0\u202f])[:?!](?!//)")
_NOT_WORDS = re.compile(r"%\([a-z_]+\)[sdf]|https?://\S+|\d+:\d+")


def test_french_puts_a_space_before_a_colon_a_question_or_an_exclamation_mark() -> None:
    french = _french().values()
    assert [t for t in french if _TIGHT_FRENCH_MARK.search(_NOT_WORDS.sub("", t))] == []


def test_no_page_glues_a_colon_to_a_translated_label() -> None:
    """A label and its value are joined by colon(), which spaces it in French."""
    glued = re.compile(r"(\}\}|%\})\s?: ")
    pages = sorted(Path("console/templates").glob("*.html"))
    assert [p.name for p in pages if glued.search(p.read_text(encoding="utf-8"))] == []
