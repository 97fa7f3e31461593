"""The rules of a learner's progress, each stated once.

Each rule is written for one learner in Python (``progress.selectors`` builds a
learner's progress with it) and, where the instructor pages count, filter or
sort a whole cohort, as its SQL twin right beside it (``progress.cohort`` builds
its queries with it). ``progress/tests/test_cohort.py`` checks the two agree
learner by learner.

The SQL twins are conditions on ``Enrollment``: each fact is "learner IN (a
subquery)", uncorrelated, which PostgreSQL hashes and SQLite materialises once
per statement, so the cost grows with the number of rows, not rows ×
subqueries. Lessons are named by id, so a subquery reads the (lesson, learner)
index rather than joining every completion to its lesson. ``learners`` narrows
the subqueries to a page of learners.
"""

from collections.abc import Sequence
from typing import Literal

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from assessments.models import AWAITING_GRADING, Attempt, Quiz, QuizOverride
from assessments.selectors import attempt_limit
from progress.models import LessonCompletion

ModuleState = Literal["done", "in_progress", "not_started", "locked"]

# Always true, for a fact that always holds (an empty Q() cannot stand in a When()).
_ALWAYS = Q(pk__isnull=False)


# --- Attempts used --------------------------------------------------------------------
# Submitted attempts (``USED``, ``Attempt.objects.used()``, which the attempt limit also
# counts).


# The limit is the quiz's plus the attempts granted to the learner (``QuizOverride``), as
# ``assessments.selectors.attempt_limit`` states it for the attempt limit at start.


def attempts_left(*, quiz: Quiz, used: int, extra_attempts: int = 0) -> int | None:
    """Attempts the learner may still start; None when the quiz sets no limit."""
    limit = attempt_limit(quiz=quiz, extra_attempts=extra_attempts)
    return None if limit is None else max(limit - used, 0)


def out_of_attempts_sql(quiz: Quiz, learners: list[int] | None = None) -> Q:
    """``attempts_left`` is 0: the learner used the quiz's limit and what was granted on top.
    Never holds for a quiz without a limit."""
    if quiz.max_attempts is None:
        return ~_ALWAYS
    granted = QuizOverride.objects.filter(quiz=quiz, learner=OuterRef("learner"))
    out = (
        _used_attempts(quiz, learners)
        .order_by()
        .values("learner")
        .annotate(
            used=Count("pk"),
            limit=Coalesce(Subquery(granted.values("extra_attempts")), 0) + quiz.max_attempts,
        )
        .filter(used__gte=F("limit"))
        .values("learner")
    )
    return Q(learner__in=out)


def _used_attempts(quiz: Quiz, learners: list[int] | None = None):
    attempts = Attempt.objects.used().filter(quiz=quiz)
    return attempts if learners is None else attempts.filter(learner__in=learners)


# --- Quiz passed -------------------------------------------------------------------------
# A quiz is passed once any used attempt passed: a later failed retake takes nothing back.

PASSING = Q(passed=True)  # of a used attempt


def quiz_passed(*, passing_attempts: int) -> bool:
    return passing_attempts > 0


def quiz_passed_sql(quiz: Quiz, learners: list[int] | None = None) -> Q:
    return Q(learner__in=_used_attempts(quiz, learners).filter(PASSING).values("learner"))


# --- Awaiting grading ---------------------------------------------------------------------
# A used attempt with a written answer an instructor has still to grade has no result yet
# (``AWAITING_GRADING``): it neither passes nor fails the quiz, and it is used (it counts
# against the attempt limit, as Moodle counts a finished attempt that requires grading).


def quiz_awaiting_grading(*, awaiting_attempts: int) -> bool:
    return awaiting_attempts > 0


def awaiting_grading_sql(quiz: Quiz, learners: list[int] | None = None) -> Q:
    return Q(learner__in=_used_attempts(quiz, learners).filter(AWAITING_GRADING).values("learner"))


