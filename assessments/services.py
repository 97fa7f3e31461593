"""Writes for quiz attempts: start, save an answer, submit.

Gating (enrolment, sequential modules) is the caller's business: the
``progress`` app checks it, then calls these.
"""

import logging
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from assessments.grading import (
    CENT,
    HUNDRED,
    awaits_grader,
    grade,
    question_snapshot,
    validate_answer,
)
from assessments.models import Attempt, Question, Quiz, QuizOverride, Response
from assessments.selectors import (
    attempt_deadline,
    attempt_limit,
    attempt_time_limit,
    draw_group,
    draw_plan,
    quiz_closes_at,
    quiz_is_closed,
    quiz_override_for,
)
from courseware.events import Event, event_log
from lessons.models import Status

logger = logging.getLogger(__name__)


class QuizError(Exception):
    """A quiz action that cannot be done; the message is meant for the learner."""


class QuizUnavailable(QuizError):
    pass


class AttemptLimitReached(QuizError):
    pass


class QuizClosed(QuizError):
    pass


def moment_label(moment: datetime) -> str:
    """A moment as the site shows it: in its time zone, with the zone named."""
    return dateformat.format(timezone.localtime(moment), "d M Y, H:i T")


class AttemptClosed(QuizError):
    """The attempt no longer takes answers. ``attempt`` is it, as it now stands."""

    def __init__(self, message: str, *, attempt: Attempt):
        super().__init__(message)
        self.attempt = attempt


def _open_attempt(*, learner, quiz: Quiz) -> Attempt | None:
    return (
        Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=True)
        .order_by("pk")
        .first()
    )


def attempt_start(
    *, learner, quiz: Quiz, now: datetime | None = None, rng: random.Random | None = None
) -> Attempt:
    """Start an attempt at ``quiz``, or resume the learner's open one.

    An open attempt whose time ran out is submitted first (with what was
    saved), then a new one starts if the attempt limit allows it.
    """
    now = now or timezone.now()
    # A secure source: draws, orders and option tokens must not be predictable from the
    # attempts a learner has already seen.
    rng = rng or random.SystemRandom()
    # Submitted in its own transaction, so the grade stands even when no new
    # attempt may start (AttemptLimitReached rolls back the block below).
    expired = _open_attempt(learner=learner, quiz=quiz)
    if expired is not None and expired.is_late(now):
        attempt_submit(attempt=expired, now=now, auto=True)
    try:
        with transaction.atomic():
            return _attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    except IntegrityError:
        # Lost a race with another start (one_open_attempt_per_quiz or the
        # attempt number): the winner's attempt is the one to resume.
        existing = _open_attempt(learner=learner, quiz=quiz)
        if existing is None:
            raise
        return existing


