"""The worker as a real process, run by a process manager as in production (``make run``'s
supervisor), against faults: a busy SQLite file, Redis going away."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from unittest.mock import ANY

import pytest
from alembic import command
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import health
from app import create_app
from migrations import alembic_config
from models import Counter, OutboxTask, utcnow
from models.db import make_engine, make_session_factory
from queueing import heartbeat, outbox
from tests import jobs
from tests.conftest import ROOT, app_config
from tests.services import PrivateRedis

QUEUE = "altilogix-faults"
# The worker serves the test tasks too; a supervisor restarts it when it quits, after 0.5 s.
WORKER_MAIN = "import sys, tests.jobs, worker; sys.exit(worker.main(table=tests.jobs.TABLE))"
SUPERVISED = f"""
import sys
from cli.supervisor import Program, RestartPolicy, Supervisor
worker = Program("worker", [sys.executable, "-c", {WORKER_MAIN!r}])
sys.exit(Supervisor([worker], RestartPolicy(delays=(0.5,) * 10, window=60)).run())
"""


class WorkerProcess:
    """``worker.main()`` under a supervisor, in a process of its own, its output in a file."""

    def __init__(
        self, database_url: str, redis_url: str, log_path: Path, relay: str, program: str
    ) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": QUEUE,
            "OUTBOX_RELAY_SECONDS": relay,
            "TESTING": "true",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-c", program],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM (a warm stop), then SIGKILL if it is still there after 15 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a host that dies (an unsupervised worker: nothing starts it again)."""
        self.process.kill()
        self.process.wait(timeout=5)


