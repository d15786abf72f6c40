"""The spool on disk: whole entries or none, each replayed once, a failed one kept."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from queueing import spool


def test_an_entry_written_is_replayed_then_removed(tmp_path: Path) -> None:
    spool.write(tmp_path, {"n": 1})
    seen: list[dict[str, Any]] = []
    assert spool.replay(tmp_path, seen.append) == 1
    assert seen == [{"n": 1}] and list(tmp_path.iterdir()) == []


def test_entries_are_replayed_oldest_first(tmp_path: Path) -> None:
    for n in range(3):
        spool.write(tmp_path, {"n": n})
    seen: list[dict[str, Any]] = []
    spool.replay(tmp_path, seen.append)
    assert [e["n"] for e in seen] == [0, 1, 2]


def test_an_entry_that_fails_stays_for_the_next_replay(tmp_path: Path) -> None:
    spool.write(tmp_path, {"n": 1})

    def fails(_entry: dict[str, Any]) -> None:
        raise ConnectionError("still down")

    assert spool.replay(tmp_path, fails) == 0
    assert spool.pending(tmp_path)
    assert spool.replay(tmp_path, lambda _entry: None) == 1


def test_an_entry_claimed_by_a_process_that_died_is_taken_back(tmp_path: Path) -> None:
    written = spool.write(tmp_path, {"n": 1})
    claimed = written.with_name(written.name + spool.CLAIMED)
    written.rename(claimed)
    old = time.time() - spool.STALE_CLAIM_SECONDS - 1
    os.utime(claimed, (old, old))
    assert spool.replay(tmp_path, lambda _entry: None) == 1


def test_an_entry_claimed_just_now_is_left_to_its_process(tmp_path: Path) -> None:
    written = spool.write(tmp_path, {"n": 1})
    written.rename(written.with_name(written.name + spool.CLAIMED))
    assert spool.replay(tmp_path, lambda _entry: None) == 0


def test_nothing_pending_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    assert spool.pending(tmp_path / "nowhere") is False


def test_an_entry_that_keeps_failing_for_another_reason_is_set_aside(tmp_path: Path) -> None:
    spool.write(tmp_path, {"n": 1})

    def a_bug(_entry: dict[str, Any]) -> None:
        raise KeyError("step")

    for _ in range(spool.MAX_FAILURES):
        spool.replay(tmp_path, a_bug, transient=lambda _error: False)
    assert spool.set_aside(tmp_path) == 1
    assert not spool.pending(tmp_path)


def test_an_entry_waiting_for_the_database_is_never_set_aside(tmp_path: Path) -> None:
    spool.write(tmp_path, {"n": 1})

    def database_away(_entry: dict[str, Any]) -> None:
        raise ConnectionError("still down")

    for _ in range(spool.MAX_FAILURES * 2):
        spool.replay(tmp_path, database_away, transient=lambda _error: True)
    assert spool.set_aside(tmp_path) == 0
    assert spool.replay(tmp_path, lambda _entry: None) == 1
