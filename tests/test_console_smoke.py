from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from tests.console_world import HELENE, LUC, Staff, give_passwords
from tests.phone import at, place_call


def test_smoke(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    luc = Staff(phone_app)
    assert luc.sign_in(LUC).status_code == 302
    print(luc.text("/console/"))
    print(luc.text("/console/tickets/1001"))
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    print(helene.text("/console/calls/"))
    print(helene.text("/console/calls/2"))
    print(helene.text("/console/sla"))
    print(helene.text("/console/verify"))
    print(helene.text("/console/staff"))
    print(helene.text("/console/calls/export.csv"))
