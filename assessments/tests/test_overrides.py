"""A learner's own terms for a quiz: attempts on top of its limit, a time limit of their own."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from assessments.models import Attempt, QuizOverride
from assessments.services import (
    AttemptLimitReached,
    attempt_start,
    attempt_submit,
    quiz_override_grant,
)
from tests.factories import QuizFactory, UserFactory, single_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    quiz = QuizFactory(title="Foundations quiz", pass_mark=70, max_attempts=2)
    single_question(quiz=quiz, position=1)
    return quiz


@pytest.fixture
def teacher(db):
    return UserFactory(username="teacher", is_staff=True)


def use_attempts(learner, quiz, count, *, now, rng, answer_all):
    for _ in range(count):
        attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
        answer_all(attempt, now=now, right=False)
        attempt_submit(attempt=attempt, now=now)


def test_without_an_override_the_quizs_limit_holds(learner, quiz, now, rng, answer_all):
    use_attempts(learner, quiz, 2, now=now, rng=rng, answer_all=answer_all)

    with pytest.raises(AttemptLimitReached, match="used all 2 attempts"):
        attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)


def test_extra_attempts_let_the_learner_start_that_many_more(
    learner, quiz, teacher, now, rng, answer_all
):
    use_attempts(learner, quiz, 2, now=now, rng=rng, answer_all=answer_all)
    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=teacher, reason="Ill on the day", extra_attempts=1
    )

    third = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    assert third.number == 3
    answer_all(third, now=now, right=False)
    attempt_submit(attempt=third, now=now)
    with pytest.raises(
        AttemptLimitReached, match=re.escape("You have used all 3 attempts at “Foundations quiz”.")
    ):
        attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)


def test_an_override_is_the_learners_own(learner, quiz, teacher, now, rng, answer_all):
    other = UserFactory()
    quiz_override_grant(
        quiz=quiz, learner=other, granted_by=teacher, reason="Ill", extra_attempts=5
    )
    use_attempts(learner, quiz, 2, now=now, rng=rng, answer_all=answer_all)

    with pytest.raises(AttemptLimitReached):
        attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)


def test_an_unlimited_quiz_stays_unlimited_with_a_time_override(
    learner, teacher, now, rng, answer_all
):
    quiz = QuizFactory(max_attempts=None, time_limit_minutes=20)
    single_question(quiz=quiz)
    quiz_override_grant(
        quiz=quiz,
        learner=learner,
        granted_by=teacher,
        reason="Accommodation",
        time_multiplier=Decimal("1.5"),
    )

    use_attempts(learner, quiz, 4, now=now, rng=rng, answer_all=answer_all)

    assert attempt_start(learner=learner, quiz=quiz, now=now, rng=rng).number == 5


@pytest.mark.parametrize(
    ("quiz_minutes", "override", "minutes"),
    [
        (20, {}, 20),
        (20, {"time_multiplier": Decimal("1.5")}, 30),
        (25, {"time_multiplier": Decimal("1.25")}, 32),  # 31.25 rounds up
        (7, {"time_multiplier": Decimal("1.10")}, 8),  # 7.7 rounds up
        (20, {"time_limit_minutes": 45}, 45),
        (None, {"time_limit_minutes": 45}, 45),
    ],
)
def test_the_deadline_at_start_follows_the_learners_time_limit(
    learner, teacher, now, rng, quiz_minutes, override, minutes
):
    quiz = QuizFactory(time_limit_minutes=quiz_minutes)
    single_question(quiz=quiz)
    if override:
        quiz_override_grant(
            quiz=quiz, learner=learner, granted_by=teacher, reason="Accommodation", **override
        )

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert attempt.deadline == now + timedelta(minutes=minutes)


def test_a_later_grant_changes_the_one_override_and_the_history_keeps_the_old_terms(
    learner, quiz, teacher
):
    other_teacher = UserFactory(is_staff=True)
    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=teacher, reason="Ill", extra_attempts=1
    )
    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=other_teacher, reason="Still ill", extra_attempts=2
    )

    override = QuizOverride.objects.get(quiz=quiz, learner=learner)
    assert (override.extra_attempts, override.reason, override.granted_by) == (
        2,
        "Still ill",
        other_teacher,
    )
    assert QuizOverride.objects.count() == 1
    history = override.history.order_by("history_date")
    assert [(h.extra_attempts, h.reason, h.granted_by_id) for h in history] == [
        (1, "Ill", teacher.pk),
        (2, "Still ill", other_teacher.pk),
    ]


def test_the_database_keeps_one_override_per_learner_and_quiz(learner, quiz, teacher):
    QuizOverride.objects.create(quiz=quiz, learner=learner, granted_by=teacher, reason="a")

    with pytest.raises(IntegrityError):
        QuizOverride.objects.create(quiz=quiz, learner=learner, granted_by=teacher, reason="b")


def test_the_database_refuses_both_kinds_of_time_limit_at_once(learner, quiz, teacher):
    with pytest.raises(IntegrityError):
        QuizOverride.objects.create(
            quiz=quiz,
            learner=learner,
            granted_by=teacher,
            reason="a",
            time_limit_minutes=30,
            time_multiplier=Decimal("1.5"),
        )


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Say why"),
        ({"extra_attempts": -1}, "extra_attempts", "fewer than none"),
        (
            {"time_limit_minutes": 30, "time_multiplier": Decimal("1.5")},
            "time_multiplier",
            "not both",
        ),
        ({"time_limit_minutes": 0}, "time_limit_minutes", "at least one minute"),
        ({"time_multiplier": Decimal("0")}, "time_multiplier", "more than 0"),
        ({"time_multiplier": Decimal("11")}, "time_multiplier", "at most 10"),
    ],
)
def test_terms_that_cannot_be_granted_are_refused_with_a_message_and_nothing_is_written(
    learner, teacher, terms, field, message
):
    quiz = QuizFactory(max_attempts=2, time_limit_minutes=20)

    with pytest.raises(ValidationError) as refused:
        quiz_override_grant(
            quiz=quiz, learner=learner, granted_by=teacher, **{"reason": "Ill", **terms}
        )

    assert message in " ".join(refused.value.message_dict[field])
    assert not QuizOverride.objects.exists()


def test_nothing_to_add_to_or_multiply_is_refused(learner, teacher):
    quiz = QuizFactory(max_attempts=None, time_limit_minutes=None, title="Open quiz")

    with pytest.raises(ValidationError) as refused:
        quiz_override_grant(
            quiz=quiz, learner=learner, granted_by=teacher, reason="Ill", extra_attempts=1
        )
    assert "“Open quiz” has no attempt limit" in refused.value.message_dict["extra_attempts"][0]
    with pytest.raises(ValidationError) as refused:
        quiz_override_grant(
            quiz=quiz,
            learner=learner,
            granted_by=teacher,
            reason="Ill",
            time_multiplier=Decimal("2"),
        )
    assert "no time limit to multiply" in refused.value.message_dict["time_multiplier"][0]


def test_a_grant_leaves_attempts_already_made_as_they_were(
    learner, quiz, teacher, now, rng, answer_all
):
    use_attempts(learner, quiz, 2, now=now, rng=rng, answer_all=answer_all)
    before = list(Attempt.objects.values_list("pk", "number", "percent", "submitted_at"))

    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=teacher, reason="Ill", extra_attempts=1
    )

    assert list(Attempt.objects.values_list("pk", "number", "percent", "submitted_at")) == before
