"""Supervisors' directory pages: clients and their contacts, staff, and the directory file
(uploaded whole, or downloaded). Every rule is the helpdesk's (helpdesk/directory_admin.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import forms
from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
from directory.entries import DirectoryFileError
from helpdesk import directory_admin, personal_codes
from helpdesk.directory_admin import ClientFields, ContactFields, StaffFields
from models import Language, Role
from refusals import Refused
from web import inputs

bp = Blueprint("directory", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)

MOST_KILOMETRES = 100_000  # no client is farther


@bp.get("/clients/")
@allow(SUPERVISORS)
def clients() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        rows = directory_admin.clients(session)
        return render_template("clients.html", clients=rows, languages=list(Language))


@bp.get("/clients/<int:client_id>")
@allow(SUPERVISORS)
def client(client_id: int) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        try:
            found = directory_admin.find_client(session, client_id)
        except Refused:
            abort(404)
        return render_template("client.html", client=found, languages=list(Language))


def _client_fields() -> ClientFields:
    try:
        typed = inputs.ascii_number(forms.field("distance_km") or "0")
        distance = inputs.measure(float(typed), MOST_KILOMETRES)
    except ValueError:
        raise Refused("negative_distance", "the distance cannot be negative") from None
    return ClientFields(
        account=forms.field("account"),
        name=forms.field("name"),
        language=forms.choice("language", Language),
        hour_bank=forms.checked("hour_bank"),
        distance_km=distance,
    )


@bp.post("/clients/")
@allow(SUPERVISORS)
def add_client() -> ResponseReturnValue:
    try:
        with helpdesk().transaction() as session:
            client_id = directory_admin.save_client(session, None, _client_fields()).id
    except Refused as refused:
        forms.refuse(refused)
        return redirect(url_for("directory.clients"))
    flash(_("The client is added."), "info")
    return redirect(url_for("directory.client", client_id=client_id))


@bp.post("/clients/<int:client_id>")
@allow(SUPERVISORS)
def save_client(client_id: int) -> ResponseReturnValue:
    with forms.reported(_("The client is saved.")), helpdesk().transaction() as session:
        directory_admin.save_client(session, client_id, _client_fields())
    return redirect(url_for("directory.client", client_id=client_id))


def _contact_fields() -> ContactFields:
    return ContactFields(
        name=forms.field("name"),
        email=forms.field("email"),
        phones=forms.field("phones").replace(";", ",").split(","),
        language=forms.choice("language", Language),
        authorized=forms.checked("authorized"),
    )


def _save_contact(client_id: int, contact_id: int | None) -> ResponseReturnValue:
    with forms.reported(_("The contact is saved.")), helpdesk().transaction() as session:
        directory_admin.save_contact(session, client_id, contact_id, _contact_fields())
    return redirect(url_for("directory.client", client_id=client_id))


@bp.post("/clients/<int:client_id>/contacts")
@allow(SUPERVISORS)
def add_contact(client_id: int) -> ResponseReturnValue:
    return _save_contact(client_id, None)


@bp.post("/clients/<int:client_id>/contacts/<int:contact_id>")
@allow(SUPERVISORS)
def save_contact(client_id: int, contact_id: int) -> ResponseReturnValue:
    return _save_contact(client_id, contact_id)


@bp.post("/clients/<int:client_id>/contacts/<int:contact_id>/code")
@allow(SUPERVISORS)
def set_code(client_id: int, contact_id: int) -> ResponseReturnValue:
    """A contact's personal code for the phone line: read once, stored hashed, never shown."""
    with forms.reported(_("The personal code is set.")), helpdesk().transaction() as session:
        personal_codes.set_code(session, client_id, contact_id, forms.field("code"))
    return redirect(url_for("directory.client", client_id=client_id))


@bp.post("/clients/<int:client_id>/contacts/<int:contact_id>/code/clear")
@allow(SUPERVISORS)
def clear_code(client_id: int, contact_id: int) -> ResponseReturnValue:
    with forms.reported(_("The personal code is cleared.")), helpdesk().transaction() as session:
        personal_codes.clear_code(session, client_id, contact_id)
    return redirect(url_for("directory.client", client_id=client_id))


def _staff_fields() -> StaffFields:
    return StaffFields(
        name=forms.field("name"),
        email=forms.field("email"),
        mobile=forms.field("mobile"),
        role=forms.choice("role", Role),
        language=forms.choice("language", Language),
        active=forms.checked("active"),
    )


@bp.post("/staff/new")
@allow(SUPERVISORS)
def add_staff() -> ResponseReturnValue:
    with forms.reported(_("The staff member is added.")), helpdesk().transaction() as session:
        directory_admin.save_staff(session, None, _staff_fields())
    return redirect(url_for("supervise.staff"))


@bp.post("/staff/<int:staff_id>")
@allow(SUPERVISORS)
def save_staff(staff_id: int) -> ResponseReturnValue:
    with forms.reported(_("The staff member is saved.")), helpdesk().transaction() as session:
        directory_admin.save_staff(session, staff_id, _staff_fields())
    return redirect(url_for("supervise.staff"))


@bp.get("/directory/")
@allow(SUPERVISORS)
def directory_file() -> ResponseReturnValue:
    return render_template("directory.html", errors=[])


@bp.post("/directory/")
@allow(SUPERVISORS)
def import_file() -> ResponseReturnValue:
    upload = request.files.get("file")
    try:
        text = upload.read().decode("utf-8") if upload else ""
    except UnicodeDecodeError:
        return render_template("directory.html", errors=[_("the file is not UTF-8 text")]), 400
    try:
        with helpdesk().transaction() as session:
            loaded = directory_admin.import_file(session, text)
    except DirectoryFileError as refused:
        return render_template("directory.html", errors=refused.errors), 400
    flash(
        _(
            "The directory file is loaded: %(clients)d clients, %(staff)d staff.",
            clients=len(loaded.clients),
            staff=len(loaded.staff),
        ),
        "info",
    )
    return redirect(url_for("directory.directory_file"))


@bp.get("/directory/export.toml")
@allow(SUPERVISORS)
def export_file() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        text = directory_admin.export_file(session)
    return Response(
        text,
        mimetype="application/toml",
        headers={"Content-Disposition": 'attachment; filename="directory.toml"'},
    )