def _attempt_start(*, learner, quiz: Quiz, now: datetime, rng: random.Random) -> Attempt:
    if quiz.status != Status.PUBLISHED:
        raise QuizUnavailable(
            gettext("“%(title)s” is not open for attempts.") % {"title": quiz.title}
        )
    # Serialise starts by the same learner: two tabs, a double click.
    list(get_user_model().objects.select_for_update().filter(pk=learner.pk).values_list("pk"))

    existing = (
        Attempt.objects.select_for_update()
        .filter(learner=learner, quiz=quiz, submitted_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        if not existing.is_late(now):
            return existing
        # Its time ran out between the check in attempt_start and this lock.
        attempt_submit(attempt=existing, now=now, auto=True)

    # Read under the learner's lock: starts racing a grant see it or not, never half of it.
    override = quiz_override_for(quiz=quiz, learner=learner)
    closes_at = quiz_closes_at(quiz=quiz, own=override.closes_at if override else None)
    if quiz_is_closed(closes_at=closes_at, now=now):
        raise QuizClosed(
            gettext("“%(title)s” closed on %(when)s: no attempt can start.")
            % {"title": quiz.title, "when": moment_label(closes_at)}
        )
    used = Attempt.objects.used().filter(learner=learner, quiz=quiz).count()
    limit = attempt_limit(quiz=quiz, extra_attempts=override.extra_attempts if override else 0)
    if limit is not None and used >= limit:
        raise AttemptLimitReached(
            gettext("You have used all %(limit)s attempts at “%(title)s”.")
            % {"limit": limit, "title": quiz.title}
            if limit > 1
            else gettext("You have used your one attempt at “%(title)s”.") % {"title": quiz.title}
        )

    bank = list(quiz.questions.select_related("lesson__module").prefetch_related("choices"))
    if not bank:
        raise QuizUnavailable(gettext("“%(title)s” has no questions yet.") % {"title": quiz.title})
    drawn = dict(questions_drawn(quiz=quiz, bank=bank, rng=rng))
    questions = [(index, bank[index]) for index in drawn]
    snapshots = [
        question_snapshot(question, rng=rng, shuffle_choices=quiz.shuffle_choices)
        | ({"drawn_from": drawn_from(quiz=quiz, group=drawn[index])} if quiz.draw_per else {})
        for index, question in questions
    ]
    last_number = Attempt.objects.filter(learner=learner, quiz=quiz).aggregate(n=Max("number"))
    minutes = attempt_time_limit(quiz=quiz, override=override)
    attempt = Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=(last_number["n"] or 0) + 1,
        started_at=now,
        time_limit_minutes=minutes,
        deadline=attempt_deadline(started_at=now, minutes=minutes, closes_at=closes_at),
        pass_mark=quiz.pass_mark,
        max_score=max_score_of(snapshots),
    )
    Response.objects.bulk_create(
        Response(attempt=attempt, slot=slot, question=question, shown=shown)
        for slot, ((_, question), shown) in enumerate(
            zip(questions, snapshots, strict=True), start=1
        )
    )
    event_log(
        Event.ATTEMPT_STARTED,
        attempt_id=attempt.pk,
        learner_id=learner.pk,
        course_id=quiz.course_id,
        quiz_id=quiz.pk,
        number=attempt.number,
    )
    return attempt


def questions_drawn(
    *, quiz: Quiz, bank: list[Question], rng: random.Random
) -> list[tuple[int, str]]:
    """The questions of one attempt in the order shown, as positions in ``bank`` each with the
    group it was drawn from: the draw count from each group (all of a smaller one), or the
    whole bank; kept in bank order, then shuffled if the quiz says so. Select
    ``lesson__module`` with the bank when the quiz draws per module."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, question in enumerate(bank):
        groups[draw_group(question, draw_per=quiz.draw_per)].append(index)
    plan = draw_plan(quiz=quiz, group_sizes={group: len(ids) for group, ids in groups.items()})
    drawn = {}
    for group, members in groups.items():
        # A group taken whole draws nothing, so quizzes without a draw use no randomness.
        taken = members if plan[group] == len(members) else rng.sample(members, plan[group])
        drawn.update(dict.fromkeys(taken, group))
    order = sorted(drawn)
    if quiz.shuffle_questions:
        rng.shuffle(order)
    return [(index, drawn[index]) for index in order]


def drawn_from(*, quiz: Quiz, group: str) -> dict:
    """What an attempt's snapshot records of where a question was drawn from, so a review
    or the statistics can tell later: a module's slug or a category ("" for the questions
    with none), and which of the two."""
    return {"per": str(quiz.draw_per), "group": group}


def max_score_of(snapshots: Iterable[dict]) -> Decimal:
    """The most an attempt at these questions can score: every question's points, an essay's
    too (it counts once an instructor has graded it, as in Moodle)."""
    return sum((Decimal(shown["points"]) for shown in snapshots), Decimal(0))


def submitted_grade(shown: dict, answer) -> tuple[Decimal | None, bool | None]:
    """The score and correctness an answer gets when its attempt is submitted, from the
    snapshot alone; none yet for a written answer an instructor has to grade, which leaves
    the attempt awaiting grading."""
    if awaits_grader(shown, answer):
        return None, None
    result = grade(shown, answer)
    return result.score, result.is_correct


@dataclass(frozen=True)
class AttemptResult:
    """None, all three, while a written answer awaits its grade."""

    score: Decimal | None
    percent: Decimal | None
    passed: bool | None


AWAITING = AttemptResult(score=None, percent=None, passed=None)


def attempt_result(
    *, scores: Iterable[Decimal | None], max_score: Decimal, pass_mark: int
) -> AttemptResult:
    """An attempt's score, percent (of ``max_score``, at most 100) and pass, from the scores of
    its responses; ``AWAITING`` while one of them (a written answer) has no grade yet.

    The one rule for an attempt's result: submission, an instructor's grade and a regrade
    all apply it."""
    scores = list(scores)
    if any(score is None for score in scores):
        return AWAITING
    score = sum(scores, Decimal(0)).quantize(CENT)
    percent = score_percent(score, max_score)
    return AttemptResult(score=score, percent=percent, passed=percent >= pass_mark)


def score_percent(score: Decimal, max_score: Decimal) -> Decimal:
    """``score`` as the percent of ``max_score`` a learner is shown: to the cent, half up, at
    most 100; 0 of nothing. An attempt's percent, and the scaled scores the LRS is told."""
    if max_score <= 0:
        return Decimal("0.00")
    return min((score * HUNDRED / max_score).quantize(CENT, rounding=ROUND_HALF_UP), HUNDRED)


