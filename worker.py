"""The worker: RQ's own worker, plus the relay that hands it the outbox rows that are due.

Run it as ``python worker.py`` (the Procfile does), as many as needed, on any hosts. Jobs run in
the worker's process (RQ's SimpleWorker: no fork, so no connection is ever shared with a child),
each a plain function that takes a row's id. The database is the only scheduler: nothing is
handed to RQ before it is due. When Redis goes away RQ's worker waits for it, or quits, and its
process manager (the Procfile's runner, systemd, ``make run``) starts it again.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

import app
import settings
from helpdesk import jobs, recordings, replay, unreported_ends
from helpdesk.context import Context
from helpdesk.tasks import TABLE
from mail import imap
from queueing import outbox
from queueing.kinds import TaskTable
from queueing.relay import Relay

log = logging.getLogger("worker")


def main(argv: list[str] | None = None, table: TaskTable = TABLE) -> int:
    parser = argparse.ArgumentParser(description="The AltiLogix worker.")
    parser.add_argument("--burst", action="store_true", help="run what is due, then exit")
    options = parser.parse_args(argv)
    try:
        config = settings.load()
        settings.check_production(config)  # it sends the mail and the pages: the same needs
    except settings.ConfigError as error:
        print(f"worker: {error}", file=sys.stderr)
        return 1
    settings.configure_logging(config)
    app.load_voice(config)  # the phone line's catalog and menu: a bad one stops here too
    context = jobs.process_context()
    try:
        worker, relay = make_worker(context, Redis.from_url(config.redis_url), table)
    except RedisError as error:
        print(f"worker: Redis does not answer at REDIS_URL ({error})", file=sys.stderr)
        return 1
    if options.burst:
        log.info("burst: %d job(s) run", burst(worker, relay))
        return 0
    log.info("outbox relay at start-up: %d task(s) queued", relay.once())
    every = config.outbox_relay_seconds
    threading.Thread(target=relay.run_every, args=(every,), name="relay", daemon=True).start()
    try:
        worker.work(logging_level=config.log_level)
    finally:
        relay.stop()
    return 0


def make_worker(
    context: Context, connection: Redis, table: TaskTable = TABLE
) -> tuple[SimpleWorker, Relay]:
    """RQ's worker on this database's queue, and its relay, whose rounds also replay this
    host's spool and write the periodic rows that are due (the IMAP poll, the recordings' purge,
    the replayed spool entries' ids forgotten, the calls whose end Twilio never reported)."""
    with context.transaction() as session:
        installation = outbox.installation_key(session)
    queue = Queue(outbox.queue_name(context.settings.rq_queue, installation), connection=connection)
    worker = SimpleWorker([queue], connection=connection)
    chores = (
        lambda: replay.replay_spool(context),
        lambda: imap.write_due(context),
        lambda: recordings.write_due(context),
        lambda: replay.write_due(context),
        lambda: unreported_ends.write_due(context),
    )
    return worker, Relay(context.sessions, queue, installation, table, worker.name, chores)


def burst(worker: SimpleWorker, relay: Relay) -> int:
    """Run every job that is due, and those they make due, then return how many ran (``rq
    worker --burst`` with the outbox). Rows due later stay for a running worker."""
    ran = 0
    while relay.once() or relay.queue.count:
        ran += relay.queue.count
        worker.work(burst=True)
    return ran


if __name__ == "__main__":
    sys.exit(main())
