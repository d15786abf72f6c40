"""Heartbeats in Redis: each worker's relay and each running RQ scheduler beat; /healthz reads them.

RQ's own worker heartbeat only moves when a worker takes a job or its dequeue times out; these
move every few seconds (the relay's round, the scheduler's one-second loop). Each kind is one
sorted set (name → time of the last beat), so /healthz reads it in one round trip, however many
keys Redis holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis

WORKERS = "altilogix:heartbeats:worker"
SCHEDULERS = "altilogix:heartbeats:scheduler"
TTL_SECONDS = 60  # a process silent this long disappears from the list


def beat(connection: Redis, worker_name: str, moment: datetime) -> None:
    """The relay of ``worker_name`` is alive at ``moment``."""
    _beat(connection, WORKERS, worker_name, moment)


def beat_scheduler(connection: Redis, scheduler_name: str, moment: datetime) -> None:
    """The RQ scheduler ``scheduler_name`` is alive (and holds its queues' lock) at ``moment``."""
    _beat(connection, SCHEDULERS, scheduler_name, moment)


def last_beats(connection: Redis) -> list[datetime]:
    return _last_beats(connection, WORKERS)


def last_scheduler_beats(connection: Redis) -> list[datetime]:
    return _last_beats(connection, SCHEDULERS)


def _beat(connection: Redis, key: str, name: str, moment: datetime) -> None:
    stamp = moment.timestamp()
    with connection.pipeline() as pipeline:
        pipeline.zadd(key, {name: stamp})
        pipeline.zremrangebyscore(key, "-inf", stamp - TTL_SECONDS)
        pipeline.expire(key, TTL_SECONDS)
        pipeline.execute()


def _last_beats(connection: Redis, key: str) -> list[datetime]:
    beats: list[tuple[bytes, float]] = connection.zrange(key, 0, -1, withscores=True)  # type: ignore[assignment]
    return [datetime.fromtimestamp(score, UTC) for _, score in beats]
