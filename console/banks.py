"""Supervisors' hour-bank pages: every client's balance, a client's ledger and purchases,
recording a purchase, correcting a time entry, and the monthly statement (printable, CSV)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from billing import InvalidEntry
from billing.rates import price_list
from console import bank_queries, forms, spreadsheet, time_form
from console.access import SUPERVISORS, Viewer, allow, current_viewer, helpdesk, refuse_unmarked
from console.filters import label, short_day
from helpdesk import banks, statements, time_entries
from models import BankTransaction, Client, Line, TimeEntry
from web import inputs

bp = Blueprint("banks", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)

MOST_HOURS = 100_000  # beyond any purchase of hours


def _viewer() -> Viewer:
    viewer = current_viewer()
    assert viewer is not None
    return viewer


def _today() -> date:
    return helpdesk().now().astimezone(helpdesk().hours.timezone).date()


def _client(session: Session, account: str) -> Client:
    client = bank_queries.find_client(session, account)
    if client is None:
        abort(404)
    return client


@bp.get("/banks")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        rows = bank_queries.overview(session, _today())
    return render_template("banks.html", rows=rows)


@bp.get("/banks/<account>")
@allow(SUPERVISORS)
def show(account: str) -> ResponseReturnValue:
    today = _today()
    with helpdesk().transaction() as session:
        client = _client(session, account)
        bank = bank_queries.client_bank(session, client, today, helpdesk().hours.timezone)
    return render_template(
        "bank.html", bank=bank, today=today, tiers=price_list().tiers, months=_months(today)
    )


def _months(today: date, count: int = 12) -> list[date]:
    """This month and the ones before, for the statements' links."""
    firsts, year, month = [], today.year, today.month
    for _i in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts


@bp.post("/banks/<account>/purchases")
@allow(SUPERVISORS)
def purchase(account: str) -> ResponseReturnValue:
    context, viewer = helpdesk(), _viewer()
    try:
        hours = _whole_hours(request.form.get("hours", ""))
        given = request.form.get("bought_on", "")
        bought_on = _day(given, "bought_on") if given else _today()
        with context.transaction() as session:
            client = _client(session, account)
            bought = banks.Purchase(client.id, hours, request.form.get("invoice", ""), bought_on)
            row = banks.record_purchase(
                session,
                bought,
                viewer.id,
                low_minutes=context.settings.bank_low_minutes,
                zone=context.hours.timezone,
            )
            due = row.due_on
    except InvalidEntry as refused:
        forms.refuse(refused)
    else:
        flash(_("%(hours)s h recorded, due %(due)s.", hours=hours, due=short_day(due)), "info")
    return redirect(url_for("banks.show", account=account))


@bp.post("/banks/<account>/purchases/<int:purchase_id>/paid")
@allow(SUPERVISORS)
def paid(account: str, purchase_id: int) -> ResponseReturnValue:
    viewer = _viewer()
    try:
        paid_on = _day(request.form.get("paid_on", ""), "paid_on")
        with helpdesk().transaction() as session:
            client = _client(session, account)
            purchase = session.get(BankTransaction, purchase_id)
            if purchase is None or purchase.client_id != client.id:
                abort(404)
            banks.record_payment(session, purchase_id, paid_on, viewer.id)
    except InvalidEntry as refused:
        forms.refuse(refused)
    else:
        flash(_("Payment recorded."), "info")
    return redirect(url_for("banks.show", account=account))


def _day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
        if day.year not in inputs.SANE_YEARS:
            raise ValueError(text)
        return day
    except ValueError:
        raise InvalidEntry(
            "not_a_day", "%(field)s: %(value)r is not a date", field=field, value=text
        ) from None


def _whole_hours(text: str) -> int:
    try:
        return inputs.integer(text, MOST_HOURS)
    except ValueError:
        raise InvalidEntry(
            "not_whole_hours", "hours: %(value)r is not a whole number of hours", value=text
        ) from None


def _entry_values(entry: TimeEntry) -> dict[str, str]:
    """The correction form, filled with the entry as posted."""
    return time_form.values(
        {
            "kind": entry.kind.value,
            "category": entry.category.value,
            "urgency": entry.urgency.value,
            "urgency_reason": entry.urgency_reason,
            "minutes": str(entry.minutes),
            "distance_km": str(entry.travel_km) if entry.travel_km else "",
            "travel_minutes": str(entry.travel_minutes) if entry.travel_minutes else "",
            "expenses": f"{entry.expenses_cents / 100:.2f}" if entry.expenses_cents else "",
            "note": entry.note,
        }
    )


