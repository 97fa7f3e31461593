"""Domain events: each logged once, as one structured line, by the service that does it.

The logger is ``courseware.events``, the message the event's name, the fields ids and
figures (never a reason typed by an instructor or an answer typed by a learner). The line
is written when the transaction around the action commits, so an action that is refused
or rolled back logs nothing. docs/deploy.md lists the events for operators.
"""

import logging
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


def event_log(event: Event, /, **fields) -> None:
    """Log ``event`` with ``fields`` once the current transaction commits (at once outside
    one)."""
    transaction.on_commit(lambda: logger.info(str(event), extra={"fields": fields}))
