"""Writes of a learner's journey: enrol, complete lessons, take quizzes, earn the certificate.

Gating is enforced here, on the server, whatever the page showed: a view,
the admin or a command that goes through these functions cannot skip a
locked module, nor work on an attempt whose course, module or quiz is off
line. Nothing here deletes a completion, an attempt or a certificate.
"""

import random
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from assessments.grades import response_grade
from assessments.models import Attempt, GradeChange, Question, Quiz, QuizOverride, Response
from assessments.regrade import Regrade, question_regrade_apply
from assessments.selectors import quiz_is_available
from assessments.services import (
    AttemptClosed,
    ExpiredSubmission,
    attempt_start,
    attempt_submit,
    attempts_expired_submit,
    quiz_override_grant,
    response_save,
)
from courseware.events import Event, event_log
from lessons.models import Course, Lesson, Status
from progress import rules
from progress.cache import learner_version_key, version_bump
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.selectors import (
    certificate_due,
    course_progress_for_learner,
    lesson_is_open,
    quiz_is_open,
    quiz_progress,
)


class ProgressError(Exception):
    """A learner action that cannot be done; the message is meant for the learner."""


class NotEnrolled(ProgressError):
    pass


class LessonLocked(ProgressError):
    pass


class QuizLocked(ProgressError):
    pass


class AttemptOffLine(ProgressError):
    """The attempt's course, module or quiz is not published: the attempt is kept, untouched."""


def _attempt_on_line(attempt: Attempt) -> None:
    """Refuse to touch an attempt whose quiz learners cannot see (``quiz_is_available``)."""
    quiz = attempt.quiz
    if not quiz_is_available(quiz):
        raise AttemptOffLine(
            gettext("“%(title)s” is not open at the moment. Your saved answers are kept.")
            % {"title": quiz.title}
        )


def _enrollment(*, learner, course: Course) -> Enrollment:
    if course.status != Status.PUBLISHED:
        raise ProgressError(gettext("“%(title)s” is not open.") % {"title": course.title})
    enrollment = Enrollment.objects.filter(learner=learner, course=course).first()
    if enrollment is None:
        raise NotEnrolled(gettext("Enrol in “%(title)s” first.") % {"title": course.title})
    return enrollment


def _touch(*, learner, course_id: int, now: datetime) -> None:
    Enrollment.objects.filter(learner=learner, course_id=course_id).update(last_activity_at=now)
    # update() sends no signal: the dashboard's cached enrolments must see the new time.
    version_bump(learner_version_key(learner.pk))


def enrollment_create(*, learner, course: Course) -> Enrollment:
    """Enrol the learner; enrolling again returns the existing enrolment."""
    if course.status != Status.PUBLISHED:
        raise ProgressError(
            gettext("“%(title)s” is not open for enrolment.") % {"title": course.title}
        )
    enrollment, _ = Enrollment.objects.get_or_create(learner=learner, course=course)
    return enrollment


def course_open(*, learner, course: Course, now: datetime | None = None) -> None:
    """An enrolled learner opened the course, at its page or at a lesson: told to the event
    listeners (an LRS records the launch), written nowhere here."""
    now = now or timezone.now()
    event_log(Event.COURSE_OPENED, learner_id=learner.pk, course_id=course.pk, at=now.isoformat())


def lesson_complete(*, learner, lesson: Lesson, now: datetime | None = None) -> LessonCompletion:
    """Mark a lesson read. Marking it again keeps the first completion."""
    now = now or timezone.now()
    course = lesson.course
    _enrollment(learner=learner, course=course)
    existing = LessonCompletion.objects.filter(learner=learner, lesson=lesson).first()
    if existing is not None:
        return existing

    progress = course_progress_for_learner(learner=learner, course=course)
    if not lesson_is_open(progress, lesson):
        raise LessonLocked(_lesson_locked_message(progress, lesson))
    with transaction.atomic():
        completion, created = LessonCompletion.objects.get_or_create(
            learner=learner, lesson=lesson, defaults={"completed_at": now}
        )
        _touch(learner=learner, course_id=course.pk, now=now)
        if created:
            event_log(
                Event.LESSON_COMPLETED,
                completion_id=completion.pk,
                learner_id=learner.pk,
                course_id=course.pk,
                lesson_id=lesson.pk,
            )
        course_completion_check(learner=learner, course=course, now=now)
        event_log(Event.RESULTS_CHANGED, learner=learner, course=course, now=now)
    return completion