# --- Stuck ------------------------------------------------------------------------------
# Out of attempts at a quiz (the grants counted) without having passed it: the module it
# closes, and the course, cannot be completed until an instructor grants an attempt. An
# attempt awaiting its grade may still pass the quiz: until it is graded nobody is stuck.


def quiz_stuck(*, passed: bool, awaiting_grading: bool, attempts_left: int | None) -> bool:
    return not passed and not awaiting_grading and attempts_left == 0


def stuck_sql(quiz: Quiz, learners: list[int] | None = None) -> Q:
    return (
        out_of_attempts_sql(quiz, learners)
        & ~quiz_passed_sql(quiz, learners)
        & ~awaiting_grading_sql(quiz, learners)
    )


# A quiz that closed before the learner passed it holds them the same way, whatever
# attempts they have left: no attempt can start until the instructor gives them a later
# close of their own (a quiz override). The Python side is ``quiz_is_closed`` with the
# learner's own close (``assessments.selectors``).


def closed_unpassed_sql(quiz: Quiz, now, learners: list[int] | None = None) -> Q:
    """The quiz closed for the learner (its close, or their own later one, has passed)
    before they passed it, or while an attempt still awaits its grade."""
    if quiz.closes_at is None or quiz.closes_at > now:
        return ~_ALWAYS
    later = QuizOverride.objects.filter(quiz=quiz, closes_at__gt=now)
    return (
        ~Q(learner__in=later.values("learner"))
        & ~quiz_passed_sql(quiz, learners)
        & ~awaiting_grading_sql(quiz, learners)
    )


# --- Module facts ----------------------------------------------------------------------
# A module is done when its visible lessons are all read and its quiz, if any, is passed;
# started once a lesson is read or a quiz attempt is submitted; in a sequential course it
# is locked while the module before it is not done.


def module_done(*, lessons_read: Sequence[bool], quiz_passed: bool | None) -> bool:
    """``quiz_passed`` is None for a module without a quiz."""
    return all(lessons_read) and quiz_passed is not False


def module_done_sql(
    *, lesson_ids: list[int], quiz: Quiz | None, learners: list[int] | None = None
) -> Q:
    done = _ALWAYS
    if lesson_ids:
        readers = (
            _completions(lesson_ids, learners)
            .values("learner")
            .annotate(read=Count("lesson"))
            .filter(read=len(lesson_ids))
            .values("learner")
        )
        done = Q(learner__in=readers)
    if quiz is not None:
        done &= quiz_passed_sql(quiz, learners)
    return done


def module_started(*, lessons_read: Sequence[bool], quiz_attempts_used: int) -> bool:
    return any(lessons_read) or quiz_attempts_used > 0


def module_started_sql(
    *, lesson_ids: list[int], quiz: Quiz | None, learners: list[int] | None = None
) -> Q:
    started = Q(learner__in=_completions(lesson_ids, learners).values("learner"))
    if quiz is not None:
        started |= Q(learner__in=_used_attempts(quiz, learners).values("learner"))
    return started


def module_locked(*, sequential: bool, previous_done: bool | None) -> bool:
    """``previous_done`` is None for the first module, which nothing locks."""
    return sequential and previous_done is False


def module_locked_sql(*, sequential: bool, previous_done: Q | None) -> Q | None:
    """The condition under which the module is locked; None when nothing can lock it."""
    return ~previous_done if sequential and previous_done is not None else None


def _completions(lesson_ids: list[int], learners: list[int] | None):
    completions = LessonCompletion.objects.filter(lesson__in=lesson_ids)
    return completions if learners is None else completions.filter(learner__in=learners)


# --- Module state ----------------------------------------------------------------------
# What is earned stays earned: a module already done is never locked again.


def _module_cases(*, done, locked, started) -> list[tuple[ModuleState, object]]:
    """The module-state rule: its cases in order, the first whose fact holds names the state;
    none holding, the module is not started. ``locked`` is None when nothing can lock it."""
    cases: list[tuple[ModuleState, object]] = [("done", done)]
    if locked is not None:
        cases.append(("locked", locked))
    cases.append(("in_progress", started))
    return cases


