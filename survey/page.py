"""The satisfaction survey's public page: ``/survey/<token>``, the link emailed when a ticket
closes. Anyone with the link may answer (the token is the secret); GET shows the form, POST
stores the answer (with its CSRF token). French or English: the ticket's language, or the one
the page's link asks for.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from helpdesk import surveys
from i18n import LANGUAGES
from web import inputs, limits
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


# What a client is told when the page cannot answer (a page of the survey's style, never a bare
# server error): the link's token decides nothing here, the reader's language does.
ERRORS = {
    404: lazy_gettext("This survey link is not known: check that it was copied whole."),
    429: lazy_gettext("Too many answers came from your address: wait a minute, then try again."),
}


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
            # 0 for anything but ASCII digits ("٣" too): the service refuses it as no score
            surveys.answer(session, token, inputs.whole_number(score) or 0, comment)
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


@bp.errorhandler(CSRFError)
def _form_expired(_error: CSRFError) -> ResponseReturnValue:
    """The form came back without its page's token (the page stayed open after the browser
    dropped its cookie, or cookies are blocked): the form again, filled in as it was sent."""
    token = (request.view_args or {}).get("token", "")
    # The route's limit is checked in its view, which a refused token never reaches.
    if not limits.allow("survey.form_expired", helpdesk().settings.survey_rate):
        return _error_page(429)
    with helpdesk().transaction() as session:
        page = surveys.page(session, token, helpdesk().now())
    if page is None:
        return _error_page(404)
    typed = {"score": request.form.get("score", ""), "comment": request.form.get("comment", "")}
    return _render(page, 400, expired_form=True, typed=typed)


@bp.errorhandler(HTTPException)
def _refused(error: HTTPException) -> ResponseReturnValue:
    return _error_page(error.code or 500) if error.code in ERRORS else error


def _error_page(code: int) -> ResponseReturnValue:
    # No database for an error page (a limited client must cost nothing): the language the
    # link asks for, else the browser's, else French.
    browser = request.accept_languages.best_match(LANGUAGES) or "fr"
    language = _language(browser)
    with force_locale(language):
        html = render_template("survey/error.html", why=ERRORS[code], lang=language)
    return html, code


def _invalid(token: str) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        page = surveys.page(session, token, helpdesk().now())
    assert page is not None
    return _render(page, 400, missing_score=True)
