"""Mail that could not be read waits in quarantine, where supervisors see it and take its bytes."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from mail import intake as email_intake
from models.mail import Quarantine
from tests.console_world import HELENE, LUC, Staff, give_passwords
from tests.phone import helpdesk

NOT_MAIL = b"\x89PNG\r\n\x1a\n not a message at all"


def _quarantined(app: Flask, db: Session) -> Quarantine:
    email_intake.receive(helpdesk(app), NOT_MAIL, source="pipe")
    return db.scalars(select(Quarantine)).one()


def test_supervisors_see_quarantined_mail_and_download_its_bytes(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    kept = _quarantined(phone_app, db)
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    page = helene.text("/console/quarantine/")
    assert "pas un courriel" in page and f"/console/quarantine/{kept.id}.eml" in page
    download = helene.get(f"/console/quarantine/{kept.id}.eml")
    assert (download.status_code, download.data) == (200, NOT_MAIL)
    assert download.mimetype == "application/octet-stream"


def test_technicians_do_not_see_the_quarantine(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    kept = _quarantined(phone_app, db)
    luc = Staff(phone_app)
    luc.sign_in(LUC)
    assert luc.get("/console/quarantine/").status_code == 403
    assert luc.get(f"/console/quarantine/{kept.id}.eml").status_code == 403
