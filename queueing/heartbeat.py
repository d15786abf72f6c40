"""Workers' heartbeats in Redis: each worker's relay beats every round; /healthz reads them.

RQ's own heartbeat only moves when a worker takes a job or its long dequeue times out (minutes
when idle); this one moves every few seconds, and says that the relay is alive too.
"""

from __future__ import annotations

from datetime import datetime

from redis import Redis

PREFIX = "altilogix:worker-heartbeat:"
TTL_SECONDS = 60  # a worker silent this long disappears from the list


def beat(connection: Redis, worker_name: str, moment: datetime) -> None:
    connection.set(PREFIX + worker_name, moment.isoformat(), ex=TTL_SECONDS)


def last_beats(connection: Redis) -> list[datetime]:
    keys = list(connection.scan_iter(match=PREFIX + "*", count=100))
    values = connection.mget(keys) if keys else []
    texts = [v.decode() if isinstance(v, bytes) else str(v) for v in values if v is not None]
    return [datetime.fromisoformat(text) for text in texts]