NOT_STARTED: ModuleState = "not_started"


def module_state(*, done: bool, locked: bool, started: bool) -> ModuleState:
    cases = _module_cases(done=done, locked=locked, started=started)
    return next((state for state, holds in cases if holds), NOT_STARTED)


def module_state_sql(*, done: Q, locked: Q | None, started: Q) -> Case:
    """The state as a column; When()s are tried in order, as ``module_state`` tries its cases."""
    cases = _module_cases(done=done, locked=locked, started=started)
    whens = [When(fact, then=Value(state)) for state, fact in cases]
    return Case(*whens, default=Value(NOT_STARTED), output_field=CharField())


def module_state_conditions(*, done: Q, locked: Q | None, started: Q) -> dict[ModuleState, Q]:
    """For each state, the condition an enrolment meets when it is in that state."""
    conditions: dict[ModuleState, Q] = {"locked": ~_ALWAYS}  # unless a case says when
    earlier: list[Q] = []  # the conditions of the cases before
    for state, fact in _module_cases(done=done, locked=locked, started=started):
        # A case holds where its fact does and no case before it did.
        conditions[state] = fact
        for condition in earlier:
            conditions[state] &= ~condition
        earlier.append(conditions[state])
    conditions[NOT_STARTED] = ~earlier[0]
    for condition in earlier[1:]:
        conditions[NOT_STARTED] &= ~condition
    return conditions


# --- Percent done ----------------------------------------------------------------------
# Steps (lessons read, quizzes passed) done out of all steps, rounded down; 100 once the
# course is complete.


def percent_done(*, steps_done: int, steps_total: int, complete: bool) -> int:
    if complete:
        return 100
    return 100 * steps_done // steps_total if steps_total else 0


def percent_done_sql(*, lesson_ids: list[int], quizzes: list[Quiz]):
    """Correlated subqueries on the learner's own rows: cheap for a page, and they only run
    over the whole cohort when a list is sorted by progress. Complete is the completion
    recorded on the enrolment, which ``course_complete`` earns and nothing takes back."""
    steps_total = len(lesson_ids) + len(quizzes)
    if steps_total == 0:
        return Value(0)
    lessons_read = LessonCompletion.objects.filter(
        learner=OuterRef("learner"), lesson__in=lesson_ids
    )
    # Only a submission sets ``passed``: the submitted-only condition would add nothing but
    # a worse plan to a subquery run once per learner.
    quizzes_passed = Attempt.objects.filter(PASSING, learner=OuterRef("learner"), quiz__in=quizzes)
    steps_done = _count(lessons_read, "lesson") + _count(quizzes_passed, "quiz")
    return Case(
        When(COMPLETED, then=Value(100)),
        # Integer division rounds down, like ``percent_done``.
        default=steps_done * 100 / steps_total,
        output_field=IntegerField(),
    )


def _count(queryset, field: str):
    """Distinct ``field`` values of a queryset correlated on the learner, as a subquery."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .values("learner")
            .annotate(n=Count(field, distinct=True))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


# --- Course complete -------------------------------------------------------------------
# Every module done and the final exam, if any, passed; a course with nothing in it yet
# cannot be completed. Once completed (``Enrollment.completed_at``, written with the
# certificate) it stays completed, whatever content is added later.

COMPLETED = Q(completed_at__isnull=False)  # of an enrolment


def course_complete(
    *, modules_done: Sequence[bool], final_passed: bool | None, has_steps: bool
) -> bool:
    """``final_passed`` is None for a course without a final exam."""
    return has_steps and all(modules_done) and final_passed is not False


def course_completed(*, complete: bool, enrollment) -> bool:
    """Complete by the rules now, or recorded as completed before."""
    return complete or (enrollment is not None and enrollment.completed_at is not None)


def final_exam_open(*, sequential: bool, modules_done: Sequence[bool]) -> bool:
    """In a sequential course the final exam opens when every module is done."""
    return not sequential or all(modules_done)
