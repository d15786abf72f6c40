"""Supervisors' roster page: each line's standing order, dated rotations, and who answers at a
chosen moment (the phone line's own computation)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import forms
from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
from helpdesk import directory_admin, roster
from models import Line
from refusals import Refused
from web import inputs

bp = Blueprint("roster", __name__, url_prefix="/console/roster")
bp.before_request(refuse_unmarked)


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    context = helpdesk()
    zone = context.hours.timezone
    try:
        moment = (
            forms.local_moment(request.args["at"], zone, "at")
            if request.args.get("at")
            else helpdesk().now()
        )
    except Refused as refused:
        forms.refuse(refused)
        moment = helpdesk().now()
    with context.transaction() as session:
        orders = {line: roster.standing_order(session, line) for line in Line}
        people = directory_admin.staff(session)
        rotations = roster.rotations(session, helpdesk().now())
        answers = roster.who_answers(session, context.hours, moment)
    return render_template(
        "roster.html",
        lines=list(Line),
        orders=orders,
        people=people,
        rotations=rotations,
        answers=answers,
        moment=moment,
        moment_input=forms.local_input(moment, zone),
        now_input=forms.local_input(helpdesk().now(), zone),
    )


def _back() -> ResponseReturnValue:
    return redirect(url_for("roster.index"))


@bp.post("/order/<any(regular, urgent):line>")
@allow(SUPERVISORS)
def set_order(line: str) -> ResponseReturnValue:
    """The form gives each person a rank (blank: not on this line); ranks give the order."""
    ranked: list[tuple[int, int]] = []
    for key, value in request.form.items():
        if key.startswith("rank-") and value.strip():
            try:
                rank, staff_id = inputs.integer(value), inputs.integer(key.removeprefix("rank-"))
                ranked.append((rank, staff_id))
            except ValueError:
                forms.refuse(Refused("bad_choice", "unknown value %(value)s", value=value))
                return _back()
    order = [staff_id for _rank, staff_id in sorted(ranked)]
    with forms.reported(_("The standing order is saved.")), helpdesk().transaction() as session:
        roster.set_standing_order(session, Line(line), order)
    return _back()


@bp.post("/rotations")
@allow(SUPERVISORS)
def add_rotation() -> ResponseReturnValue:
    zone = helpdesk().hours.timezone
    with forms.reported(_("The rotation is added.")):
        line = forms.choice("line", Line)
        staff_id = forms.number("staff")
        starts = forms.local_moment(forms.field("starts_at"), zone, "starts_at")
        ends = forms.local_moment(forms.field("ends_at"), zone, "ends_at")
        with helpdesk().transaction() as session:
            roster.add_rotation(session, line, staff_id, starts, ends)
    return _back()


@bp.post("/rotations/<int:duty_id>/remove")
@allow(SUPERVISORS)
def remove_rotation(duty_id: int) -> ResponseReturnValue:
    with forms.reported(_("The rotation is removed.")), helpdesk().transaction() as session:
        roster.remove_rotation(session, duty_id)
    return _back()
