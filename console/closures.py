"""Supervisors' closures page: company closure days and partial days, and the manual switch of
each schedule ("closed now until …", "open now until …"). The phone line follows at once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import confirm, forms
from console.access import SUPERVISORS, allow, current_viewer, helpdesk, refuse_unmarked
from console.filters import day as day_words
from console.filters import label
from console.moments import when
from helpdesk import closures
from helpdesk.business_time import ALL_SCHEDULES
from models import Closure, ScheduleOverride
from refusals import Refused

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
    zone = helpdesk().hours.timezone
    try:
        day = forms.day(forms.field("day"))
        start, end = (
            forms.wall_time(forms.field("from_time")),
            forms.wall_time(forms.field("until_time")),
        )
        with helpdesk().transaction() as session:
            today = helpdesk().now().astimezone(zone).date()
            closure = closures.add_closure(
                session, day, start, end, forms.field("reason"), today=today
            )
            opened = [_switch_words(s) for s in closures.opened_over(session, closure, zone)]
    except Refused as refusal:
        forms.refuse(refusal)
        return _back()
    if opened:
        # The line does not follow a closure while an "open now" switch lasts: say so.
        flash(
            _(
                "The closure is added, but a switch keeps the line open during it: %(switches)s."
                " End the switch for the closure to apply.",
                switches="; ".join(opened),
            ),
            "error",
        )
    else:
        flash(_("The closure is added: the phone line follows it now."), "info")
    return _back()


def _switch_words(switch: ScheduleOverride) -> str:
    return str(
        _(
            "%(schedule)s %(state)s until %(until)s",
            schedule=label(switch.schedule),
            state=label(switch.state),
            until=when(switch.ends_at),
        )
    )


def _closure_words(closure: Closure) -> list[str]:
    start = closure.from_time.strftime("%H:%M") if closure.from_time else _("start of day")
    end = closure.until_time.strftime("%H:%M") if closure.until_time else _("end of day")
    return [f"{start} - {end}", *([closure.reason] if closure.reason else [])]


@bp.post("/<int:closure_id>/remove")
@allow(SUPERVISORS)
def remove(closure_id: int) -> ResponseReturnValue:
    if not confirm.confirmed():
        with helpdesk().transaction() as session:
            closure = session.get(Closure, closure_id)
            if closure is not None:
                return confirm.ask(
                    _("Remove the closure of %(day)s?", day=day_words(closure.day)),
                    _("Yes, remove it"),
                    url_for("closures.index"),
                    details=_closure_words(closure),
                    warnings=[_("The phone line follows its schedules again that day.")],
                )
    with forms.reported(_("The closure is removed.")), helpdesk().transaction() as session:
        closures.remove_closure(session, closure_id)
    return _back()


@bp.post("/switches")
@allow(SUPERVISORS)
def switch() -> ResponseReturnValue:
    context, viewer = helpdesk(), current_viewer()
    with forms.reported(_("The switch is on: the phone line follows it now.")):
        ends = forms.local_moment(forms.field("ends_at"), context.hours.timezone, "ends_at")
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
    if not confirm.confirmed():
        with helpdesk().transaction() as session:
            switch = session.get(ScheduleOverride, override_id)
            if switch is not None:
                return confirm.ask(
                    _("End this switch now?"),
                    _("Yes, end it now"),
                    url_for("closures.index"),
                    details=[_switch_words(switch), *([switch.reason] if switch.reason else [])],
                    warnings=[_("The schedules apply again at once.")],
                )
    done = _("The switch is ended: the schedules apply again.")
    with forms.reported(done), helpdesk().transaction() as session:
        closures.end_override(session, override_id, helpdesk().now())
    return _back()