def response_save(
    *,
    attempt: Attempt,
    slot: int,
    answer,
    now: datetime | None = None,
    response: Response | None = None,
) -> Response:
    """Store the learner's answer to one question of an open attempt. Does not grade.

    Raises ``InvalidAnswer`` (from grading) for an answer the question could not
    have received, and ``AttemptClosed`` once the attempt is submitted or its
    time is up — in which case the attempt is submitted with what was saved.
    ``response``, if the caller has read it, spares reading it again: only its
    snapshot is used, which never changes.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Sent every few seconds while a quiz is open: what decides whether the answer is
        # taken, and what a refusal's follow-up reads (attempt_result_follow_up).
        locked = (
            Attempt.objects.select_for_update()
            .only("submitted_at", "deadline", "passed", "quiz", "learner")
            .get(pk=attempt.pk)
        )
        if locked.is_submitted:
            raise AttemptClosed(
                gettext("This attempt has already been submitted."), attempt=locked
            )
        if not locked.is_late(now):
            if response is None or response.attempt_id != locked.pk or response.slot != slot:
                try:
                    response = locked.responses.get(slot=slot)
                except Response.DoesNotExist:
                    raise QuizError(
                        gettext("This attempt has no question %(slot)s.") % {"slot": slot}
                    ) from None
            response.answer = validate_answer(response.shown, answer)
            response.saved_at = now
            response.save(update_fields=["answer", "saved_at"])  # one UPDATE, by key
            return response
    # Outside the block above: the submission must commit although we refuse the answer.
    submitted = attempt_submit(attempt=locked, now=now, auto=True)
    raise AttemptClosed(
        gettext(
            "Time is up: this answer came in after the time limit, so it was not saved. "
            "Your attempt was submitted with the answers saved before then."
        ),
        attempt=submitted,
    )


def attempt_submit(
    *, attempt: Attempt, now: datetime | None = None, auto: bool = False
) -> Attempt:
    """Grade and close an attempt, from the snapshots alone. A second call changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        # Only the attempt's row is locked; its quiz, course and learner come along for
        # the caller (the completion check, the result page) to use without more queries.
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz__course", "learner")
            .get(pk=attempt.pk)
        )
        if locked.is_submitted:
            return locked
        # Read again under the lock, not taken from the caller: an answer saved after the
        # caller read them is graded too.
        responses = list(locked.responses.all())
        by_grade = defaultdict(list)
        for response in responses:
            response.score, response.is_correct = submitted_grade(response.shown, response.answer)
            by_grade[response.score, response.is_correct].append(response.pk)
        # One UPDATE per distinct grade (mostly right or wrong): bulk_update's CASE per row
        # costs more to build than the whole rest of a submission.
        for (score, is_correct), pks in by_grade.items():
            Response.objects.filter(pk__in=pks).update(score=score, is_correct=is_correct)

        _attempt_result_set(locked, scores=[response.score for response in responses])
        # Past the deadline it counts as handed in by the server when the time ran out,
        # whoever asks: a late click on "Submit" gains no time.
        late = locked.is_late(now)
        locked.submitted_at = max(locked.deadline if late else now, locked.started_at)
        locked.auto_submitted = auto or late
        locked.save(update_fields=["score", "percent", "passed", "submitted_at", "auto_submitted"])
        event_log(
            Event.ATTEMPT_AUTO_SUBMITTED if locked.auto_submitted else Event.ATTEMPT_SUBMITTED,
            attempt_id=locked.pk,
            learner_id=locked.learner_id,
            course_id=locked.quiz.course_id,
            quiz_id=locked.quiz_id,
            number=locked.number,
            percent=locked.percent,
            passed=locked.passed,
            submitted_at=locked.submitted_at.isoformat(),
        )
    return locked


