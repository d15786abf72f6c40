"""Heartbeats in Redis: each worker's relay beats every round; /healthz, and the relay looking
for jobs held by a worker that is gone, read them.

RQ's own worker heartbeat moves only when a worker takes a job or its dequeue times out, and its
key outlives a killed worker by minutes; this one moves every few seconds. It is one sorted set
(worker name → time of its last beat), so one round trip reads it, however many keys Redis holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis

WORKERS = "altilogix:heartbeats:worker"
TTL_SECONDS = 60  # a worker silent this long disappears from the list


def beat(connection: Redis, worker_name: str, moment: datetime) -> None:
    """The relay of ``worker_name`` is alive at ``moment``."""
    stamp = moment.timestamp()
    with connection.pipeline() as pipeline:
        pipeline.zadd(WORKERS, {worker_name: stamp})
        pipeline.zremrangebyscore(WORKERS, "-inf", stamp - TTL_SECONDS)
        pipeline.expire(WORKERS, TTL_SECONDS)
        pipeline.execute()


def last_beats(connection: Redis) -> list[datetime]:
    beats: list[tuple[bytes, float]] = connection.zrange(WORKERS, 0, -1, withscores=True)  # type: ignore[assignment]
    return [datetime.fromtimestamp(score, UTC) for _, score in beats]


def alive(connection: Redis, worker_name: str, now: datetime, within: timedelta) -> bool:
    """Whether ``worker_name`` beat within ``within`` before ``now``."""
    score = connection.zscore(WORKERS, worker_name)
    return score is not None and now.timestamp() - float(score) <= within.total_seconds()
