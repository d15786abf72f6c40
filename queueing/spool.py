"""A durable local spool: what a webhook could not write to the database (it was down) is kept
in a file, one per entry, and replayed into the database when it is back.

Each entry is written to a temporary name, flushed to disk and renamed into place, so a crash
leaves either a whole entry or none. Replaying claims an entry by renaming it, so two processes
never replay the same one; a claim left by a process that died is taken back after a while.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUFFIX = ".json"
CLAIMED = ".claimed"
STALE_CLAIM_SECONDS = 300
# An entry that fails this often for a reason other than the database being away is set aside in
# failed/ (and reported), instead of being tried after every webhook for ever.
MAX_FAILURES = 5
FAILED = "failed"


def write(folder: Path, entry: dict[str, Any]) -> Path:
    """Keep ``entry`` on disk for good before returning (fsync of the file and its folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    name = f"{now:020d}-{uuid.uuid4().hex[:8]}"
    temporary, final = folder / f".{name}.tmp", folder / f"{name}{SUFFIX}"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(entry, file)
        file.flush()
        # Every age here is read from this process's clock (names, claims), never the file
        # system's: the two may disagree (a moved clock, a network file system's server).
        os.utime(file.fileno(), ns=(now, now))
        os.fsync(file.fileno())
    os.replace(temporary, final)
    _sync_folder(folder)
    return final


def entry_id(entry: dict[str, Any]) -> str:
    """The id an entry was written with (``"id"``), the same in every copy of it; for one written
    before entries had ids, one made from its content (a hash of its canonical JSON), which
    every copy shares too."""
    given = entry.get("id")
    if given:
        return str(given)
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def pending(folder: Path) -> bool:
    """Whether anything waits (cheap: one directory listing, stopped at the first entry)."""
    try:
        with os.scandir(folder) as entries:
            return any(e.name.endswith((SUFFIX, CLAIMED)) for e in entries)
    except FileNotFoundError:
        return False


def writable(folder: Path) -> bool:
    """Whether an entry could be written now (the folder made if need be, a file written)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            return True
    except OSError:
        return False


def waiting(folder: Path) -> int:
    """How many entries wait to be replayed (for /metrics)."""
    try:
        with os.scandir(folder) as entries:
            return sum(1 for e in entries if e.name.endswith((SUFFIX, CLAIMED)))
    except FileNotFoundError:
        return 0


def replay(
    folder: Path,
    apply: Callable[[dict[str, Any]], None],
    limit: int = 50,
    transient: Callable[[Exception], bool] = lambda _error: True,
    older_than: float = 0.0,
) -> int:
    """Apply waiting entries, oldest first; an entry is removed once applied. Returns how many
    were applied. One that fails stays for the next replay; one that fails ``MAX_FAILURES``
    times for a reason that is not ``transient`` is set aside in ``failed/``."""
    done = 0
    for claimed in _claim(folder, limit, older_than):
        try:
            apply(json.loads(claimed.read_text(encoding="utf-8")))
        except Exception as error:
            log.warning("spooled entry %s not replayed yet: %s", claimed.name, type(error).__name__)
            _put_back(claimed, counts=not transient(error))
            continue
        claimed.unlink()
        done += 1
    return done


def _put_back(claimed: Path, counts: bool) -> None:
    """Back to waiting, with one failure more when it counts; set aside at the last one."""
    stem = claimed.name.removesuffix(SUFFIX + CLAIMED)
    base, _, failures = stem.partition(".")
    count = int(failures or 0) + (1 if counts else 0)
    if count >= MAX_FAILURES:
        (claimed.parent / FAILED).mkdir(exist_ok=True)
        claimed.rename(claimed.parent / FAILED / f"{base}{SUFFIX}")
        log.error("spooled entry %s failed %d times: set aside in %s/", base, count, FAILED)
        return
    claimed.rename(claimed.parent / (f"{base}.{count}{SUFFIX}" if count else f"{base}{SUFFIX}"))


def set_aside(folder: Path) -> int:
    """How many entries were set aside after failing again and again."""
    failed = folder / FAILED
    return sum(1 for _ in failed.glob(f"*{SUFFIX}")) if failed.is_dir() else 0


def _claim(folder: Path, limit: int, older_than: float = 0.0) -> Iterator[Path]:
    if not folder.is_dir():
        return
    _release_stale(folder)
    # Names begin with the time they were written, in nanoseconds.
    before = int((time.time() - older_than) * 1e9)
    waiting = [p for p in sorted(folder.glob(f"*{SUFFIX}")) if int(p.name[:20]) < before]
    for path in waiting[:limit]:
        claimed = path.with_name(path.name + CLAIMED)
        try:
            path.rename(claimed)
        except FileNotFoundError:  # another process took it
            continue
        now = time.time_ns()
        os.utime(claimed, ns=(now, now))  # the claim's age, for _release_stale
        yield claimed


def _release_stale(folder: Path) -> None:
    for claimed in folder.glob(f"*{CLAIMED}"):
        try:
            if time.time() - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                claimed.rename(claimed.with_suffix(""))
        except FileNotFoundError:
            continue
