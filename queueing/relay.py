"""The relay: in each worker, every few seconds, hands RQ the outbox rows that are due, and
hands again what RQ lost.

Several relays at once are safe (rows are locked with SKIP LOCKED, and a row's job id is the
same every time it is handed). A row stays QUEUED until its job marks it; one queued for longer
than ``LOST_AFTER`` whose job is missing (Redis restarted without its data), in no queue, ended
without marking its row, or held by a worker that is gone, is handed again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from rq import Queue
from rq.job import Job
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxState, OutboxTask, utcnow
from queueing import heartbeat, outbox
from queueing.kinds import TaskError, TaskTable

log = logging.getLogger(__name__)
LOST_AFTER = timedelta(seconds=30)
WORKER_GONE_AFTER = timedelta(seconds=20)  # a relay beats every few seconds
RESCUE_EVERY = 10  # rounds
# Statuses of a job that is waiting or running where RQ can see it.
_ALIVE = {"queued", "started"}


@dataclass
class Relay:
    """One worker's relay. ``chores``: what each round does first (this host's spool, the
    periodic rows that must exist); a chore that fails is logged and the round goes on."""

    sessions: sessionmaker[Session]
    queue: Queue
    installation: str
    table: TaskTable
    name: str  # the worker's, in the heartbeats
    chores: Sequence[Callable[[], object]] = ()
    rounds: int = 0
    rescue_from: int = 0  # where the next look for lost jobs starts
    stopped: threading.Event = field(default_factory=threading.Event)

    def once(self) -> int:
        """One round: how many rows were handed to RQ."""
        self.rounds += 1
        try:
            heartbeat.beat(self.queue.connection, self.installation, self.name, utcnow())
            self._chores()
            moved = self.hand_due()
            if self.rounds % RESCUE_EVERY == 1:
                moved += self.rescue()
            return moved
        except Exception as error:  # the database or Redis is away: the next round tries again
            log.warning("outbox relay failed (%s); the next round tries again", error)
            return 0

    def _chores(self) -> None:
        # A chore that fails (a spool folder it may not read) must not hold back the due rows.
        for chore in self.chores:
            try:
                chore()
            except Exception as error:
                log.warning("relay chore failed (%s); the round goes on", type(error).__name__)

    def run_every(self, seconds: float) -> None:
        """Rounds until ``stop``; in a thread of the worker."""
        while not self.stopped.wait(seconds):
            self.once()

    def stop(self) -> None:
        self.stopped.set()

    def hand_due(self, limit: int = 200) -> int:
        with self.sessions.begin() as session:
            return self._hand(outbox.due(session, limit))

    def rescue(self, limit: int = 500) -> int:
        """Hand again what RQ lost, looking at ``limit`` long-queued rows in turn."""
        with self.sessions.begin() as session:
            rows = outbox.handed_long_ago(session, LOST_AFTER, self.rescue_from, limit)
            self.rescue_from = rows[-1].id if len(rows) == limit else 0
            lost = [row for row in rows if self._lost(row)]
            if lost:
                log.warning("%d queued task(s) RQ no longer runs: handed again", len(lost))
            return self._hand(lost, again=True)

    def _lost(self, row: OutboxTask) -> bool:
        job = Job.fetch_many([self._id(row)], connection=self.queue.connection)[0]
        if job is None:
            return True
        status = job.get_status(refresh=False)
        if status == "queued":
            return job.id not in self.queue.get_job_ids()
        if status == "started":
            name = job.worker_name or ""
            return not heartbeat.alive(
                self.queue.connection, self.installation, name, utcnow(), WORKER_GONE_AFTER
            )
        return status not in _ALIVE  # finished or failed without marking its row

    def _hand(self, rows: Sequence[OutboxTask], *, again: bool = False) -> int:
        moved = 0
        for row in rows:
            try:
                self._enqueue(row, again)
            except TaskError as error:  # a name this version does not know: kept, and said
                row.last_error = str(error)
                log.error("outbox task %s cannot be queued: %s", row.id, error)
                continue
            row.state, row.relayed_at = OutboxState.QUEUED, utcnow()
            moved += 1
        return moved

    def _enqueue(self, row: OutboxTask, again: bool) -> None:
        """``again``: the row's job is lost (gone, stuck, or its worker dead): replace it."""
        task = self.table.spec(row.task)
        identifier = self._id(row)
        old = Job.fetch_many([identifier], connection=self.queue.connection)[0]
        if old is not None and not again and old.get_status(refresh=False) in _ALIVE:
            return  # a relay that died after enqueueing, before committing, meets its job
        if old is not None:
            self.queue.remove(old)
            old.delete()  # an ended or lost run of this row: the row says it is due
        self.queue.enqueue(
            self.table.runner,
            kwargs={"task_id": row.id},
            job_id=identifier,
            description=f"{task.name} (outbox {row.id})",
            result_ttl=0,  # the row keeps the outcome
            failure_ttl=24 * 3600,
        )

    def _id(self, row: OutboxTask) -> str:
        return outbox.job_id(self.installation, row.id)
