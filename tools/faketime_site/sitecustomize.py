"""Loaded by every Python process of ``make test-moved-clock`` (it is on their PYTHONPATH).

Under libfaketime 0.9.10 (Debian 12) with ``DONT_FAKE_MONOTONIC=1``, the system clock is moved
and the monotonic clock left real, so that timeouts and waits keep working; but Python 3.11's
``time.sleep`` (an absolute ``clock_nanosleep`` on the monotonic clock) then fails with EINVAL.
This sleep waits the same time in ``select``, which libfaketime leaves alone. Nothing changes
outside a faked run: without ``FAKETIME`` in the environment this file does nothing.
"""

import os
import select
import time
from typing import SupportsIndex

if os.environ.get("FAKETIME"):

    def _sleep(seconds: float | SupportsIndex) -> None:
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
