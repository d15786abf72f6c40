"""The web server's own settings, read the way gunicorn reads them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config, get_default_config_file

CONFIG_FILE = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


class ConfigReader(Application):  # type: ignore[misc]
    """gunicorn's own reading of a settings file, without its command line or an app."""

    def __init__(self) -> None:
        self.cfg = Config()

    def load(self) -> None:
        raise AssertionError("only the settings are read")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_gunicorn_started_in_the_projects_folder_reads_this_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CONFIG_FILE.parent)
    assert get_default_config_file() == str(CONFIG_FILE)


def test_a_web_worker_puts_the_loaded_app_out_of_the_collectors_sight(unfrozen: None) -> None:
    reader = ConfigReader()
    reader.load_config_from_file(str(CONFIG_FILE))
    frozen_before = gc.get_freeze_count()
    reader.cfg.post_worker_init(object())
    assert gc.get_freeze_count() > frozen_before


def test_a_stuck_request_is_killed_before_twilio_gives_up_and_no_control_socket_is_shared() -> None:
    reader = ConfigReader()
    reader.load_config_from_file(str(CONFIG_FILE))
    assert (reader.cfg.timeout, reader.cfg.graceful_timeout) == (10, 5)
    assert reader.cfg.control_socket_disable is True
    assert reader.cfg.accesslog == "-"


def test_the_procfile_migrates_on_release_and_leaves_the_web_settings_to_this_file() -> None:
    procfile = (CONFIG_FILE.parent / "Procfile").read_text()
    assert "release: flask --app app db upgrade" in procfile
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert web == "web: gunicorn 'app:create_app()'"
