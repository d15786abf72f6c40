"""The console's error pages: in its style and its reader's language, saying why, with a way
back. A form sent after the session ended (CSRF) leads to sign-in and keeps what was typed.

Pages outside /console (Twilio's webhooks, the mail hook, the survey) keep Werkzeug's answers:
their callers are programs, or pages with their own style.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, lazy_gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from console import auth, filters, forms
from console.access import SessionEnded, current_viewer
from web import inputs, limits

_ = lazy_gettext
log = logging.getLogger(__name__)

# What each error is called and what it means for the reader.
TITLES: dict[int, Any] = {
    400: _("The form could not be read"),
    403: _("You may not open this page"),
    404: _("This page does not exist"),
    405: _("This page does not take that request"),
    429: _("Too many requests"),
    500: _("Something went wrong on our side"),
}
HINTS: dict[int, Any] = {
    400: _("Go back to the page, reload it, and send the form again."),
    403: _("Ask a supervisor if you need it."),
    404: _("The link may be old, or the address mistyped."),
    405: _("Go back to the page and use its buttons."),
    500: _(
        "Nothing of what you were doing was kept. Try again soon; if it goes on, tell a supervisor."
    ),
}
REFUSED_INPUT = _(
    "The form held a character the console cannot keep (a control character), a text too long "
    "or a date out of range: nothing was changed."
)
# What was wrong, by kind (web.inputs.Problem), naming the field.
REFUSED_INPUT_KINDS: dict[str, Any] = {
    "control": _(
        "%(field)s: a character the console cannot keep (a control character). Nothing was changed."
    ),
    "too_long": _("%(field)s: the text is longer than %(n)s characters. Nothing was changed."),
    "date": _("%(field)s: the date is not in a possible year. Nothing was changed."),
}
# The fields a person types (the others are choices: a visibility, an outcome), shown back
# under their own name, to copy; the draft keeps every field, to fill the form again.
TYPED_FIELDS: dict[str, Any] = {
    "text": _("Note"),
    "note": _("Note"),
    "reason": _("Reason"),
    "why": _("Reason"),
    "urgency_reason": _("Why it is urgent"),
    "name": _("Name"),
    "email": _("Email"),
    "phones": _("Phone numbers"),
    "mobile": _("Mobile"),
    "invoice": _("Invoice"),
    "account": _("Account"),
    "q": _("Search"),
}
# Fields never shown back nor kept: secrets.
SECRET_FIELDS = frozenset({"csrf_token", "password", "password2", "confirm"})
# A session cookie holds at most about 4 KB: a longer draft is shown to copy, not kept.
DRAFT_MAX_CHARS = 3000


def register(app: Flask) -> None:
    """Error pages for every console path. Registered after ``web.security``: on a console
    path, a refused form (CSRF) gets this page instead of its plain one."""
    app.register_error_handler(HTTPException, _page)
    app.register_error_handler(CSRFError, _form_expired)
    app.register_error_handler(SessionEnded, _form_expired)


def _refused_input(problem: inputs.Problem) -> str:
    """Which field was refused, and why, in the reader's words."""
    words = REFUSED_INPUT_KINDS.get(problem.kind)
    if words is None or not problem.field:
        return str(REFUSED_INPUT)
    field = TYPED_FIELDS.get(problem.field) or forms.FIELD_NAMES.get(problem.field, problem.field)
    return str(words) % {"field": field, "n": format_decimal(problem.limit)}


def _page(error: HTTPException) -> ResponseReturnValue:
    if not request.path.startswith("/console"):
        return error
    code = error.code or 500
    if isinstance(error, InternalServerError):
        log.error("console error on %s", request.path, exc_info=error.original_exception)
    why = error.description if _told(error) else ""
    typed: dict[str, str] = {}
    if isinstance(error, inputs.InputRefused):  # words for the reader, and what they typed
        why = _refused_input(error.problem)
        typed = {name: inputs.clean(value, inputs.LONGEST_FORM_VALUE) for name, value in _typed()}
    title, hint = TITLES.get(code, TITLES[400]), HINTS.get(code, "")
    if code == 404 and (request.endpoint or "").startswith("tickets."):
        hint = _("The link may be old, or the ticket number mistyped.")
    if code == 429:
        left = timedelta(seconds=limits.time_to_wait() or 60)
        if request.endpoint == "auth.sign_in_post":  # the form again, with the email typed
            return auth.throttled(left)
        hint = _("Try again in %(wait)s.", wait=filters.wait(left))
    try:
        html = render_template(
            "error.html",
            code=code,
            title=title,
            why=why,
            hint=hint,
            back=_back(),
            typed=_to_copy(typed),
        )
    except Exception:  # the page itself failed (the database away): Werkzeug's page, not a loop
        log.exception("the error page failed")
        return error
    return html, code


def _told(error: HTTPException) -> bool:
    """Whether the code gave a reason of its own (``abort(403, description=…)``); a rate
    limit's description is its rule ("2 per 1 minute"), no reason for a reader."""
    if isinstance(error, RateLimitExceeded):
        return False
    return bool(error.description) and error.description != type(error).description


def _to_copy(fields: dict[str, str]) -> list[tuple[str, Any, str]]:
    """(name, its label, value) of what the reader typed themselves."""
    return [
        (name, TYPED_FIELDS[name], value) for name, value in fields.items() if name in TYPED_FIELDS
    ]


def _typed() -> list[tuple[str, str]]:
    """What a refused form held, but its secrets, for the reader to copy."""
    if request.method != "POST":
        return []
    return [
        (name, value)
        for name, value in request.form.items()
        if name not in SECRET_FIELDS and value.strip()
    ]


def _form_expired(error: HTTPException) -> ResponseReturnValue:
    """A form sent without a valid token: its session ended (or was replaced). What was typed
    is kept for the page it came from, and shown here to copy."""
    if not request.path.startswith("/console"):
        return error
    if request.endpoint == "auth.sign_in_post":  # nobody was signed in: no session ended
        return auth.sign_in_again(str(_("The sign-in page was open too long: sign in again.")), 400)
    fields = dict(_typed())
    back = _back()
    kept = sum(len(value) for value in fields.values()) <= DRAFT_MAX_CHARS
    if fields and kept and back:
        session["draft"] = {"page": back, "fields": fields}
    signed_out = _signed_out()
    sign_in = url_for("auth.sign_in", next=back) if back else url_for("auth.sign_in")
    html = render_template(
        "form_expired.html",
        fields=_to_copy(fields),
        kept=kept and bool(back),
        signed_out=signed_out,
        sign_in=sign_in,
        back=back,
    )
    return html, 400


def _signed_out() -> bool:
    """Whether the server knows no session for this browser any more (signed out, ended by a
    supervisor, expired): then the way on is to sign in, not to reload the page."""
    try:
        return current_viewer() is None
    except Exception:  # the database away: signing in is the way on that may work
        log.exception("could not read the session")
        return True


def _back() -> str:
    """The console page the reader came from (this site's only), else the console's home."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return url_for("tickets.index")
    path = referrer.path
    if path.startswith("/console/") and path != request.path:
        return path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("tickets.index")


def take_draft() -> dict[str, str]:
    """What was typed in a form of this page before the session ended, once."""
    draft = session.get("draft")
    if not isinstance(draft, dict) or draft.get("page") != request.full_path.rstrip("?"):
        return {}
    session.pop("draft")
    fields = draft.get("fields")
    return fields if isinstance(fields, dict) else {}
