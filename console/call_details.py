"""What a step of a call's timeline says beyond its kind, from the step's data: who refused the
whisper, who did not answer, which language, why the line was closed, the ticket and the callback
promised, in the reader's language; and when, to the second."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import get_locale, gettext, lazy_gettext

from console.moments import to_the_second, when
from models import Call, CallEvent, CallEventKind, CallRing, WhisperAnswer
from routing.holidays_qc import NAMES as HOLIDAY_NAMES

_ = lazy_gettext

# Why the call went to the general voicemail (ivr/: the ``reason`` of /voice/voicemail).
VOICEMAIL_BECAUSE: dict[str, Any] = {
    "no_input": _("general voicemail: nothing pressed at the menu"),
    "invalid": _("general voicemail: wrong keys at the menu"),
    "reception_closed": _("general voicemail: the reception is closed"),
    "reception_no_answer": _("general voicemail: the reception did not answer"),
    "reception_unavailable": _("general voicemail: no reception number to ring (OFFICE_NUMBER)"),
}

# The caller's language, and how it was chosen (helpdesk.phone.choose_language's ``why``).
LANGUAGES: dict[str, Any] = {"fr": _("French"), "en": _("English")}
LANGUAGE_BECAUSE: dict[str, Any] = {
    "key": _("%(language)s: a key pressed at the greeting"),
    "default": _("%(language)s: no key pressed at the greeting"),
    "menu": _("%(language)s: chosen at the menu"),
}

# Why a schedule is closed (routing.calendar.Reason), in the words every page uses for it
# (console.filters.LABELS takes them too).
SCHEDULE_CLOSED: dict[str, Any] = {
    "closure": _("company closure"),
    "holiday": _("statutory holiday"),
    "weekend": _("weekend"),
    "day_off": _("no hours that day"),
    "before_hours": _("before opening"),
    "between_windows": _("between two opening windows"),
}
# Why the line was closed to a caller (a switch is a supervisor closing it).
CLOSED_BECAUSE: dict[str, Any] = {
    **SCHEDULE_CLOSED,
    "manual": _("closed by a supervisor"),
    "after_hours": _("after hours"),
}

# The promise the caller heard, by line (ivr/recordings.py: PROMISE_PROMPTS).
PROMISES: dict[str, Any] = {
    "regular": _("a technician will call back no later than %(when)s"),
    "urgent": _("a team member will call back within one business hour, no later than %(when)s"),
}

Names = Mapping[int, str]


def _name(names: Names, staff_id: object) -> str:
    return names.get(staff_id, "?") if isinstance(staff_id, int) else "?"


def _no_key(event: CallEvent) -> bool:
    """A whisper ended without a key: their phone's voicemail took it, or it rang out; not a
    refusal, though the line treats it as one and rings the next person."""
    return event.kind == CallEventKind.WHISPER_REFUSED and not event.data.get("digits")


def _whisper_refused(event: CallEvent, _call: Call, names: Names) -> str:
    who = _name(names, event.data.get("staff_id"))
    if _no_key(event):
        return str(gettext("%(name)s (their voicemail, or no answer)", name=who))
    return str(gettext("refused by %(name)s", name=who))


def _by(event: CallEvent, _call: Call, names: Names) -> str:
    if event.data.get("to") == "reception":
        return str(gettext("the reception"))
    staff_id = event.data.get("staff_id")
    return _name(names, staff_id) if staff_id is not None else ""


def _rung(event: CallEvent, _call: Call, names: Names) -> str:
    return ", ".join(_name(names, i) for i in event.data.get("staff_ids", []))


def _no_answer(event: CallEvent, call: Call, names: Names) -> str:
    if event.data.get("to") == "reception":
        return str(gettext("the reception did not answer"))
    if event.data.get("why"):
        return str(gettext("nobody on duty with a mobile"))
    silent = [_name(names, r.staff_member_id) for r in call.rings if r.answer is None]
    if not silent:
        return ""
    return str(gettext("did not answer: %(names)s", names=", ".join(silent)))


def _voicemail(event: CallEvent, _call: Call, _names: Names) -> str:
    reason = VOICEMAIL_BECAUSE.get(str(event.data.get("reason", "")))
    return str(reason) if reason is not None else ""


def _moment(raw: object) -> datetime | None:
    """A moment the step's data keeps as ISO 8601 (None when absent or unreadable)."""
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _language(event: CallEvent, _call: Call, _names: Names) -> str:
    language = LANGUAGES.get(str(event.data.get("language", "")))
    if language is None:
        return ""
    because = LANGUAGE_BECAUSE.get(str(event.data.get("why", "")))
    return str(because % {"language": language}) if because is not None else str(language)


def _closed(event: CallEvent, _call: Call, _names: Names) -> str:
    """Why: "statutory holiday (Christmas Day)", "company closure (Moving day)", "after hours"."""
    reason = CLOSED_BECAUSE.get(str(event.data.get("reason", "")))
    holiday = HOLIDAY_NAMES.get(str(event.data.get("holiday", "")))
    closure = event.data.get("closure")
    which = holiday["en" if str(get_locale()) == "en" else "fr"] if holiday else closure
    if reason is None:
        return ""
    return f"{reason} ({which})" if isinstance(which, str) and which else str(reason)


def _ticket(event: CallEvent, _call: Call, _names: Names) -> str:
    number = event.data.get("number")
    if number is None:
        return ""
    if event.data.get("to_verify"):
        return str(gettext("ticket %(number)s, a message to verify (no promise)", number=number))
    due = _moment(event.data.get("due_at"))
    if due is None:
        return str(gettext("ticket %(number)s", number=number))
    return str(gettext("ticket %(number)s, due %(when)s", number=number, when=when(due)))


def _promise(event: CallEvent, _call: Call, _names: Names) -> str:
    due = _moment(event.data.get("due_at"))
    promise = PROMISES.get(str(event.data.get("line", "")))
    if due is None or promise is None:
        return ""
    return str(promise % {"when": when(due)})


DETAILS: dict[str, Callable[[CallEvent, Call, Names], str]] = {
    "language_chosen": _language,
    "closed": _closed,
    "ticket_opened": _ticket,
    "promise_given": _promise,
    "whisper_refused": _whisper_refused,
    "whisper_accepted": _by,
    "connected": _by,
    "technicians_rung": _rung,
    "no_answer": _no_answer,
    "voicemail": _voicemail,
}


def detail(event: CallEvent, call: Call, names: Names) -> str:
    """The step's who and where, or "" when its kind says it all."""
    describe = DETAILS.get(event.kind.value)
    return describe(event, call, names) if describe is not None else ""


def moment(at: datetime | None, call: Call) -> str:
    """When a step happened, to the second (its day too when not the call's first)."""
    return to_the_second(at, call.started_at)


def kind(event: CallEvent) -> str:
    """The step's kind as the timeline names it: a whisper left without a key is not called a
    refusal."""
    return "whisper_no_key" if _no_key(event) else event.kind.value


def ring_answer(ring: CallRing, call: Call) -> str:
    """What a rung technician did, in words: accepted, refused, no key, or no answer."""
    if ring.answer is None:
        return str(gettext("no answer"))
    if ring.answer == WhisperAnswer.REFUSED and any(
        _no_key(e) and e.data.get("staff_id") == ring.staff_member_id for e in call.events
    ):
        return str(gettext("no key pressed (their voicemail, or no answer)"))
    return str(RING_ANSWERS[ring.answer])


RING_ANSWERS: dict[WhisperAnswer, Any] = {
    WhisperAnswer.ACCEPTED: _("accepted"),
    WhisperAnswer.REFUSED: _("refused"),
}
