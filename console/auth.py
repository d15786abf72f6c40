"""Signing in and out of the console."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import access, filters, forms
from console.access import ANYONE, STAFF, allow, refuse_unmarked
from helpdesk import directory_admin, staff_access
from models import Language
from refusals import Refused
from web import inputs

# The templates and the stylesheet of every console page live with this blueprint.
bp = Blueprint(
    "auth",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)
bp.before_request(refuse_unmarked)


@bp.get("/sign-in")
@allow(ANYONE)
def sign_in() -> ResponseReturnValue:
    return render_template("sign_in.html", next=_next_page())


@bp.post("/sign-in")
@allow(ANYONE)
def sign_in_post() -> ResponseReturnValue:
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    refused: staff_access.SignInRefused | None = None
    # The attempt is counted whatever happens, so the refusal is caught inside the transaction.
    with access.helpdesk().transaction() as session:
        try:
            staff = staff_access.sign_in(session, email, password, request.remote_addr or "")
            access.start_session(session, staff)
        except staff_access.SignInRefused as error:
            refused = error
    if refused is not None:
        if refused.throttled:
            return throttled(refused.wait)
        return sign_in_again(_("Wrong email or password."), 401)
    return redirect(_next_page() or url_for("tickets.index"))


def throttled(left: timedelta) -> ResponseReturnValue:
    """The sign-in page again, saying how long to wait (429)."""
    message = _("Too many attempts. Try again in %(wait)s.", wait=filters.wait(left))
    page, status = sign_in_again(message, 429)
    return page, status, {"Retry-After": str(max(math.ceil(left.total_seconds()), 1))}


def sign_in_again(message: str, status: int) -> tuple[str, int]:
    """The sign-in page again with why, and the email typed."""
    flash(message, "error")
    email = request.form.get("email", "")
    return render_template("sign_in.html", next=_next_page(), email=email), status


@bp.post("/language")
@allow(STAFF)
def choose_language() -> ResponseReturnValue:
    """The signed-in staff member's own language, kept on their record; back to their page."""
    viewer = access.current_viewer()
    assert viewer is not None
    try:
        with access.helpdesk().transaction() as session:
            directory_admin.choose_language(session, viewer.id, forms.choice("language", Language))
    except Refused as refused:
        forms.refuse(refused)
    return redirect(_next_page() or url_for("tickets.index"))


@bp.post("/sign-out")
@allow(STAFF)
def sign_out() -> ResponseReturnValue:
    access.end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))


def _next_page() -> str:
    """Where to go after signing in: a console page of this site only."""
    target = request.values.get("next", "")
    if inputs.CONTROL_IN_LINE.search(target):  # a form's field may hold CR/LF; a Location may not
        return ""
    if target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""