def _lesson_locked_message(progress, lesson: Lesson) -> str:
    for module in progress.modules:
        if module.module.pk == lesson.module_id and module.state == "locked":
            reason = module.reasons[0]
            return gettext("“%(title)s” %(reason)s.") % {
                "title": lesson.title,
                "reason": reason[0].lower() + reason[1:],
            }
    return gettext("“%(title)s” is not available.") % {"title": lesson.title}


def quiz_attempt_start(
    *, learner, quiz: Quiz, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start (or resume) an attempt, if the learner is enrolled and the quiz is open to them."""
    now = now or timezone.now()
    course = quiz.course
    _enrollment(learner=learner, course=course)
    progress = course_progress_for_learner(learner=learner, course=course)
    if not quiz_is_open(progress, quiz):
        record = quiz_progress(progress, quiz)
        if record is None:
            raise QuizLocked(gettext("“%(title)s” is not available.") % {"title": quiz.title})
        reason = record.reasons[0]
        raise QuizLocked(
            gettext("“%(title)s” %(reason)s.")
            % {"title": quiz.title, "reason": reason[0].lower() + reason[1:]}
        )
    # An attempt whose time ran out is submitted first: it may have passed, and
    # that counts even if no attempt is left to start now.
    expired = Attempt.objects.filter(
        learner=learner, quiz=quiz, submitted_at__isnull=True, deadline__lt=now
    ).first()
    if expired is not None:
        with transaction.atomic():  # the result's follow-up commits with the submission
            attempt_result_follow_up(
                attempt=attempt_submit(attempt=expired, now=now, auto=True), now=now
            )
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    _touch(learner=learner, course_id=course.pk, now=now)
    return attempt


def quiz_attempt_grant(*, quiz: Quiz, learner, granted_by, reason: str) -> QuizOverride:
    """Give a learner who is stuck at ``quiz`` (out of attempts, not passed) one more attempt,
    keeping any time limit and close granted before; the override's history keeps the
    earlier terms.

    Refused (``ValidationError``) for someone not enrolled or not stuck, so a second click
    on the same button grants nothing more.
    """
    with transaction.atomic():
        enrolled = Enrollment.objects.filter(learner=learner, course_id=quiz.course_id)
        if not enrolled.exists():
            raise ValidationError(
                gettext("%(name)s is not enrolled in this course.")
                % {"name": learner.get_username()}
            )
        if not enrolled.filter(rules.stuck_sql(quiz, [learner.pk])).exists():
            raise ValidationError(
                gettext(
                    "%(name)s is not stuck at “%(title)s”: they have passed it or still have "
                    "an attempt left."
                )
                % {"name": learner.get_full_name() or learner.get_username(), "title": quiz.title}
            )
        # Locked, so that two grants at once add two attempts, not one.
        current = QuizOverride.objects.select_for_update().filter(quiz=quiz, learner=learner)
        current = current.first()
        return quiz_override_grant(
            quiz=quiz,
            learner=learner,
            granted_by=granted_by,
            reason=reason,
            extra_attempts=(current.extra_attempts if current else 0) + 1,
            time_limit_minutes=current.time_limit_minutes if current else None,
            time_multiplier=current.time_multiplier if current else None,
            closes_at=current.closes_at if current else None,
        )


def quiz_response_save(
    *,
    attempt: Attempt,
    slot: int,
    answer,
    now: datetime | None = None,
    response: Response | None = None,
) -> Response:
    """Save an answer (assessments.services.response_save), for the quiz-taking page.

    When the answer comes too late the attempt is submitted instead; a pass
    then completes the course like any other, before the refusal goes back.
    Raises ``AttemptOffLine``, writing nothing, while the quiz is off line.
    """
    now = now or timezone.now()
    _attempt_on_line(attempt)
    try:
        return response_save(attempt=attempt, slot=slot, answer=answer, now=now, response=response)
    except AttemptClosed as closed:
        attempt_result_follow_up(attempt=closed.attempt, now=now)
        raise


def quiz_attempt_submit(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Submit and grade an attempt, then see whether that completed the course.

    Raises ``AttemptOffLine``, writing nothing, while the quiz is off line; the expiry job
    (``quiz_attempts_expired_submit``) is not held back: a deadline runs regardless.
    """
    now = now or timezone.now()
    _attempt_on_line(attempt)
    # One transaction, so that what hears ``Event.RESULTS_CHANGED`` commits with the result.
    with transaction.atomic():
        submitted = attempt_submit(attempt=attempt, now=now)
        _touch(learner=submitted.learner, course_id=submitted.quiz.course_id, now=now)
        attempt_result_follow_up(attempt=submitted, now=now)
    return submitted


def attempt_result_follow_up(*, attempt: Attempt, now: datetime | None = None) -> None:
    """What an attempt's result earns, after it is submitted or its grade changes: a pass
    may complete the module and the course, and issue the certificate (once: a second pass,
    or a grade changed again, issues nothing more). An attempt awaiting grading, or not
    passed, earns nothing yet; a certificate already issued stays. Then
    ``Event.RESULTS_CHANGED`` tells whoever listens (a learning platform's gradebook) that
    the result may have moved."""
    now = now or timezone.now()
    course = attempt.quiz.course
    # A transaction of its own where no caller's holds it (the expiry job, a late answer):
    # the certificate and the gradebooks' queued score commit together. Inside a caller's,
    # no savepoint: it all commits with the submission or grade.
    with transaction.atomic(savepoint=False):
        if attempt.passed:  # only a pass can complete a course
            course_completion_check(learner=attempt.learner, course=course, now=now)
        event_log(Event.RESULTS_CHANGED, learner=attempt.learner, course=course, now=now)


def quiz_response_grade(*, now: datetime | None = None, **grade) -> GradeChange:
    """An instructor grades a written answer or overrides a grade: ``grade`` holds
    ``assessments.grades.response_grade``'s keywords (``response``, ``score``, ``by``,
    ``source``, ``expected_version``, ``feedback``, ``reason``), passed on as they are; what
    the attempt's new result earns follows."""
    now = now or timezone.now()
    # One transaction: the gradebook's score is queued with the grade that changes it.
    with transaction.atomic():
        change = response_grade(now=now, **grade)
        attempt_result_follow_up(attempt=change.response.attempt, now=now)
    return change


def question_regrade(
    *,
    question: Question,
    by,
    reason: str,
    now: datetime | None = None,
    seconds: float | None = None,
) -> Regrade:
    """Regrade the past answers to ``question`` after a key fix
    (``assessments.regrade.question_regrade_apply``, within ``seconds`` if given); each
    attempt whose result changed is followed, in its own transaction, by what the result
    earns, as after any grade. A pass may complete the course and issue the certificate,
    once; a certificate is never taken back: the learners who no longer pass are in the
    outcome, and in ``cohort.regrade_flags``, for the instructor to decide."""
    now = now or timezone.now()
    return question_regrade_apply(
        question=question,
        by=by,
        reason=reason,
        now=now,
        after_each=lambda attempt: attempt_result_follow_up(attempt=attempt, now=now),
        seconds=seconds,
    )


def quiz_attempts_expired_submit(
    *, now: datetime | None = None, learner_id: int | None = None, course: Course | None = None
) -> ExpiredSubmission:
    """Submit every attempt whose time ran out, or only a learner's in a course, and issue the
    certificates they earned. An attempt that cannot be graded is logged and left for the next
    run (``failed``); the others are handed in regardless."""
    now = now or timezone.now()
    among = Q()
    if learner_id is not None:
        among &= Q(learner_id=learner_id)
    if course is not None:
        among &= Q(quiz__course=course)
    submitted = attempts_expired_submit(now=now, among=among)
    for attempt in submitted.submitted:
        attempt_result_follow_up(attempt=attempt, now=now)
    return submitted


def course_completion_check(
    *, learner, course: Course, now: datetime | None = None
) -> Certificate | None:
    """Issue the certificate if the learner has completed the course; it is issued once.

    Returns the learner's certificate for the course (new or earlier), or None.
    """
    now = now or timezone.now()
    existing = Certificate.objects.filter(learner=learner, course=course).first()
    if existing is not None:
        return existing
    progress = course_progress_for_learner(learner=learner, course=course)
    if not certificate_due(progress=progress):
        return None
    with transaction.atomic():
        # Two requests finishing the course at once queue here; the second finds the
        # certificate (and the unique constraint backs this up).
        enrollment = Enrollment.objects.select_for_update().get(pk=progress.enrollment.pk)
        certificate, issued = Certificate.objects.get_or_create(
            learner=learner,
            course=course,
            defaults={
                "learner_name": learner.get_full_name() or learner.get_username(),
                "course_title": course.title,
                "issued_at": now,
            },
        )
        if enrollment.completed_at is None:
            enrollment.completed_at = certificate.issued_at
            enrollment.save(update_fields=["completed_at"])
        if issued:
            event_log(
                Event.CERTIFICATE_ISSUED,
                certificate_id=certificate.pk,
                code=certificate.code,
                learner_id=learner.pk,
                course_id=course.pk,
            )
    return certificate
