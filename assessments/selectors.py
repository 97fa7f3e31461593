"""Reads of quiz attempts."""

import math
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from assessments.grading import choices_chosen, read_and_commented_sql
from assessments.models import (
    USED,
    VISIBLE_WHEN_PUBLISHED,
    Attempt,
    GradeChange,
    Question,
    Quiz,
    QuizOverride,
    Response,
    through,
)
from lessons.models import Status


def quiz_is_available(quiz: Quiz) -> bool:
    """Whether learners may work on ``quiz``: it, its module (a final exam has none) and its
    course are all published; ``Quiz.objects.visible()`` in the database. Reads ``quiz.course``
    and ``quiz.module``: select them with it (``quiz_availability_fields`` names the columns).

    Taking any of them off line (draft or archived) hides its attempts from their learners
    as it hides its pages, but keeps them: an open attempt stays open, its deadline still
    runs and the expiry job grades it; publishing again gives everything back.
    """
    return quiz.status == Status.PUBLISHED and all(
        getattr(quiz, f"{holder}_id") is None or getattr(quiz, holder).status == Status.PUBLISHED
        for holder in VISIBLE_WHEN_PUBLISHED
    )


def quiz_availability_fields(path: str) -> list[str]:
    """The fields ``quiz_is_available`` reads of a quiz reached through ``path`` (as
    "attempt__quiz"), for ``only()`` on a query that selects it with its holders: a page
    that checks availability on every request compiles and reads those few columns only."""
    holders = [f"{path}__{holder}" for holder in VISIBLE_WHEN_PUBLISHED]
    return [
        path,
        f"{path}__status",
        *holders,
        *(f"{holder}__status" for holder in holders),
    ]


# What a question's group is read from, for each way of drawing: a question with no lesson
# (or no category) reads as "", a group of its own.
_GROUP_PATHS = {Quiz.DrawPer.MODULE: "lesson__module__slug", Quiz.DrawPer.CATEGORY: "category"}


def draw_group(question: Question, *, draw_per: str) -> str:
    """The group ``question`` is drawn from: its lesson's module slug, its GIFT category,
    or "" (the whole bank; or no module, no category). Select ``lesson__module`` with it."""
    if draw_per == Quiz.DrawPer.MODULE:
        return question.lesson.module.slug if question.lesson is not None else ""
    if draw_per == Quiz.DrawPer.CATEGORY:
        return question.category
    return ""


def quiz_group_sizes(*, quiz: Quiz) -> dict[str, int]:
    """How many questions of the bank each group holds, in one query."""
    path = _GROUP_PATHS.get(quiz.draw_per)
    if path is None:
        return {"": quiz.questions.count()}
    rows = quiz.questions.order_by().values_list(path).annotate(n=Count("pk"))
    return {group or "": n for group, n in rows}


def draw_plan(*, quiz: Quiz, group_sizes: dict[str, int]) -> dict[str, int]:
    """How many questions an attempt at ``quiz`` takes from each group: the draw count, or
    the whole group when it holds fewer (an attempt never fails for a small group), or
    everything when the quiz draws none."""
    if quiz.draw_count is None:
        return dict(group_sizes)
    return {group: min(quiz.draw_count, size) for group, size in group_sizes.items()}


def draw_shortfalls(*, quiz: Quiz) -> dict[str, int]:
    """The groups holding fewer questions than the quiz draws from each: group → size.
    Attempts take all of such a group; the instructor is told where they set the draw."""
    if not quiz.draw_per or quiz.draw_count is None:
        return {}
    return {
        group: size
        for group, size in quiz_group_sizes(quiz=quiz).items()
        if size < quiz.draw_count
    }


def quiz_question_count(*, quiz: Quiz, bank_size: int) -> int:
    """How many questions an attempt at ``quiz`` asks: its draw count (from each group when
    it draws per module or category), or its whole bank of ``bank_size`` questions when it
    draws none or more than the bank holds. A draw per group costs one query."""
    group_sizes = quiz_group_sizes(quiz=quiz) if quiz.draw_per else {"": bank_size}
    return sum(draw_plan(quiz=quiz, group_sizes=group_sizes).values())


def attempt_with_responses(attempt_id: int, learner) -> Attempt:
    """One of the learner's attempts with its quiz and responses in slot order.

    Raises ``Attempt.DoesNotExist`` for someone else's attempt, as for a missing one.
    """
    return (
        Attempt.objects.select_related("quiz", "quiz__course", "quiz__module")
        .prefetch_related(Prefetch("responses", queryset=Response.objects.order_by("slot")))
        .get(pk=attempt_id, learner=learner)
    )


# --- A learner's own terms (``QuizOverride``) ----------------------------------------------


def quiz_override_for(*, quiz: Quiz, learner) -> QuizOverride | None:
    return QuizOverride.objects.filter(quiz=quiz, learner=learner).first()