def wait_until(condition: Callable[[], bool], seconds: float, why: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(why())
        time.sleep(0.1)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    return _migrated(tmp_path / "worker.db")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(
        database_url: str, redis_url: str, relay: str = "0.5", program: str = SUPERVISED
    ) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        process = WorkerProcess(database_url, redis_url, log, relay, program)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def _queue_of(sessions: sessionmaker[Session], redis: Redis) -> Queue:
    """The queue the worker serves: its database's own."""
    with sessions.begin() as db:
        installation = outbox.installation_key(db)
    return Queue(outbox.queue_name(QUEUE, installation), connection=redis)


def _add(sessions: sessionmaker[Session], task: object, **args: object) -> int:
    """A task written to the outbox, as the web app writes them; its relay hands it over."""
    with sessions.begin() as db:
        outbox.add(db, task, args, run_at=args.pop("run_at", None))  # type: ignore[arg-type]
        return db.scalars(select(func.max(OutboxTask.id))).one()


def _counted(sessions: sessionmaker[Session]) -> int:
    with sessions() as db:
        return db.scalar(select(func.count(Counter.name))) or 0


# A hang, not a slow machine: about 20 s here alone, a minute under CI's other work.
HANG = 180


def test_jobs_run_on_sqlite_while_the_relay_is_busy_in_the_database(
    sqlite_file: str, private_redis: PrivateRedis, start_worker: Callable[..., WorkerProcess]
) -> None:
    """Jobs write the SQLite file while the relay thread is in it nearly all the time; no job
    may fail with "database is locked" nor hang."""
    sessions = make_session_factory(make_engine(sqlite_file))
    total = 150
    with sessions.begin() as db:
        for index in range(total):
            outbox.add(db, jobs.COUNT, {"name": f"job-{index}"})
        # Rows of a task nobody knows stay pending: the relay rewrites them every round, which
        # keeps it inside SQLite nearly all the time.
        db.add_all(OutboxTask(task="test.gone", args={}) for _ in range(200))
    redis = private_redis.client()
    queue = _queue_of(sessions, redis)
    worker = start_worker(sqlite_file, private_redis.url, relay="0.001")
    failed = FailedJobRegistry(queue.name, connection=redis)
    wait_until(
        lambda: _counted(sessions) == total or failed.count > 0,
        HANG,
        lambda: f"{_counted(sessions)} of {total} jobs ran in {HANG} s; see {worker.log_path}",
    )
    assert _failures(failed) == []
    assert worker.stop() == 0


def _failures(registry: FailedJobRegistry) -> list[str]:
    """The exception of each failed job (the last line of its traceback that names one)."""
    jobs = Job.fetch_many(registry.get_job_ids(), connection=registry.connection)
    results = [job.latest_result() for job in jobs if job is not None]
    texts = [(result.exc_string or "") for result in results if result is not None]
    return [[line for line in text.splitlines() if "Error" in line][-1] for text in texts]


def _ran(sessions: sessionmaker[Session], name: str) -> bool:
    with sessions() as db:
        return db.get(Counter, name) is not None


def _worker_started(redis: Redis, sessions: sessionmaker[Session]) -> bool:
    with sessions.begin() as db:
        installation = outbox.installation_key(db)
    try:
        return bool(heartbeat.last_beats(redis, installation))
    except RedisError:
        return False


def test_jobs_go_on_after_a_redis_outage_that_caught_a_worker_busy(
    sqlite_file: str, private_redis: PrivateRedis, start_worker: Callable[..., WorkerProcess]
) -> None:
    sessions = make_session_factory(make_engine(sqlite_file))
    redis = private_redis.client()
    worker = start_worker(sqlite_file, private_redis.url)
    wait_until(
        lambda: _worker_started(redis, sessions), 20, lambda: f"no start; see {worker.log_path}"
    )
    with sessions.begin() as db:
        installation = outbox.installation_key(db)
    busy_id = outbox.job_id(installation, _add(sessions, jobs.PAUSE, seconds=2))

    def busy_started() -> bool:
        job = Job.fetch(busy_id, connection=redis) if Job.exists(busy_id, redis) else None
        return job is not None and job.get_status() == "started"

    wait_until(busy_started, 10, lambda: "the job never started")

    private_redis.stop()  # while the worker is busy
    time.sleep(3)
    private_redis.start()

    _add(sessions, jobs.COUNT, name="after")
    wait_until(
        lambda: _ran(sessions, "after"),
        30,
        lambda: f"no job ran after Redis came back; see {worker.log_path}",
    )
    assert worker.process.poll() is None, worker.log()  # the process manager kept it going
    assert worker.stop() == 0


def test_a_timed_task_runs_when_due_after_a_redis_outage(
    sqlite_file: str, private_redis: PrivateRedis, start_worker: Callable[..., WorkerProcess]
) -> None:
    """The database keeps the schedule: nothing timed was in Redis to lose."""
    sessions = make_session_factory(make_engine(sqlite_file))
    redis = private_redis.client()
    worker = start_worker(sqlite_file, private_redis.url)
    wait_until(
        lambda: _worker_started(redis, sessions), 20, lambda: f"no start; see {worker.log_path}"
    )
    _add(sessions, jobs.COUNT, name="timed", run_at=utcnow() + timedelta(seconds=5))

    private_redis.stop()  # Redis restarts empty before the task is due
    time.sleep(2)
    private_redis.start()

    wait_until(
        lambda: _ran(sessions, "timed"),
        30,
        lambda: f"the timed task did not run; see {worker.log_path}",
    )
    assert worker.stop() == 0


def _worker_health(database_url: str, redis_url: str) -> dict[str, object]:
    app = create_app(app_config(database_url, REDIS_URL=redis_url))
    report: dict[str, object] = app.test_client().get("/healthz").get_json()["worker"]
    return report


def test_two_deployments_on_one_redis_each_see_their_own_workers(
    tmp_path: Path,
    private_redis: PrivateRedis,
    start_worker: Callable[..., WorkerProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staging, production = _migrated(tmp_path / "staging.db"), _migrated(tmp_path / "prod.db")
    redis = private_redis.client()
    workers = {
        url: start_worker(url, private_redis.url, program=WORKER_MAIN)
        for url in (staging, production)
    }
    for url, process in workers.items():
        sessions = make_session_factory(make_engine(url))
        started = functools.partial(_worker_started, redis, sessions)
        wait_until(started, 20, process.log)
    workers[staging].kill()
    monkeypatch.setattr(health, "WORKER_STALE_SECONDS", 2)
    time.sleep(3)  # the killed worker's last beat grows stale; the live one beats on
    assert _worker_health(staging, private_redis.url) == {
        "ok": False,
        "last_heartbeat": ANY,
        "age_seconds": ANY,
        "workers": 1,
    }
    assert _worker_health(production, private_redis.url)["ok"] is True
