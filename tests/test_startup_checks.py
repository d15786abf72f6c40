"""A broken catalog, menu or staff text stops start-up with a message naming the key, instead of
failing in the middle of a call; and the answer of last resort needs none of them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

import i18n
from app import create_app
from ivr import menu, prompts
from tests.conftest import ROOT, app_config
from tests.phone import MAIN, MARIE, signed_post

CALL = {"CallSid": "CA" + "3" * 32, "From": MARIE, "To": MAIN}


def _broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / source.name
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    return broken


def test_a_prompt_missing_its_english_stops_start_up_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _broken_copy(
        tmp_path, prompts.CATALOG_FILE, 'en = "Welcome to AltiLogix technical support."\n', ""
    )
    monkeypatch.setattr(prompts, "CATALOG_FILE", broken)
    with pytest.raises(i18n.CatalogError, match="'welcome' needs exactly fr, en"):
        create_app(app_config("sqlite://"))


def test_a_prompt_missing_altogether_stops_start_up_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _broken_copy(tmp_path, prompts.CATALOG_FILE, "[goodbye]", "[farewell]")
    monkeypatch.setattr(prompts, "CATALOG_FILE", broken)
    with pytest.raises(i18n.CatalogError, match="'goodbye' is missing"):
        create_app(app_config("sqlite://"))


def test_a_prompt_with_other_placeholders_than_the_code_fills_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _broken_copy(
        tmp_path,
        prompts.CATALOG_FILE,
        'fr = "Nous avons ouvert le billet numéro {number}."',
        'fr = "Nous avons ouvert le billet numéro {numero}."',
    )
    monkeypatch.setattr(prompts, "CATALOG_FILE", broken)
    with pytest.raises(i18n.CatalogError, match="'ticket_opened'"):
        create_app(app_config("sqlite://"))


def test_a_menu_option_leading_nowhere_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _broken_copy(
        tmp_path, menu.MENU_FILE, 'destination = "reception"', 'destination = "cafeteria"'
    )
    monkeypatch.setattr(menu, "MENU_FILE", broken)
    with pytest.raises(menu.MenuError, match="menu option 0: unknown destination 'cafeteria'"):
        create_app(app_config("sqlite://"))


def test_a_staff_text_missing_stops_start_up_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk import context

    broken = _broken_copy(tmp_path, context.NOTICES_FILE, "[escalation_sms]", "[escalation_txt]")
    monkeypatch.setattr(context, "NOTICES_FILE", broken)
    with pytest.raises(i18n.CatalogError, match="'escalation_sms' is missing"):
        create_app(app_config("sqlite://"))


def test_every_menu_destination_leads_to_a_step(phone_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in phone_app.url_map.iter_rules()}
    assert set(menu.STEPS.values()) <= endpoints


def test_the_answer_of_last_resort_needs_no_catalog(
    phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> str:
        raise i18n.CatalogError("the catalog went away")

    monkeypatch.setattr(i18n.Catalog, "render", broken)
    response = signed_post(phone_app, "/voice/incoming", CALL)
    assert response.status_code == 200
    assert "<Record" in response.get_data(as_text=True)


def _prompt_keys_in_code() -> set[str]:
    """Every literal prompt key the call flows pass to say() or text()."""
    keys = set()
    for path in (ROOT / "ivr").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in {"say", "text", "render"}:
                continue
            keys |= {
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and arg.value.isidentifier()
                and arg.value.islower()
                and arg.value not in {"fr", "en"}
            }
    return keys


def test_every_prompt_the_code_says_is_checked_at_start_up() -> None:
    assert _prompt_keys_in_code() - set(prompts.PROMPTS) == set()


def test_importing_the_speech_module_does_not_load_flask() -> None:
    probe = "import sys, ivr.speech; sys.exit('flask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=False).returncode == 0
