"""The console's test world: staff who can sign in, and a client that signs in as them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from helpdesk import staff_access
from models import StaffMember

PASSWORD = "correct horse battery"
LUC = "luc@altilogix.example"  # technician, urgent and regular lines
JULIE = "julie@altilogix.example"  # technician, regular line only
KARIM = "karim@altilogix.example"  # technician, urgent line only
HELENE = "helene@altilogix.example"  # supervisor, French
DAVID = "david@altilogix.example"  # supervisor, English

# The second post of an act that asks first (console/confirm.py), and "I called back: reached".
CONFIRMED = {"confirm": "yes"}
REACHED = {"outcome": "reached", **CONFIRMED}

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def give_passwords(db: Session) -> None:
    """Every demo staff member gets PASSWORD (hashed once, copied: hashing is slow on purpose)."""
    hashed = staff_access.hash_password(PASSWORD)
    for person in db.scalars(select(StaffMember)):
        person.password_hash = hashed
    db.commit()


def staff_id(db: Session, email: str) -> int:
    return db.scalars(select(StaffMember.id).where(StaffMember.email == email)).one()


class Staff:
    """A browser-like test client that signs in and posts forms with their CSRF token."""

    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()

    def token(self, path: str = "/console/sign-in") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = _TOKEN.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.client.post(
            "/console/sign-in",
            data={"email": email, "password": password, "csrf_token": self.token()},
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def text(self, path: str, **kwargs: Any) -> str:
        response = self.client.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def post(
        self, path: str, data: dict[str, str] | None = None, *, page: str = ""
    ) -> TestResponse:
        """Post a form with the token of ``page`` (the console's home by default)."""
        token = self.token(page or "/console/")
        return self.client.post(path, data={**(data or {}), "csrf_token": token})


def signed_in(app: Flask, email: str) -> Staff:
    """A staff member signed in (with PASSWORD, see give_passwords)."""
    person = Staff(app)
    assert person.sign_in(email).status_code == 302
    return person


@contextmanager
def signed_in_at(app: Flask, email: str, when: datetime) -> Iterator[Staff]:
    """A staff member signed in at a frozen moment (a session signed at another time would
    have expired, or not yet begun)."""
    with time_machine.travel(when, tick=False):
        yield signed_in(app, email)