def _attempt_result_set(attempt: Attempt, *, scores: list[Decimal | None]) -> None:
    result = attempt_result(
        scores=scores, max_score=attempt.max_score, pass_mark=attempt.pass_mark
    )
    attempt.score, attempt.percent, attempt.passed = result.score, result.percent, result.passed


def attempt_rescore(*, attempt: Attempt) -> Attempt:
    """Work a submitted attempt's score, percent and pass out again from its responses'
    scores (``attempt_result``), after one of them changed: an instructor's grade or a
    regrade. An open attempt is left as it is. Returns the attempt, locked and saved, with
    its quiz, course and learner.

    What the new result earns (a module, the course, the certificate) is the caller's
    business: ``progress.services`` follows every grade with the completion check.
    """
    with transaction.atomic():
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz__course", "learner")
            .get(pk=attempt.pk)
        )
        if not locked.is_submitted:
            return locked
        before = (locked.score, locked.percent, locked.passed)
        _attempt_result_set(locked, scores=list(locked.responses.values_list("score", flat=True)))
        locked.save(update_fields=["score", "percent", "passed"])
        if (locked.score, locked.percent, locked.passed) != before:
            event_log(
                Event.ATTEMPT_RESCORED,
                attempt_id=locked.pk,
                learner_id=locked.learner_id,
                course_id=locked.quiz.course_id,
                quiz_id=locked.quiz_id,
                percent=locked.percent,
                passed=locked.passed,
            )
    return locked


MAX_TIME_MULTIPLIER = Decimal(10)


def quiz_override_problems(
    *,
    quiz: Quiz,
    reason: str,
    extra_attempts: int,
    time_limit_minutes: int | None,
    time_multiplier: Decimal | None,
    closes_at: datetime | None = None,
) -> dict[str, str]:
    """What is wrong with these terms, by field, in words for the instructor; empty if
    nothing. ``quiz_override_grant`` and the admin's form both ask it."""
    errors = {}
    if closes_at is not None:
        if quiz.closes_at is None:
            errors["closes_at"] = gettext(
                "“%(title)s” never closes: there is no close to extend."
            ) % {"title": quiz.title}
        elif closes_at <= quiz.closes_at:
            errors["closes_at"] = gettext(
                "Give a moment after the quiz's own close, %(when)s."
            ) % {"when": moment_label(quiz.closes_at)}
    if not (reason or "").strip():
        errors["reason"] = gettext("Say why: the reason is kept with the grant.")
    if extra_attempts < 0:
        errors["extra_attempts"] = gettext("Extra attempts cannot be fewer than none.")
    elif extra_attempts and quiz.max_attempts is None:
        errors["extra_attempts"] = gettext("“%(title)s” has no attempt limit to add to.") % {
            "title": quiz.title
        }
    if time_limit_minutes is not None and time_multiplier is not None:
        errors["time_multiplier"] = gettext(
            "Give either a time limit in minutes or a multiplier of the quiz's, not both."
        )
    elif time_limit_minutes is not None and time_limit_minutes < 1:
        errors["time_limit_minutes"] = gettext("A time limit is at least one minute.")
    elif time_multiplier is not None:
        if not 0 < time_multiplier <= MAX_TIME_MULTIPLIER:
            errors["time_multiplier"] = gettext(
                "A multiplier is more than 0 and at most %(most)s."
            ) % {"most": MAX_TIME_MULTIPLIER}
        elif not quiz.time_limit_minutes:
            errors["time_multiplier"] = gettext("“%(title)s” has no time limit to multiply.") % {
                "title": quiz.title
            }
    return errors


