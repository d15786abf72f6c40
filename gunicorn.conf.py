"""gunicorn's settings for the web app, the one place they live: read from the working directory
(the project's root) by every ``gunicorn 'app:create_app()'``: the Procfile's, ``make run``'s
and the benchmarks'. The command line may still override one (``--bind``) for a special run.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
from typing import Any

from gunicorn.glogging import Logger

import settings
from redaction import RedactingFormatter, RedactingJsonFormatter

_config = settings.load()

# A developer's machine listens on loopback only; a production host behind its proxy, on all.
bind = [f"{'127.0.0.1' if _config.debug else '0.0.0.0'}:{_config.port}"]
workers = _config.web_concurrency
worker_class = "sync"
threads = 1
# Twilio gives up on a webhook after 15 s: a stuck request is killed well before, and the
# database gives up sooner still (models/db.py).
timeout = 10
graceful_timeout = 5
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = _config.log_level.lower()
# The access log says what was asked and how it went, not who asked nor what they typed: no
# query string (a search for a phone number), no referrer (a survey's link), no client address
# or browser. What the path may still carry (a survey token) is masked like every log line.
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logs, its errors and its access log, through the app's redaction."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        secrets = settings.log_secrets(_config)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if _config.log_format == "json":  # one JSON object a line, as the app's lines
                    handler.setFormatter(RedactingJsonFormatter(secrets))
                    continue
                shown = handler.formatter or logging.Formatter("%(message)s")
                handler.setFormatter(RedactingFormatter(shown._fmt or "", secrets, shown.datefmt))


logger_class = RedactingLogger
# gunicorn's control socket lives in the user's home by default, one for every gunicorn the user
# runs: two make runs, or a make run beside the tests' servers, would fight over it. Unused.
control_socket_disable = True


# Each web worker loads the app itself, after the fork: no worker shares another's database
# connections. (Preloaded instead, post_fork gives each worker connections of its own.)
preload_app = False


def on_starting(_server: Any) -> None:
    """/metrics adds up the request timings of every worker: prometheus-client keeps them in
    files of this folder (it reads the variable when a worker imports it, after the fork). A
    fresh folder each start: the timings of a previous run's workers are not ours."""
    folder = os.path.abspath(_config.metrics_dir)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_fork(server: Any, _worker: Any) -> None:
    app = getattr(server.app, "callable", None)  # the Flask app, only when it was preloaded
    if app is not None:
        app.extensions["helpdesk"].after_fork()


def post_worker_init(_worker: Any) -> None:
    """The app is loaded: its objects (about 150,000: the catalogs, the models, the templates)
    live as long as the worker. Out of the garbage collector's sight, they no longer make each
    full collection a pause of about 90 ms in the middle of some caller's step. What start-up
    left for the collector goes first, or it would be kept for good."""
    gc.collect()
    gc.freeze()
