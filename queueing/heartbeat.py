"""Heartbeats in Redis: each worker's relay beats every round; /healthz, and the relay looking
for jobs held by a worker that is gone, read them.

RQ's own worker heartbeat moves only when a worker takes a job or its dequeue times out, and its
key outlives a killed worker by minutes; this one moves every few seconds. It is one sorted set
(worker name → time of its last beat), so one round trip reads it, however many keys Redis holds.
Its key carries the database's identity, as queues and job ids do: deployments that share one
Redis (a staging and a production) each see their own workers, never each other's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis

TTL_SECONDS = 60  # a worker silent this long disappears from the list


def workers_key(installation: str) -> str:
    """The sorted set of one database's workers (see ``outbox.installation_key``)."""
    return f"altilogix:{installation[:12]}:heartbeats:worker"


def beat(connection: Redis, installation: str, worker_name: str, moment: datetime) -> None:
    """The relay of ``worker_name`` is alive at ``moment``."""
    key, stamp = workers_key(installation), moment.timestamp()
    with connection.pipeline() as pipeline:
        pipeline.zadd(key, {worker_name: stamp})
        pipeline.zremrangebyscore(key, "-inf", stamp - TTL_SECONDS)
        pipeline.expire(key, TTL_SECONDS)
        pipeline.execute()


def last_beats(connection: Redis, installation: str) -> list[datetime]:
    key = workers_key(installation)
    beats: list[tuple[bytes, float]] = connection.zrange(key, 0, -1, withscores=True)  # type: ignore[assignment]
    return [datetime.fromtimestamp(score, UTC) for _, score in beats]


def alive(
    connection: Redis, installation: str, worker_name: str, now: datetime, within: timedelta
) -> bool:
    """Whether ``worker_name`` beat within ``within`` before ``now``."""
    score = connection.zscore(workers_key(installation), worker_name)
    return score is not None and now.timestamp() - float(score) <= within.total_seconds()
