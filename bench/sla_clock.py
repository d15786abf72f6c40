"""Benchmark: SLA deadlines per second, interval clock against the minute-stepping reference.

Run with ``make bench`` (or ``python -m bench.sla_clock``). Both clocks get the same random
cases in the same run; the reference, being slow, gets the first few hundred of them. The target
is a ratio of at least 100.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from routing import config, sla
from tests.reference_clock import ReferenceClock

FIRST = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = int((datetime(2030, 12, 1, tzinfo=UTC) - FIRST).total_seconds() // 60)


def make_cases(count: int, seed: int) -> list[tuple[str, datetime, timedelta]]:
    """Random requests: a line, an instant across 2026-2030, a budget up to a business week."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        line = rng.choice(["regular", "urgent"])
        start = FIRST + timedelta(minutes=rng.randrange(SPAN_MINUTES))
        budget = timedelta(minutes=rng.randint(1, 5 * 8 * 60 + 30))
        cases.append((line, start, budget))
    return cases


def run(count: int, reference_count: int, seed: int) -> float:
    hours = config.load()
    cases = make_cases(count, seed)

    began = time.perf_counter()
    fast_answers = []
    for line, start, budget in cases:
        # A new calendar per case, as each request builds its own from the database.
        calendar = hours.calendar(hours.line(line).schedule)
        fast_answers.append(sla.deadline(calendar, start, budget))
    fast_rate = count / (time.perf_counter() - began)

    began = time.perf_counter()
    for (line, start, budget), expected in zip(cases[:reference_count], fast_answers, strict=False):
        schedule = hours.schedule(hours.line(line).schedule)
        answer = ReferenceClock(schedule, hours.timezone, hours.holidays).deadline(start, budget)
        if answer != expected:
            raise SystemExit(f"disagreement on {line} {start} {budget}: {answer} != {expected}")
    reference_rate = reference_count / (time.perf_counter() - began)

    ratio = fast_rate / reference_rate
    print(f"cases: {count} (reference on the first {reference_count}, same answers)")
    print(f"interval clock:        {fast_rate:12,.0f} deadlines/s")
    print(f"minute-stepping clock: {reference_rate:12,.1f} deadlines/s")
    print(f"ratio:                 {ratio:12,.0f}x  (target: at least 100x)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--reference-cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    run(args.cases, args.reference_cases, args.seed)


if __name__ == "__main__":
    main()
