"""The RQ worker: runs queued tasks, with RQ's scheduler for timed ones, and relays the outbox.

Run it as ``python worker.py`` (the Procfile does). Several can run at once, on several hosts.
It builds its own context (settings, database, business hours, the staff texts, and checks the
phone line's catalog too), and serves only its own database's queue.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.scheduler import RQScheduler

import app
import settings
from helpdesk import context as helpdesk_context
from helpdesk import imap_poll, replay
from helpdesk.context import Context
from helpdesk.jobs import BoundWorker
from models import utcnow
from queueing import heartbeat, outbox

log = logging.getLogger("worker")

# Lost tasks are looked for every this many relay rounds (each a few seconds).
RECOVER_EVERY = 10


class HelpdeskWorker(BoundWorker, Worker):
    """RQ's forking worker; its jobs run against the worker's context."""


class HelpdeskSimpleWorker(BoundWorker, SimpleWorker):
    """Jobs in the worker's own process (tests, ``--burst`` on a machine without fork)."""


class OutboxRelay(threading.Thread):
    """Moves outbox rows to RQ every few seconds until stopped, and hands again what RQ lost."""

    def __init__(self, context: Context, queue: Queue, installation: str, name: str) -> None:
        super().__init__(name="outbox-relay", daemon=True)
        self.context = context
        self.queue = queue
        self.installation = installation
        self.worker_name = name
        self.stopped = threading.Event()
        self.rounds = 0
        self.recover_from = 0  # where the next look for lost tasks starts

    def relay_once(self) -> int:
        try:
            heartbeat.beat(self.queue.connection, self.worker_name, utcnow())
            replay.replay_spool(self.context)
            moved = outbox.relay(self.context.sessions, self.queue, self.installation)
            if self.rounds % RECOVER_EVERY == 0:
                recovered, self.recover_from = outbox.recover(
                    self.context.sessions, self.queue, self.installation, self.recover_from
                )
                moved += recovered
            return moved
        except Exception as error:
            # The database or Redis is away: the rows wait, the next round tries again.
            log.warning(
                "outbox relay failed (%s); will retry in %.0f s",
                type(error).__name__,
                self.context.settings.outbox_relay_seconds,
            )
            return 0
        finally:
            self.rounds += 1

    def run(self) -> None:
        while not self.stopped.wait(self.context.settings.outbox_relay_seconds):
            self.relay_once()

    def stop(self) -> None:
        self.stopped.set()


def queue_for(context: Context, connection: Redis) -> tuple[Queue, str]:
    """This database's queue, and the database's identity that names it."""
    with context.transaction() as session:
        installation = outbox.installation_key(session)
    name = outbox.queue_name(context.settings.rq_queue, installation)
    return Queue(name, connection=connection), installation


AnyWorker = HelpdeskWorker | HelpdeskSimpleWorker


def make_worker(
    context: Context, worker_class: type[AnyWorker] = HelpdeskWorker
) -> tuple[AnyWorker, OutboxRelay]:
    connection = Redis.from_url(context.settings.redis_url)
    queue, installation = queue_for(context, connection)
    worker = worker_class([queue], connection=connection)
    worker.context = context
    relay = OutboxRelay(context, queue, installation, name=worker.name)
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


def burst(context: Context) -> int:
    """Relay the outbox and run every job that is due, again until nothing is left, then
    return how many jobs ran (``rq worker --burst``, with the outbox and the timed jobs).

    Jobs due later (a notice at the next opening, a retry's back-off) stay scheduled."""
    worker, relay = make_worker(context, HelpdeskSimpleWorker)
    queue = relay.queue
    scheduler = RQScheduler([queue], connection=queue.connection)
    scheduler.prepare_registries([queue.name])
    if imap_poll.Schedule(context).wanted:
        imap_poll.Schedule(context).queue_once()
    ran = 0
    while True:
        relay.relay_once()
        scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
        if queue.count == 0:
            return ran
        ran += queue.count
        worker.work(burst=True, with_scheduler=False, logging_level=context.settings.log_level)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The AltiLogix worker.")
    parser.add_argument(
        "--burst", action="store_true", help="run what is due, then exit (rq worker --burst)"
    )
    options = parser.parse_args(argv)
    config = settings.load()
    settings.configure_logging(config)
    app.load_voice(config)  # the phone line's catalog and menu: a bad one stops here too
    context = helpdesk_context.build(config)
    if options.burst:
        log.info("burst: %d job(s) run", burst(context))
        return 0
    worker, relay = make_worker(context)
    wait_for_redis(worker.connection, seconds=30)
    moved = relay.relay_once()
    log.info("outbox relay at start-up: %d task(s) queued", moved)
    relay.start()
    mail = imap_poll.Schedule(context)
    if mail.wanted:
        mail.start()
    try:
        worker.work(with_scheduler=True, logging_level=config.log_level)
    finally:
        relay.stop()
        mail.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
