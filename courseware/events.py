"""Domain events: each logged once, as one structured line, by the service that does it.

The logger is ``courseware.events``, the message the event's name, the fields ids and
figures (never a reason typed by an instructor or an answer typed by a learner). The line
is written when the transaction around the action commits, so an action that is refused
or rolled back logs nothing. docs/deploy.md lists the events for operators.

Other apps hear of the events they name through ``event_listen``: a listener is called at once, inside
the transaction of the action, so what it writes (the xAPI outbox, xapi/outbox.py) commits
or rolls back with the action itself. A listener that fails is logged and skipped (its own
writes undone in a savepoint): the action never fails for it. This is the one place where
the apps below learn of an app above them without importing it.
"""

import logging
from collections.abc import Callable, Iterable
from enum import StrEnum

from django.db import transaction

logger = logging.getLogger("courseware.events")


class Event(StrEnum):
    ATTEMPT_SUBMITTED = "attempt_submitted"
    # Handed in by the server because its time ran out: the expiry job, or the learner
    # coming back (or answering, or clicking "Submit") after the deadline.
    ATTEMPT_AUTO_SUBMITTED = "attempt_auto_submitted"
    CERTIFICATE_ISSUED = "certificate_issued"
    IMPORT_APPLIED = "import_applied"
    QUIZ_OVERRIDE_GRANTED = "quiz_override_granted"
    # An operator put statements the LRS had refused back in the outbox's queue (xapi).
    STATEMENTS_SENT_AGAIN = "statements_sent_again"
    # A learner's steps, for the listeners (the LRS's statements) more than for operators.
    COURSE_OPENED = "course_opened"
    LESSON_COMPLETED = "lesson_completed"
    ATTEMPT_STARTED = "attempt_started"
    # A submitted attempt's score or pass changed: an instructor's grade or a regrade.
    ATTEMPT_RESCORED = "attempt_rescored"
    # A learner's score or completion in a course may have moved (a lesson read, an attempt
    # handed in, graded, overridden or regraded): fields learner, course, now (the objects),
    # for the platforms' gradebooks (lti). Each step above has its own event as well.
    RESULTS_CHANGED = "results_changed"


# Told to the listeners, never logged: a line for every visit of a course page would drown
# the lines operators look back through.
UNLOGGED = {Event.COURSE_OPENED, Event.RESULTS_CHANGED}

Listener = Callable[[Event, dict], None]
# Each listener with the events it hears: only those cost it a call (and a savepoint).
_listeners: list[tuple[Listener, frozenset[Event]]] = []


def event_listen(listener: Listener, *, events: Iterable[Event]) -> Listener:
    """Call ``listener(event, fields)`` for each of ``events`` from now on, inside the
    action's transaction (an app's ``ready()`` registers it once)."""
    if all(known is not listener for known, _events in _listeners):
        _listeners.append((listener, frozenset(events)))
    return listener


def event_log(event: Event, /, **fields) -> None:
    """Tell the listeners of ``event`` now, and log it with ``fields`` once the current
    transaction commits (at once outside one)."""
    for listener, events in _listeners:
        if event not in events:
            continue
        # A listener's failure (the outbox refusing odd data) is its own: its writes are undone
        # in their savepoint, the line says which and why, and the learner's action commits.
        try:
            with transaction.atomic():
                listener(event, fields)
        except Exception:
            logger.exception(
                "listener %s failed on %s",
                getattr(listener, "__qualname__", listener),
                event,
                extra={"fields": {"event": str(event), "listener_failed": True}},
            )
    if event not in UNLOGGED:
        transaction.on_commit(lambda: logger.info(str(event), extra={"fields": fields}))
