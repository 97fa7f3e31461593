"""Domain events become xAPI statements in the outbox, in the event's own transaction.

``event_record`` listens to ``courseware.events``: what a rolled-back action would have told
the LRS is rolled back with it, and what committed is in the outbox for ``send_statements``.
With no LRS configured (``XAPI_ENDPOINT`` unset) nothing is written: a site without an LRS
keeps no statements it would never send, and statements are not made up later for the
events before an LRS was configured.
"""

import math
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from assessments.models import Attempt, GradeChange
from courseware.events import Event
from lessons.models import Course, Lesson
from progress.models import Certificate
from xapi import statements
from xapi.models import OutboxStatement


def lrs_configured() -> bool:
    return bool(settings.XAPI_ENDPOINT)


def event_record(event: Event, fields: dict) -> None:
    """The listener of the events in ``STATEMENTS``: their statements into the outbox, if
    an LRS is configured."""
    if not lrs_configured():
        return
    make = STATEMENTS[event]
    now = timezone.now()
    OutboxStatement.objects.bulk_create(
        [
            OutboxStatement(
                id=statement["id"],
                learner_id=fields["learner_id"],
                verb=statement["verb"]["display"]["en-US"],
                statement=statement,
                created_at=now,
                next_try_at=now,
            )
            for statement in make(fields)
        ],
        # The same event told twice (a second launch the same day) is the same statement.
        ignore_conflicts=True,
    )


def _attempt(attempt_id: int) -> Attempt:
    return Attempt.objects.select_related("quiz__course").get(pk=attempt_id)


def _opened(fields: dict) -> list[dict]:
    """The day's first opening of the course is its launch. Every visit of the course page
    tells it, so the later ones that day stop at the cache, before the database; without the
    cache (cleared, or another one) the launch's id, one a day, still keeps it single."""
    learner_id, at = fields["learner_id"], datetime.fromisoformat(fields["at"])
    told = "xapi:" + statements.launched_id(
        learner_id=learner_id, course_id=fields["course_id"], at=at
    )
    if cache.get(told):
        return []
    # Remembered once the launch is in the outbox: a launch rolled back is told again.
    transaction.on_commit(lambda: cache.set(told, True, timeout=_rest_of_day(at)))
    course = Course.objects.get(pk=fields["course_id"])
    return [statements.launched(learner_id=learner_id, course=course, at=at)]


def _rest_of_day(at: datetime) -> int:
    """Seconds from ``at`` to the end of its day (the day of ``launched_id``), at least one."""
    end = datetime.combine(at.date() + timedelta(days=1), time.min, tzinfo=at.tzinfo)
    return max(math.ceil((end - at).total_seconds()), 1)


def _lesson(fields: dict) -> list[dict]:
    lesson = Lesson.objects.select_related("course").get(pk=fields["lesson_id"])
    completed_at = lesson.completions.get(pk=fields["completion_id"]).completed_at
    return [
        statements.experienced(learner_id=fields["learner_id"], lesson=lesson, at=completed_at)
    ]


def _started(fields: dict) -> list[dict]:
    return [statements.attempted(attempt=_attempt(fields["attempt_id"]))]


def _submitted(fields: dict) -> list[dict]:
    """Every question answered; then passed or failed, unless a written answer awaits the
    instructor's grade: that statement follows the grade (``_rescored``)."""
    attempt = _attempt(fields["attempt_id"])
    made = [
        statements.answered(attempt=attempt, response=response)
        for response in attempt.responses.order_by("slot")
    ]
    if attempt.passed is not None:
        made.append(statements.attempt_result(attempt=attempt, at=attempt.submitted_at, version=0))
    return made


def _rescored(fields: dict) -> list[dict]:
    """A new result after a grade or a regrade: a new passed or failed statement, named and
    dated by the grade change that made it. The earlier one stays in the LRS: it was the
    result then."""
    attempt = _attempt(fields["attempt_id"])
    if attempt.passed is None:  # a grade changed, but another written answer still waits
        return []
    change = GradeChange.objects.filter(response__attempt=attempt).order_by("-pk").first()
    if change is None:
        # Every grade and regrade records a change first; a rescoring that did not (a rule
        # to come) is named by the result it gave, never by the clock: told again (a job run
        # twice, an event replayed), it is the same statement, which the outbox and the LRS
        # keep once (and a result the attempt comes back to that way is the one told before).
        version = f"rescored:{attempt.score}:{attempt.percent}:{attempt.passed}"
        return [statements.attempt_result(attempt=attempt, at=timezone.now(), version=version)]
    return [statements.attempt_result(attempt=attempt, at=change.created_at, version=change.pk)]


def _certified(fields: dict) -> list[dict]:
    certificate = Certificate.objects.select_related("course").get(pk=fields["certificate_id"])
    return [
        statements.completed(certificate=certificate),
        statements.earned(certificate=certificate),
    ]


STATEMENTS = {
    Event.COURSE_OPENED: _opened,
    Event.LESSON_COMPLETED: _lesson,
    Event.ATTEMPT_STARTED: _started,
    Event.ATTEMPT_SUBMITTED: _submitted,
    Event.ATTEMPT_AUTO_SUBMITTED: _submitted,
    Event.ATTEMPT_RESCORED: _rescored,
    Event.CERTIFICATE_ISSUED: _certified,
}
