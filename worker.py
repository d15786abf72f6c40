"""The RQ worker: runs queued tasks, with RQ's scheduler for timed ones, and relays the outbox.

Run it as ``python worker.py`` (the Procfile does). Several can run at once, on several hosts.
It builds its own context (settings, database, business hours, the staff texts, and checks the
phone line's catalog too), and serves only its own database's queue.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
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


# RQ restarts a dead scheduler only in its maintenance round, every 10 minutes; and a scheduler
# dies on the first Redis error. This worker wakes up this often, even when idle, to restart it.
SCHEDULER_CHECK_SECONDS = 5


class SupportScheduler(RQScheduler):
    """RQ's scheduler, which also beats in our heartbeats while it holds its queues' lock."""

    def heartbeat(self) -> None:
        super().heartbeat()  # type: ignore[no-untyped-call]
        if self.acquired_locks:
            heartbeat.beat_scheduler(self.connection, self.name, utcnow())


class SupportWorker(Worker):
    """RQ's forking worker, which keeps its scheduler running within seconds of any failure."""

    # When Redis is away, RQ waits 1 s, 2 s, 4 s… up to this between attempts (RQ's: 60 s).
    max_connection_wait_time = float(SCHEDULER_CHECK_SECONDS)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker's blocking dequeue returns this often, so that heartbeat() runs.
        return SCHEDULER_CHECK_SECONDS

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)
        if pipeline is None:  # not the pipelined beat taken while a job runs
            self.restart_scheduler_if_dead()

    def restart_scheduler_if_dead(self) -> None:
        """Start the scheduler again if it died, or take over one that stopped beating."""
        scheduler: RQScheduler | None = self.scheduler
        # Stopping, RQ kills the scheduler itself: one started now would outlive the worker.
        if scheduler is None or self.stop_was_requested:
            return
        process: BaseProcess | None = scheduler._process
        if process is not None and process.is_alive():
            return
        if scheduler.acquire_locks(auto_start=True):  # type: ignore[no-untyped-call]
            log.info("scheduler (re)started for %s", ", ".join(sorted(scheduler.acquired_locks)))

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # RQ's own, with our scheduler class (burst mode is not used here).
        self.scheduler = SupportScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if self.scheduler.acquired_locks:
            self.scheduler.start()  # type: ignore[no-untyped-call]

    @property
    def stop_was_requested(self) -> bool:
        """True once SIGTERM or SIGINT reached RQ's handlers (a warm or cold stop)."""
        return self._shutdown_requested_date is not None


class HelpdeskWorker(BoundWorker, SupportWorker):
    """The worker ``python worker.py`` runs: RQ's forking worker that keeps its scheduler
    running, its jobs run against the worker's context."""


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
            with _relay_in_database:
                return self._relay()
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

    def _relay(self) -> int:
        replay.replay_spool(self.context)
        moved = outbox.relay(self.context.sessions, self.queue, self.installation)
        if self.rounds % RECOVER_EVERY == 0:
            recovered, self.recover_from = outbox.recover(
                self.context.sessions, self.queue, self.installation, self.recover_from
            )
            moved += recovered
        return moved

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


class StopSignal:
    """SIGTERM or SIGINT while no RQ worker is running (waiting for Redis between two workers)."""

    def __init__(self) -> None:
        self.received = threading.Event()

    def install(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._receive)

    def _receive(self, _number: int, _frame: Any) -> None:
        self.received.set()


def wait_for_redis_again(connection: Redis, stop: StopSignal) -> bool:
    """Wait as long as it takes for Redis to answer; False if told to stop meanwhile."""
    log.warning("waiting for Redis to answer again…")
    while not stop.received.is_set():
        try:
            connection.ping()
            return True
        except RedisError:
            stop.received.wait(1)
    return False


def work_one_round(worker: HelpdeskWorker, log_level: str) -> None:
    """Run ``worker`` until it stops: on request, or on a Redis error it does not survive."""
    try:
        worker.work(with_scheduler=True, logging_level=log_level)
    except RedisError as error:  # from RQ's own shutdown, which talks to Redis too
        log.warning("worker %s stopped on a Redis error: %s", worker.name, error)
        with contextlib.suppress(RedisError):
            worker.unsubscribe()  # type: ignore[no-untyped-call]
    if worker.horse_pid:  # the job it was running when Redis went away
        worker.wait_for_horse()


def work_until_stopped(first: HelpdeskWorker, log_level: str) -> None:
    """RQ's worker quits on most Redis errors; start a new one each time Redis answers again."""
    worker = first
    stop = StopSignal()
    while True:
        try:
            work_one_round(worker, log_level)
        except StopRequested:  # a signal that reached the last worker's handlers late
            return
        if worker.stop_was_requested:
            return
        stop.install()  # RQ's handlers are the last worker's until the next one starts
        if not wait_for_redis_again(worker.connection, stop):
            return
        context = worker.context
        worker = HelpdeskWorker(worker.queues, connection=worker.connection)
        worker.context = context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The AltiLogix worker.")
    parser.add_argument(
        "--burst", action="store_true", help="run what is due, then exit (rq worker --burst)"
    )
    options = parser.parse_args(argv)
    try:
        config = settings.load()
        settings.check_production(config)  # it sends the mail and the pages: the same needs
    except settings.ConfigError as error:
        print(f"worker: {error}", file=sys.stderr)
        return 1
    settings.configure_logging(config)
    app.load_voice(config)  # the phone line's catalog and menu: a bad one stops here too
    context = helpdesk_context.build(config)
    if options.burst:
        log.info("burst: %d job(s) run", burst(context))
        return 0
    make_forks_wait_for_the_relay()
    # RQ's worker talks to Redis as it is made: wait for Redis first (make run, a reboot).
    wait_for_redis(Redis.from_url(config.redis_url), seconds=30)
    worker, relay = make_worker(context)
    assert isinstance(worker, HelpdeskWorker)
    moved = relay.relay_once()
    log.info("outbox relay at start-up: %d task(s) queued", moved)
    relay.start()
    mail = imap_poll.Schedule(context)
    if mail.wanted:
        mail.start()
    try:
        work_until_stopped(worker, config.log_level)
    finally:
        relay.stop()
        mail.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
