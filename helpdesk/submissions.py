"""A console form's submission, acted on once: the page gives each form it shows a key, and the
unit of work that acts on the form claims that key first. A copy of the submission (a double
click, a browser sending the form again after a slow answer) finds its key taken, and adds no
second note, time entry or callback; two copies at once take their turns on the key's row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import FormSubmission, current_time
from models.db import insert_or_skip

KEY_LENGTH = 64


def claim(session: Session, key: str, staff_member_id: int) -> bool:
    """True the first time this submission is acted on; False for a copy of it."""
    row = {
        "key": key[:KEY_LENGTH],
        "staff_member_id": staff_member_id,
        "submitted_at": current_time(session),
    }
    statement = insert_or_skip(session, FormSubmission).returning(FormSubmission.key)
    return session.execute(statement, row).first() is not None
