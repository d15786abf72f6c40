"""The satisfaction survey's public page: ``/survey/<token>``, the link emailed when a ticket
closes. Anyone with the link may answer (the token is the secret); GET shows the form, POST
stores the answer (with its CSRF token). French or English: the contact's language, or the
one the page's link asks for.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale

from helpdesk import surveys
from i18n import LANGUAGES
from web.context import current as helpdesk

bp = Blueprint("survey", __name__, url_prefix="/survey", template_folder="templates")


def _language(default: str) -> str:
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else default


def _render(page: surveys.Page, status: int = 200, **values: object) -> ResponseReturnValue:
    language = _language(page.language)
    with force_locale(language):
        html = render_template(
            "survey/page.html", page=page, scores=surveys.SCORES, lang=language, **values
        )
    return html, status


@bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        page = surveys.page(session, token, helpdesk().now())
    if page is None:
        abort(404)
    return _render(page, 410 if page.state == surveys.SurveyState.EXPIRED else 200)


@bp.post("/<token>")
def answer(token: str) -> ResponseReturnValue:
    score = request.form.get("score", "")
    comment = request.form.get("comment", "")
    try:
        with helpdesk().transaction() as session:
            surveys.answer(session, token, int(score) if score.isdigit() else 0, comment)
    except LookupError:
        abort(404)
    except surveys.SurveyClosed:
        pass  # the page says why: already answered, or the link has expired
    except ValueError:
        return _invalid(token)
    with helpdesk().transaction() as session:
        page = surveys.page(session, token, helpdesk().now())
    assert page is not None
    return _render(page, 410 if page.state == surveys.SurveyState.EXPIRED else 200)


def _invalid(token: str) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        page = surveys.page(session, token, helpdesk().now())
    assert page is not None
    return _render(page, 400, missing_score=True)