def _render_correction(
    entry_id: int, values: dict[str, str] | None, error: str = ""
) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        entry = session.get(TimeEntry, entry_id)
        if entry is None:
            abort(404)
        client = session.get(Client, entry.client_id)
        corrected = time_entries.corrected_by(session, entry.id)
        html = render_template(
            "correct.html",
            entry=entry,
            client=client,
            corrected=corrected,
            time=values or _entry_values(entry),
            lines=list(Line),
            error=error,
        )
    return html, 422 if error else 200


@bp.get("/time/<int:entry_id>/correct")
@allow(SUPERVISORS)
def correct(entry_id: int) -> ResponseReturnValue:
    return _render_correction(entry_id, None)


@bp.post("/time/<int:entry_id>/correct")
@allow(SUPERVISORS)
def save_correction(entry_id: int) -> ResponseReturnValue:
    context, viewer = helpdesk(), _viewer()
    try:
        with context.transaction() as session:
            old = session.get(TimeEntry, entry_id)
            if old is None:
                abort(404)
            form = time_form.read(
                request.form, old.ticket_id, old.staff_member_id, context.hours.timezone
            )
            why = request.form.get("why", "")
            low = context.settings.bank_low_minutes
            time_entries.correct(session, entry_id, form, viewer.id, why, low_minutes=low)
            owner = session.get(Client, old.client_id)
            assert owner is not None  # a foreign key
            account = owner.account
    except InvalidEntry as refused:
        return _render_correction(
            entry_id, time_form.values(request.form), forms.refusal_text(refused)
        )
    flash(_("Entry corrected."), "info")
    return redirect(url_for("banks.show", account=account))


def _statement(account: str, year: int, month: int) -> statements.Statement:
    zone = helpdesk().hours.timezone
    with helpdesk().transaction() as session:
        client = _client(session, account)
        try:
            return statements.statement(session, client.id, year, month, zone)
        except InvalidEntry:
            abort(404)


@bp.get("/banks/<account>/statements/<int:year>-<int:month>")
@allow(SUPERVISORS)
def statement(account: str, year: int, month: int) -> ResponseReturnValue:
    sheet = _statement(account, year, month)
    return render_template("statement.html", sheet=sheet)


@bp.get("/banks/<account>/statements/<int:year>-<int:month>.csv")
@allow(SUPERVISORS)
def statement_csv(account: str, year: int, month: int) -> ResponseReturnValue:
    sheet = _statement(account, year, month)
    rows = statements.csv_rows(sheet, helpdesk().hours.timezone)
    header = [str(STATEMENT_HEADERS[field]) for field in statements.CSV_FIELDS]
    worded = [_worded(row) for row in rows]
    name = spreadsheet.file_name(_("statement"), account, f"{year:04d}-{month:02d}")
    return spreadsheet.download(spreadsheet.lines([header, *worded], spreadsheet.separator()), name)


# The statement's CSV columns, in the reader's language.
STATEMENT_HEADERS = {
    "at": lazy_gettext("date"),
    "what": lazy_gettext("what"),
    "ticket": lazy_gettext("ticket"),
    "technician": lazy_gettext("technician"),
    "work": lazy_gettext("work"),
    "raw_minutes": lazy_gettext("minutes worked"),
    "charged_minutes": lazy_gettext("minutes charged"),
    "bank_minutes": lazy_gettext("bank minutes"),
    "overage_minutes": lazy_gettext("minutes over the bank"),
    "travel_minutes": lazy_gettext("travel minutes"),
    "expenses_cents": lazy_gettext("expenses (cents)"),
    "invoice": lazy_gettext("invoice"),
    "note": lazy_gettext("note"),
    "balance": lazy_gettext("balance (minutes)"),
}


def _worded(row: list[object]) -> list[object]:
    """A statement's CSV line in the reader's words: what it is, its work, and the note that is
    a purchase's invoice date."""
    worded = [*row[:1], label(row[1]), *row[2:4], _work(row[4]), *row[5:]]
    if row[1] == "purchase":
        worded[statements.NOTE] = _("invoice dated %(day)s", day=row[statements.NOTE])
    return worded


def _work(codes: object) -> str:
    """ "regular/phone/support" in words: "régulier / téléphone / soutien"."""
    return " / ".join(label(code) for code in str(codes).split("/")) if codes else ""
