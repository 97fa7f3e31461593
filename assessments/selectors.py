"""Reads of quiz attempts."""

from collections.abc import Iterable

from django.db.models import Prefetch

from assessments.models import Attempt, Quiz, Response
from lessons.models import Status


def quiz_is_available(quiz: Quiz) -> bool:
    """Whether learners may work on ``quiz``: it, its module (a final exam has none) and its
    course are all published. Reads ``quiz.course`` and ``quiz.module``: select them with it.

    Taking any of them off line (draft or archived) hides its attempts from their learners
    as it hides its pages, but keeps them: an open attempt stays open, its deadline still
    runs and the expiry job grades it; publishing again gives everything back.
    """
    return (
        quiz.status == Status.PUBLISHED
        and quiz.course.status == Status.PUBLISHED
        and (quiz.module_id is None or quiz.module.status == Status.PUBLISHED)
    )


def quiz_question_count(*, quiz: Quiz, bank_size: int) -> int:
    """How many questions an attempt at ``quiz`` asks: its draw count, or its whole bank of
    ``bank_size`` questions when it draws none or more than the bank holds."""
    if quiz.draw_count is None:
        return bank_size
    return min(quiz.draw_count, bank_size)


def attempts_used(learner, quiz: Quiz) -> int:
    """Submitted attempts; an open attempt is resumed, so it does not use one up."""
    return Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=False).count()


def best_attempts_for_learner(*, learner, quizzes: Iterable[Quiz]) -> dict[int, Attempt]:
    """The learner's best submitted attempt at each quiz: highest percent, then earliest.

    One query; quizzes without a submitted attempt are missing from the dict.
    """
    attempts = Attempt.objects.filter(
        learner=learner, quiz__in=list(quizzes), submitted_at__isnull=False
    ).order_by("quiz_id", "-percent", "submitted_at", "number")
    best: dict[int, Attempt] = {}
    for attempt in attempts:
        best.setdefault(attempt.quiz_id, attempt)
    return best


def attempt_with_responses(attempt_id: int, learner) -> Attempt:
    """One of the learner's attempts with its quiz and responses in slot order.

    Raises ``Attempt.DoesNotExist`` for someone else's attempt, as for a missing one.
    """
    return (
        Attempt.objects.select_related("quiz", "quiz__course", "quiz__module")
        .prefetch_related(Prefetch("responses", queryset=Response.objects.order_by("slot")))
        .get(pk=attempt_id, learner=learner)
    )