def quiz_override_grant(
    *,
    quiz: Quiz,
    learner,
    granted_by,
    reason: str,
    extra_attempts: int = 0,
    time_limit_minutes: int | None = None,
    time_multiplier: Decimal | None = None,
    closes_at: datetime | None = None,
) -> QuizOverride:
    """Set ``learner``'s own terms for ``quiz``: attempts on top of its limit, a time limit
    of their own (minutes, or the quiz's times a multiplier; at most one of the two) and a
    close later than the quiz's. A later grant replaces the earlier terms; the history keeps
    them. Attempts already made keep their time limit (a new one counts from the next
    start); an attempt still open follows the learner's close at once.

    Raises ``ValidationError`` (by field) for terms that cannot be granted; nothing is written.
    """
    reason = (reason or "").strip()
    errors = quiz_override_problems(
        quiz=quiz,
        reason=reason,
        extra_attempts=extra_attempts,
        time_limit_minutes=time_limit_minutes,
        time_multiplier=time_multiplier,
        closes_at=closes_at,
    )
    if errors:
        raise ValidationError(errors)
    # update_or_create locks the row: two grants at once leave one override, the later terms
    # in it and the earlier in its history.
    override, _ = QuizOverride.objects.update_or_create(
        quiz=quiz,
        learner=learner,
        defaults={
            "extra_attempts": extra_attempts,
            "time_limit_minutes": time_limit_minutes,
            "time_multiplier": time_multiplier,
            "closes_at": closes_at,
            "reason": reason,
            "granted_by": granted_by,
        },
    )
    quiz_attempts_close_follow(quiz=quiz, learner=learner)
    event_log(
        Event.QUIZ_OVERRIDE_GRANTED,
        override_id=override.pk,
        learner_id=override.learner_id,
        course_id=quiz.course_id,
        quiz_id=quiz.pk,
        granted_by_id=override.granted_by_id,
        extra_attempts=extra_attempts,
        time_limit_minutes=time_limit_minutes,
        time_multiplier=time_multiplier,
        closes_at=closes_at,
    )
    return override


def quiz_attempts_close_follow(*, quiz: Quiz, learner=None) -> int:
    """After the close of ``quiz`` was set or moved (the quiz's own, or one ``learner``'s):
    each attempt still open ends at the earlier of its time limit and the new close, so the
    expiry job hands it in then; returns how many deadlines moved. The time limit an attempt
    started with (``Attempt.time_limit_minutes``) stays its own."""
    attempts = Attempt.objects.filter(quiz=quiz, submitted_at__isnull=True)
    if learner is not None:
        attempts = attempts.filter(learner=learner)
    attempts = list(attempts)
    if not attempts:
        return 0
    own = dict(
        QuizOverride.objects.filter(
            quiz=quiz, learner__in={attempt.learner_id for attempt in attempts}
        ).values_list("learner_id", "closes_at")
    )
    moved = 0
    for attempt in attempts:
        ends = attempt_deadline(
            started_at=attempt.started_at,
            minutes=attempt.time_limit_minutes,
            closes_at=quiz_closes_at(quiz=quiz, own=own.get(attempt.learner_id)),
        )
        if ends != attempt.deadline:
            # Only while it is open: an attempt handed in meanwhile keeps its record.
            moved += Attempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
                deadline=ends
            )
    return moved


@dataclass(frozen=True)
class ExpiredSubmission:
    """What a run of the periodic job did: the attempts it handed in, and the ids of those
    it could not (each logged with its traceback)."""

    submitted: list[Attempt]
    failed: list[int]


def attempts_expired_submit(
    *, now: datetime | None = None, among: Q | None = None
) -> ExpiredSubmission:
    """Submit every open attempt whose time ran out (or those of them matching ``among``);
    for a periodic job.

    Each attempt is handed in on its own: one that cannot be graded is logged and left open
    (its transaction rolled back, so nothing is half-written) and the others are still
    graded; the next run tries it again.
    """
    now = now or timezone.now()
    expired = Attempt.objects.filter(
        among or Q(), submitted_at__isnull=True, deadline__lt=now
    ).values_list("pk", flat=True)
    submitted, failed = [], []
    for pk in list(expired):
        try:
            submitted.append(attempt_submit(attempt=Attempt(pk=pk), now=now, auto=True))
        except Exception:
            # Anything at all: one learner's attempt must not stop everyone else's grades.
            logger.exception("Could not submit expired attempt %s", pk)
            failed.append(pk)
    return ExpiredSubmission(submitted=submitted, failed=failed)
