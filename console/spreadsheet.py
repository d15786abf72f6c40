"""CSV files a spreadsheet opens right: UTF-8 with a byte-order mark (without it, French Excel
reads "Geneviève" as "GeneviÃ¨ve"), headers and values in the reader's language, and the
separator their spreadsheet expects: ";" in French, where the comma is the decimal sign, ","
in English, or the one the reader chose (``?sep=semicolon``, ``comma`` or ``tab``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from flask import Response, request
from flask_babel import get_locale

BOM = "\ufeff"
SEPARATORS = {"semicolon": ";", "comma": ",", "tab": "\t"}
BY_LANGUAGE = {"fr": ";", "en": ","}
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def separator() -> str:
    """The reader's choice, else their language's."""
    chosen = SEPARATORS.get(request.args.get("sep", ""))
    return chosen or BY_LANGUAGE.get(str(get_locale()), ",")


def lines(rows: Iterable[Iterable[Any]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def file_name(*parts: str) -> str:
    """``appels_2026-12-01_2026-12-07.csv``: the parts given (the filter's dates), ASCII only."""
    named = "_".join(_UNSAFE_IN_NAME.sub("-", part).strip("-") for part in parts if part)
    return f"{named}.csv"


def headers(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def download(body: str, name: str) -> Response:
    """A whole CSV file, with its byte-order mark."""
    return Response(BOM + body, mimetype="text/csv", headers=headers(name))
