"""gunicorn's settings for the web app, read from the working directory (the project's root) by
every ``gunicorn 'app:create_app()'``: the Procfile's, ``make run``'s and the benchmarks'."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(_worker: Any) -> None:
    """The app is loaded: its objects (about 150,000: the catalogs, the models, the templates)
    live as long as the worker. Out of the garbage collector's sight, they no longer make each
    full collection a pause of about 90 ms in the middle of some caller's step. What start-up
    left for the collector goes first, or it would be kept for good."""
    gc.collect()
    gc.freeze()
