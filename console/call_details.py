"""What a step of a call's timeline says beyond its kind: who refused the whisper, who did not
answer, where a voicemail answered, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext

from models import Call, CallEvent, CallEventKind, CallRing, WhisperAnswer

_ = lazy_gettext

# Why the call went to the general voicemail (ivr/: the ``reason`` of /voice/voicemail).
VOICEMAIL_BECAUSE: dict[str, Any] = {
    "no_input": _("general voicemail: nothing pressed at the menu"),
    "invalid": _("general voicemail: wrong keys at the menu"),
    "reception_closed": _("general voicemail: the reception is closed"),
    "reception_no_answer": _("general voicemail: the reception did not answer"),
    "reception_unavailable": _("general voicemail: no reception number to ring (OFFICE_NUMBER)"),
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


DETAILS: dict[str, Callable[[CallEvent, Call, Names], str]] = {
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
