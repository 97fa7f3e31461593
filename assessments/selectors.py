"""Reads of quiz attempts."""

from django.db.models import Prefetch

from assessments.models import VISIBLE_WHEN_PUBLISHED, Attempt, Quiz, Response
from lessons.models import Status


def quiz_is_available(quiz: Quiz) -> bool:
    """Whether learners may work on ``quiz``: it, its module (a final exam has none) and its
    course are all published; ``Quiz.objects.visible()`` in the database. Reads ``quiz.course`` and ``quiz.module``: select them with it.

    Taking any of them off line (draft or archived) hides its attempts from their learners
    as it hides its pages, but keeps them: an open attempt stays open, its deadline still
    runs and the expiry job grades it; publishing again gives everything back.
    """
    return quiz.status == Status.PUBLISHED and all(
        getattr(quiz, f"{holder}_id") is None or getattr(quiz, holder).status == Status.PUBLISHED
        for holder in VISIBLE_WHEN_PUBLISHED
    )


def quiz_question_count(*, quiz: Quiz, bank_size: int) -> int:
    """How many questions an attempt at ``quiz`` asks: its draw count, or its whole bank of
    ``bank_size`` questions when it draws none or more than the bank holds."""
    if quiz.draw_count is None:
        return bank_size
    return min(quiz.draw_count, bank_size)


def attempt_with_responses(attempt_id: int, learner) -> Attempt:
    """One of the learner's attempts with its quiz and responses in slot order.

    Raises ``Attempt.DoesNotExist`` for someone else's attempt, as for a missing one.
    """
    return (
        Attempt.objects.select_related("quiz", "quiz__course", "quiz__module")
        .prefetch_related(Prefetch("responses", queryset=Response.objects.order_by("slot")))
        .get(pk=attempt_id, learner=learner)
    )