def attempt_limit(*, quiz: Quiz, extra_attempts: int = 0) -> int | None:
    """How many attempts the learner may use: the quiz's limit and the attempts granted on top
    (``QuizOverride.extra_attempts``); None when the quiz sets no limit, whatever was granted.
    The attempt limit at start and ``progress.rules.attempts_left`` both ask it."""
    return None if quiz.max_attempts is None else quiz.max_attempts + extra_attempts


def attempt_time_limit(*, quiz: Quiz, override: QuizOverride | None) -> int | None:
    """The minutes an attempt may last: the learner's own time limit if one was granted,
    else the quiz's times the learner's multiplier, rounded up to a whole minute (a learner
    granted extra time never loses part of a minute); None for no limit."""
    if override is not None and override.time_limit_minutes:
        return override.time_limit_minutes
    if not quiz.time_limit_minutes:
        return None
    if override is not None and override.time_multiplier:
        return math.ceil(quiz.time_limit_minutes * override.time_multiplier)
    return quiz.time_limit_minutes


def quiz_closes_at(*, quiz: Quiz, own: datetime | None) -> datetime | None:
    """When the quiz closes for a learner: its close date, or the learner's own later one
    (``QuizOverride.closes_at``); None when the quiz never closes. A learner's close date only
    ever gives more time: one the quiz has since moved past counts for nothing."""
    if quiz.closes_at is None:
        return None
    return max(quiz.closes_at, own) if own is not None else quiz.closes_at


def quiz_is_closed(*, closes_at: datetime | None, now: datetime) -> bool:
    """Whether no attempt may start any more: the close (``quiz_closes_at``) has come."""
    return closes_at is not None and now >= closes_at


def attempt_deadline(
    *, started_at: datetime, minutes: int | None, closes_at: datetime | None
) -> datetime | None:
    """When an attempt takes no more answers and is handed in: at the end of its ``minutes``
    (``attempt_time_limit``, fixed when it started) or at the quiz's close for its learner,
    whichever comes first; None when neither applies."""
    ends = started_at + timedelta(minutes=minutes) if minutes else None
    return min((moment for moment in (ends, closes_at) if moment is not None), default=None)


# --- Grades given by people ------------------------------------------------------------------


def grade_version_sql():
    """A response's grade version, as a column: the id of its latest ``GradeChange``, 0 before
    any. The grading form carries it, and ``assessments.grades.response_grade`` refuses a
    save made against an older one."""
    latest = GradeChange.objects.filter(response=OuterRef("pk")).order_by("-pk").values("pk")
    return Coalesce(Subquery(latest[:1]), 0)


def grade_version(response: Response) -> int:
    return (
        Response.objects.filter(pk=response.pk)
        .annotate(version=grade_version_sql())
        .values_list("version", flat=True)
        .get()
    )


class Queue(models.TextChoices):
    """Which answers of the grading queue to show: both parts by default."""

    ALL = "", gettext_lazy("Everything")
    TO_GRADE = "to-grade", gettext_lazy("Awaiting a grade")
    TO_READ = "to-read", gettext_lazy("To read and comment")


def _queue_parts(
    *, course, quiz: Quiz | None, learner_id: int | None
) -> dict[str, models.QuerySet]:
    """The two parts of the grading queue, answers to grade and answers to read, each its own
    query of responses (``responses_for_grader``), by ``Queue`` value."""
    of_attempt = {"quiz__course": course}
    if quiz is not None:
        of_attempt["quiz"] = quiz
    if learner_id is not None:
        of_attempt["learner_id"] = learner_id
    awaiting = Attempt.objects.used().awaiting_grading().filter(**of_attempt)
    return {
        Queue.TO_GRADE: Response.objects.filter(score__isnull=True, attempt__in=awaiting),
        # Joined to its attempt rather than looked up among the course's: the queue reads the
        # attempt's quiz and submission time from the same row, one hash join for them all.
        Queue.TO_READ: Response.objects.filter(
            read_and_commented_sql(),
            ~Exists(GradeChange.objects.filter(response=OuterRef("pk"))),
            through("attempt", USED & Q(**of_attempt)),
            score__isnull=False,
        ),
    }


def _to_read():
    return ExpressionWrapper(Q(score__isnull=False), output_field=BooleanField())


def _union(querysets: list[models.QuerySet]) -> models.QuerySet:
    first, *others = querysets
    return first.union(*others, all=True) if others else first


