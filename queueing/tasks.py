"""The tasks the outbox may carry: a name, and the RQ job function that performs it.

Only names listed here can be queued, so nothing read from the database can make the worker
import an arbitrary function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    function: str  # dotted path, imported by the RQ worker
    max_retries: int = 5


# Retries back off: 10 s, 30 s, 1 min, 5 min, 15 min.
RETRY_INTERVALS = [10, 30, 60, 300, 900]

TASKS: dict[str, TaskSpec] = {
    # Plan what a new support ticket sets going (the three tasks below), off the phone line.
    "ticket.follow_up": TaskSpec("helpdesk.follow_up.follow_up"),
    # Tell the people on duty about a ticket (email and SMS), once per person and channel.
    "ticket.notify": TaskSpec("helpdesk.notify.notify_ticket"),
    # Warn the supervisors when a ticket nears its deadline without a first response.
    "ticket.sla_watch": TaskSpec("helpdesk.notify.sla_watch"),
    # Page the supervisors when an urgent ticket is still unanswered.
    "ticket.escalate": TaskSpec("helpdesk.notify.escalate"),
    # Tell the supervisors a message from someone not authorized waits for them.
    "ticket.verify": TaskSpec("helpdesk.notify.ask_verification"),
    # Click-to-call: ring the technician, then bridge to the client.
    "call.callback": TaskSpec("helpdesk.callbacks.place_callback"),
}


def register(name: str, function: str, max_retries: int = 5) -> None:
    TASKS[name] = TaskSpec(function=function, max_retries=max_retries)


def spec(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(
            f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}"
        ) from None
