"""Acts that cannot be taken back ask first: the form's first post shows a page that says what
will happen, and only its second post, which carries ``confirm=yes``, acts. Plain HTML forms,
so it works without JavaScript, from the keyboard and on a phone."""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template, request
from flask.typing import ResponseReturnValue

CONFIRMED = "yes"


def confirmed() -> bool:
    return request.form.get("confirm") == CONFIRMED


def ask(
    question: str,
    yes: str,
    back: str,
    details: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> ResponseReturnValue:
    """The page that asks: ``question``, what it means (``details``, ``warnings``), a button
    ``yes`` that posts the same form again with the confirmation, and a way ``back``."""
    kept = {k: v for k, v in request.form.items() if k not in ("csrf_token", "confirm")}
    return render_template(
        "confirm.html",
        question=question,
        yes=yes,
        back=back,
        details=details,
        warnings=warnings,
        kept=kept,
        action=request.path,
    )