class GraderQueue:
    """The answers of the grading queue in its order, as a ``Paginator`` takes them:
    ``count()`` and a slice. A slice is one query that picks its answers' ids in the queue's
    order from the narrow rows of the parts (an index alone holds those of the answers to
    read), then reads those answers alone with their attempt, quiz, learner and version;
    joining every answer of the queue before keeping a page's took a second at 33,507
    answers to read (docs/benchmarks.md)."""

    order = ("to_read", "submitted_at", "attempt_id", "slot")

    def __init__(self, parts: list[models.QuerySet]):
        self.parts = parts

    def count(self) -> int:
        return _union([part.order_by().values("pk") for part in self.parts]).count()

    def ids_in_order(self) -> models.QuerySet:
        """The queue's answers as rows of (``response_id``, then what orders them)."""
        narrow = [
            part.order_by()
            .annotate(
                response_id=F("pk"), to_read=_to_read(), submitted_at=F("attempt__submitted_at")
            )
            .values_list("response_id", *self.order)
            for part in self.parts
        ]
        return _union(narrow).order_by(*self.order)

    def __getitem__(self, page: slice) -> models.QuerySet:
        if not isinstance(page, slice):
            raise TypeError("The grading queue is read a page at a time: give it a slice.")
        # Django neither selects one column of a union nor orders a union by columns it does
        # not select: the ordered ids are read from the union as a derived table.
        try:
            sql, params = self.ids_in_order()[page].query.sql_with_params()
        except EmptyResultSet:  # an empty slice: the first page of an empty queue
            return Response.objects.none()
        ids = RawSQL(f"SELECT response_id FROM ({sql}) AS page", params)
        return (
            Response.objects.filter(pk__in=ids)
            .select_related("attempt__quiz", "attempt__learner")
            .annotate(
                version=grade_version_sql(),
                to_read=_to_read(),
                submitted_at=F("attempt__submitted_at"),
            )
            .order_by(*self.order)
        )

    def __iter__(self):
        return iter(self[:])


def responses_for_grader(
    *, course, quiz: Quiz | None = None, learner_id: int | None = None, show: str = Queue.ALL
) -> GraderQueue:
    """The submitted answers of ``course`` (or of one quiz, or one learner) an instructor has
    still to deal with: the written answers awaiting a grade, then the ones worth no points
    that no one has commented on yet (``assessments.grades.awaits_comment``), each of the
    two the oldest submission first. ``show`` keeps one of the two. Each comes with its
    attempt, quiz and learner, its ``version`` and ``to_read``.

    The answers awaiting a grade are read through the ``attempt_awaiting_grading`` index (a
    few attempts among all those submitted); those to read through the attempts of the
    course and ``response_worth_no_points``, which holds their kind, score and slot. Each of
    the two is its own query, joined by ``UNION ALL`` (no answer is in both: one has no
    score, the other has): a filter that ORs them has PostgreSQL test every response of
    every course against both (seconds at 10,000 learners, see docs/benchmarks.md)."""
    parts = _queue_parts(course=course, quiz=quiz, learner_id=learner_id)
    return GraderQueue([parts[show]] if show in parts else list(parts.values()))


def grader_queue_by_quiz(*, course) -> dict[int, tuple[int, int]]:
    """How many answers await a grade and how many are to read at each quiz of ``course``:
    quiz id → (to grade, to read). One query."""
    parts = _queue_parts(course=course, quiz=None, learner_id=None)
    rows = _union(
        [
            part.order_by()
            .values("attempt__quiz_id", to_read=_to_read())
            .annotate(answers=Count("pk"))
            .values_list("attempt__quiz_id", "to_read", "answers")
            for part in parts.values()
        ]
    )
    counts: dict[int, list[int]] = {}
    for quiz_id, to_read, answers in rows:
        counts.setdefault(quiz_id, [0, 0])[int(to_read)] += answers
    return {quiz_id: (to_grade, to_read) for quiz_id, (to_grade, to_read) in counts.items()}


def grade_changes_of(responses) -> dict[int, list[GradeChange]]:
    """The grade changes of these responses (or of a queryset of them), oldest first, by
    response id, with who made each. One query."""
    changes: dict[int, list[GradeChange]] = {}
    for change in GradeChange.objects.filter(response__in=responses).select_related("by"):
        changes.setdefault(change.response_id, []).append(change)
    return changes


def question_regrades(*, question: Question) -> list[dict]:
    """Each regrade applied to ``question``'s answers, the latest first: when, who (``by__…``,
    None for a command), why, and how many ``answers`` it changed. One query."""
    return list(
        GradeChange.objects.filter(source=GradeChange.Source.REGRADE, response__question=question)
        .values("created_at", "reason", "by__username", "by__first_name", "by__last_name")
        .annotate(answers=Count("pk"))
        .order_by("-created_at")
    )


def submitted_answers_of(question: Question) -> models.QuerySet:
    """The (snapshot, answer) pairs of the question's answers handed in: what learners did,
    which no edit of the question may take from under them."""
    return Response.objects.filter(
        question=question, attempt__submitted_at__isnull=False, answer__isnull=False
    ).values_list("shown", "answer")


def question_choices_chosen(*, question: Question) -> set[int]:
    """The ids of the question's answers that learners' submitted answers lean on
    (``choices_chosen``): ticked, matched, typed."""
    chosen = set()
    for shown, answer in submitted_answers_of(question).iterator():
        chosen |= choices_chosen(shown, answer)
    return chosen
