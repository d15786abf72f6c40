"""The RQ worker: runs queued tasks, with RQ's scheduler for timed ones, and relays the outbox.

Run it as ``python worker.py`` (the Procfile does). Several can run at once, on several hosts.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy.orm import Session, sessionmaker

import settings
from models import utcnow
from queueing import heartbeat, outbox, runtime

log = logging.getLogger("worker")

# RQ forks a work horse for every job, and its scheduler. A fork taken while the relay thread is
# inside SQLite copies into the child SQLite's in-process lock records (and held mutexes) of a
# connection that does not exist there: the child's first write waits for a lock nobody will
# release ("database is locked" after the busy timeout), or blocks for good on the mutex when it
# opens its connection. So the relay holds this lock while in the database, and forks wait for it.
_relay_in_database = threading.Lock()
_forks_guarded = False


def make_forks_wait_for_the_relay() -> None:
    """From now on, a fork of this process waits until the relay is out of the database."""
    global _forks_guarded
    if _forks_guarded:
        return
    os.register_at_fork(
        before=_relay_in_database.acquire,
        after_in_parent=_relay_in_database.release,
        after_in_child=_relay_in_database.release,
    )
    _forks_guarded = True


class OutboxRelay(threading.Thread):
    """Moves outbox rows to RQ every few seconds until stopped."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        queue: Queue,
        interval: float,
        name: str = "worker",
    ) -> None:
        super().__init__(name="outbox-relay", daemon=True)
        self.session_factory = session_factory
        self.queue = queue
        self.interval = interval
        self.worker_name = name
        self.stopped = threading.Event()

    def relay_once(self) -> int:
        try:
            heartbeat.beat(self.queue.connection, self.worker_name, utcnow())
            with _relay_in_database:
                return outbox.relay(self.session_factory, self.queue)
        except Exception:
            # The database or Redis is away: the rows wait, the next round tries again.
            log.exception("outbox relay failed; will retry in %.0f s", self.interval)
            return 0

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.relay_once()

    def stop(self) -> None:
        self.stopped.set()


def make_worker(config: Mapping[str, Any]) -> tuple[Worker, OutboxRelay]:
    connection = Redis.from_url(config["REDIS_URL"])
    queue = Queue(config["RQ_QUEUE"], connection=connection)
    runtime.configure(config)
    worker = Worker([queue], connection=connection)
    relay = OutboxRelay(
        runtime.session_factory(), queue, config["OUTBOX_RELAY_SECONDS"], name=worker.name
    )
    return worker, relay


def wait_for_redis(connection: Redis, seconds: float) -> None:
    """Give a Redis that is still starting (``make run``, a host reboot) time to answer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ping()
            return
        except RedisError:
            if time.monotonic() >= deadline:
                raise
            log.info("waiting for Redis to answer…")
            time.sleep(0.5)


def main() -> int:
    config = settings.load()
    settings.configure_logging(config)
    make_forks_wait_for_the_relay()
    worker, relay = make_worker(config)
    wait_for_redis(worker.connection, seconds=30)
    moved = relay.relay_once()
    log.info("outbox relay at start-up: %d task(s) queued", moved)
    relay.start()
    try:
        worker.work(with_scheduler=True, logging_level=config["LOG_LEVEL"])
    finally:
        relay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
