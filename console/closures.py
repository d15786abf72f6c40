"""Supervisors' closures page: company closure days and partial days, and the manual switch of
each schedule ("closed now until …", "open now until …"). The phone line follows at once."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import forms
from console.access import SUPERVISORS, allow, current_viewer, helpdesk, refuse_unmarked
from helpdesk import closures
from helpdesk.business_time import ALL_SCHEDULES

bp = Blueprint("closures", __name__, url_prefix="/console/closures")
bp.before_request(refuse_unmarked)


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    context = helpdesk()
    now = helpdesk().now()
    with context.transaction() as session:
        days = closures.upcoming_closures(session, now.astimezone(context.hours.timezone).date())
        switches = closures.overrides_in_force(session, now)
    return render_template(
        "closures.html",
        days=days,
        switches=switches,
        schedules=[ALL_SCHEDULES, *context.hours.schedules],
        now_input=forms.local_input(now, context.hours.timezone),
    )


def _back() -> ResponseReturnValue:
    return redirect(url_for("closures.index"))


@bp.post("/")
@allow(SUPERVISORS)
def add() -> ResponseReturnValue:
    with forms.reported(_("The closure is added: the phone line follows it now.")):
        day = forms.day(forms.field("day"))
        start, end = (
            forms.wall_time(forms.field("from_time")),
            forms.wall_time(forms.field("until_time")),
        )
        with helpdesk().transaction() as session:
            closures.add_closure(session, day, start, end, forms.field("reason"))
    return _back()


@bp.post("/<int:closure_id>/remove")
@allow(SUPERVISORS)
def remove(closure_id: int) -> ResponseReturnValue:
    with forms.reported(_("The closure is removed.")), helpdesk().transaction() as session:
        closures.remove_closure(session, closure_id)
    return _back()


@bp.post("/switches")
@allow(SUPERVISORS)
def switch() -> ResponseReturnValue:
    context, viewer = helpdesk(), current_viewer()
    with forms.reported(_("The switch is on: the phone line follows it now.")):
        ends = forms.local_moment(forms.field("ends_at"), context.hours.timezone)
        with context.transaction() as session:
            closures.set_override(
                session,
                context.hours,
                schedule=forms.field("schedule"),
                is_open=forms.field("state") == "open",
                now=helpdesk().now(),
                ends_at=ends,
                reason=forms.field("reason"),
                staff_member_id=viewer.id if viewer else None,
            )
    return _back()


@bp.post("/switches/<int:override_id>/end")
@allow(SUPERVISORS)
def end_switch(override_id: int) -> ResponseReturnValue:
    done = _("The switch is ended: the schedules apply again.")
    with forms.reported(done), helpdesk().transaction() as session:
        closures.end_override(session, override_id, helpdesk().now())
    return _back()
