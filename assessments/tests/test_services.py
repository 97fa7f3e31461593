import random
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.grading import InvalidAnswer, grade, shown_for_learner
from assessments.models import Attempt, Choice, Question, Response
from assessments.review import answer_lines, key_lines
from assessments.selectors import attempt_with_responses, draw_shortfalls, quiz_question_count
from assessments.services import (
    AttemptClosed,
    AttemptLimitReached,
    QuizError,
    QuizUnavailable,
    attempt_start,
    attempt_submit,
    attempts_expired_submit,
    response_save,
)
from lessons.models import Status
from tests.concurrency import run_at_once
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    right_answer,
    short_question,
    single_question,
    true_false_question,
    wrong_answer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    """A module quiz of four one-point questions of different kinds."""
    quiz = QuizFactory(title="Foundations quiz", pass_mark=70)
    single_question(quiz=quiz, position=1)
    multiple_question(quiz=quiz, position=2)
    short_question(quiz=quiz, position=3)
    numerical_question(quiz=quiz, position=4)
    return quiz


def questions_of(attempt):
    return [r.shown["question_id"] for r in attempt.responses.order_by("slot")]


# --- Starting ---------------------------------------------------------------


def test_start_snapshots_every_question_in_order(learner, quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert attempt.number == 1
    assert attempt.started_at == now
    assert attempt.deadline is None
    assert attempt.pass_mark == 70
    assert attempt.max_score == Decimal("4.00")
    responses = list(attempt.responses.order_by("slot"))
    assert [r.slot for r in responses] == [1, 2, 3, 4]
    assert questions_of(attempt) == list(quiz.questions.values_list("pk", flat=True))
    assert [r.shown["kind"] for r in responses] == ["single", "multiple", "short", "numerical"]
    assert all(r.answer is None and r.score is None for r in responses)


def test_start_again_resumes_the_open_attempt(learner, quiz, now, rng):
    first = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    response_save(
        attempt=first, slot=1, answer=right_answer(first.responses.get(slot=1).shown), now=now
    )

    again = attempt_start(learner=learner, quiz=quiz, now=now + timedelta(hours=3), rng=rng)

    assert again.pk == first.pk
    assert Attempt.objects.count() == 1
    assert Response.objects.count() == 4
    assert again.responses.get(slot=1).answer is not None


def test_an_answered_essay_leaves_the_attempt_awaiting_grading(learner, now, rng, answer_all):
    quiz = QuizFactory(pass_mark=100)
    single_question(quiz=quiz, points=Decimal(2))
    essay_question(quiz=quiz, points=Decimal(3))

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now)
    attempt = attempt_submit(attempt=attempt, now=now)

    # The essay counts, once graded: until then the attempt neither passes nor fails.
    assert attempt.max_score == Decimal("5.00")
    assert (attempt.score, attempt.percent, attempt.passed) == (None, None, None)
    assert attempt.is_awaiting_grading
    assert list(attempt.responses.values_list("score", "is_correct")) == [
        (Decimal("2.00"), True),
        (None, None),
    ]
    assert list(Attempt.objects.awaiting_grading()) == [attempt]


def test_a_blank_essay_scores_nothing_and_awaits_nobody(learner, now, rng, answer_all):
    quiz = QuizFactory(pass_mark=40)
    single_question(quiz=quiz, points=Decimal(2))
    essay_question(quiz=quiz, points=Decimal(3))

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=lambda slot: slot == 1)
    attempt = attempt_submit(attempt=attempt, now=now)

    assert (attempt.score, attempt.percent, attempt.passed) == (
        Decimal("2.00"),
        Decimal("40.00"),
        True,
    )
    assert attempt.responses.get(slot=2).score == Decimal("0.00")
    assert not Attempt.objects.awaiting_grading().exists()


def test_a_draft_quiz_or_an_empty_one_cannot_be_started(learner, now):
    draft = QuizFactory(status=Status.DRAFT, title="Draft quiz")
    single_question(quiz=draft)
    empty = QuizFactory(title="Empty quiz")

    with pytest.raises(QuizUnavailable, match=re.escape("“Draft quiz” is not open for attempts.")):
        attempt_start(learner=learner, quiz=draft, now=now)
    with pytest.raises(QuizUnavailable, match=re.escape("“Empty quiz” has no questions yet.")):
        attempt_start(learner=learner, quiz=empty, now=now)
    assert not Attempt.objects.exists()


# --- Drawing and shuffling ----------------------------------------------------


@pytest.fixture
def bank():
    quiz = QuizFactory(draw_count=3)
    for position in range(1, 11):
        single_question(quiz=quiz, position=position, title=f"Q{position}")
    return quiz


def test_draw_takes_n_different_questions_in_bank_order(bank, now):
    ids_in_bank = list(bank.questions.values_list("pk", flat=True))
    drawn_sets = set()
    for seed in range(6):
        learner = UserFactory()
        attempt = attempt_start(learner=learner, quiz=bank, now=now, rng=random.Random(seed))
        drawn = questions_of(attempt)
        assert len(drawn) == 3 == len(set(drawn))
        assert drawn == sorted(drawn, key=ids_in_bank.index)  # not shuffled
        assert attempt.max_score == Decimal("3.00")
        drawn_sets.add(tuple(drawn))

    assert len(drawn_sets) > 1


def test_shuffle_questions_changes_the_order(bank, now):
    bank.draw_count = None
    bank.shuffle_questions = True
    bank.save()

    orders = {
        tuple(
            questions_of(
                attempt_start(learner=UserFactory(), quiz=bank, now=now, rng=random.Random(seed))
            )
        )
        for seed in range(4)
    }

    assert len(orders) > 1
    assert all(len(order) == 10 for order in orders)


def test_draw_count_above_the_bank_size_takes_the_whole_bank(learner, bank, now, rng):
    bank.draw_count = 50
    bank.save()

    assert len(questions_of(attempt_start(learner=learner, quiz=bank, now=now, rng=rng))) == 10


# --- Attempt limit --------------------------------------------------------------


def test_attempt_limit(learner, quiz, now, rng, answer_all):
    quiz.max_attempts = 2
    quiz.save()
    for number in (1, 2):
        attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
        assert attempt.number == number
        answer_all(attempt, now=now, right=False)
        attempt_submit(attempt=attempt, now=now)

    with pytest.raises(
        AttemptLimitReached, match=re.escape("You have used all 2 attempts at “Foundations quiz”.")
    ):
        attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    assert Attempt.objects.used().filter(learner=learner, quiz=quiz).count() == 2
    assert Attempt.objects.filter(learner=learner).count() == 2


def test_an_open_attempt_does_not_use_up_the_limit(learner, quiz, now, rng):
    quiz.max_attempts = 1
    quiz.save()

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert Attempt.objects.used().filter(learner=learner, quiz=quiz).count() == 0
    assert attempt_start(learner=learner, quiz=quiz, now=now, rng=rng).pk == attempt.pk
    attempt_submit(attempt=attempt, now=now)
    with pytest.raises(AttemptLimitReached, match="You have used your one attempt"):
        attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)


# --- Saving answers and the time limit ---------------------------------------------


@pytest.fixture
def timed_quiz(quiz):
    quiz.time_limit_minutes = 30
    quiz.save()
    return quiz


def test_saved_answer_is_stored_not_graded(learner, quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    response = response_save(attempt=attempt, slot=4, answer=" 3,14 ", now=now)

    response.refresh_from_db()
    assert response.answer == "3,14"
    assert response.saved_at == now
    assert response.score is None
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_saving_again_replaces_the_answer(learner, quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    response_save(attempt=attempt, slot=3, answer="Tallinn", now=now)
    response_save(attempt=attempt, slot=3, answer="Helsinki", now=now + timedelta(minutes=1))

    assert attempt.responses.get(slot=3).answer == "Helsinki"


def test_an_invalid_answer_is_refused_and_the_previous_one_kept(learner, quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    response_save(attempt=attempt, slot=4, answer="3.14", now=now)

    with pytest.raises(InvalidAnswer, match="Type a number"):
        response_save(attempt=attempt, slot=4, answer="three", now=now)
    with pytest.raises(QuizError, match=re.escape("This attempt has no question 9.")):
        response_save(attempt=attempt, slot=9, answer="3", now=now)

    assert attempt.responses.get(slot=4).answer == "3.14"


def test_the_time_limit_sets_a_deadline_and_answers_up_to_it_count(learner, timed_quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=timed_quiz, now=now, rng=rng)
    assert attempt.deadline == now + timedelta(minutes=30)

    response_save(attempt=attempt, slot=4, answer="3.14", now=attempt.deadline)

    assert attempt.responses.get(slot=4).answer == "3.14"


def test_a_late_answer_is_refused_and_the_attempt_submitted_with_saved_answers(
    learner, timed_quiz, now, rng
):
    attempt = attempt_start(learner=learner, quiz=timed_quiz, now=now, rng=rng)
    response_save(attempt=attempt, slot=4, answer="3.14", now=now + timedelta(minutes=10))

    with pytest.raises(AttemptClosed, match="Time is up") as refused:
        response_save(attempt=attempt, slot=3, answer="Helsinki", now=now + timedelta(minutes=31))

    attempt.refresh_from_db()
    assert attempt.submitted_at == attempt.deadline
    assert attempt.auto_submitted is True
    assert attempt.score == Decimal("1.00")  # the numerical answer saved in time
    assert attempt.percent == Decimal("25.00")
    assert attempt.responses.get(slot=3).answer is None
    assert refused.value.attempt.pk == attempt.pk


def test_a_submit_after_the_deadline_counts_as_handed_in_at_the_deadline(
    learner, timed_quiz, now, rng
):
    attempt = attempt_start(learner=learner, quiz=timed_quiz, now=now, rng=rng)

    attempt = attempt_submit(attempt=attempt, now=now + timedelta(hours=2))

    assert attempt.submitted_at == attempt.deadline
    assert attempt.auto_submitted is True


def test_an_expired_attempt_is_submitted_when_the_learner_comes_back(
    learner, timed_quiz, now, rng, answer_all
):
    first = attempt_start(learner=learner, quiz=timed_quiz, now=now, rng=rng)
    answer_all(first, now=now + timedelta(minutes=5))

    second = attempt_start(learner=learner, quiz=timed_quiz, now=now + timedelta(days=1), rng=rng)

    first.refresh_from_db()
    assert second.pk != first.pk
    assert second.number == 2
    assert first.submitted_at == first.deadline
    assert first.auto_submitted is True
    assert first.percent == Decimal("100.00")
    assert first.passed is True


def test_an_expired_last_attempt_is_graded_even_though_no_new_one_may_start(
    learner, timed_quiz, now, rng, answer_all
):
    timed_quiz.max_attempts = 1
    timed_quiz.save()
    attempt = attempt_start(learner=learner, quiz=timed_quiz, now=now, rng=rng)
    answer_all(attempt, now=now + timedelta(minutes=5))

    with pytest.raises(AttemptLimitReached):
        attempt_start(learner=learner, quiz=timed_quiz, now=now + timedelta(hours=2), rng=rng)

    attempt.refresh_from_db()
    assert attempt.submitted_at == attempt.deadline
    assert attempt.passed is True


def test_periodic_job_submits_only_expired_attempts(timed_quiz, now, rng):
    expired = attempt_start(learner=UserFactory(), quiz=timed_quiz, now=now, rng=rng)
    running = attempt_start(
        learner=UserFactory(), quiz=timed_quiz, now=now + timedelta(minutes=20), rng=rng
    )

    submitted = attempts_expired_submit(now=now + timedelta(minutes=31))

    assert [a.pk for a in submitted.submitted] == [expired.pk]
    assert submitted.failed == []
    expired.refresh_from_db()
    running.refresh_from_db()
    assert expired.submitted_at == expired.deadline
    assert expired.percent == Decimal("0.00")
    assert running.submitted_at is None


# --- Submitting -------------------------------------------------------------------


def test_submit_grades_every_response(learner, quiz, now, rng, answer_all):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=lambda slot: slot != 2)

    attempt = attempt_submit(attempt=attempt, now=now + timedelta(minutes=5))

    assert attempt.score == Decimal("3.00")
    assert attempt.percent == Decimal("75.00")
    assert attempt.passed is True
    assert attempt.submitted_at == now + timedelta(minutes=5)
    assert attempt.auto_submitted is False
    assert list(attempt.responses.order_by("slot").values_list("is_correct", flat=True)) == [
        True,
        False,
        True,
        True,
    ]


def test_percent_has_two_places_and_pass_mark_is_inclusive(learner, now, rng, answer_all):
    quiz = QuizFactory(pass_mark=67)
    for position in (1, 2, 3):
        single_question(quiz=quiz, position=position)

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=lambda slot: slot != 3)
    attempt = attempt_submit(attempt=attempt, now=now)

    assert attempt.percent == Decimal("66.67")
    assert attempt.passed is False
    quiz.pass_mark = 66
    quiz.save()
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=lambda slot: slot != 3)
    assert attempt_submit(attempt=attempt, now=now).passed is True


def test_pass_mark_is_the_one_in_force_when_the_attempt_started(
    learner, quiz, now, rng, answer_all
):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    quiz.pass_mark = 100
    quiz.save()
    answer_all(attempt, now=now, right=lambda slot: slot != 2)

    assert attempt_submit(attempt=attempt, now=now).passed is True  # 75 % ≥ 70 %


def test_a_double_submit_grades_once(learner, quiz, now, rng, answer_all):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=False)
    first = attempt_submit(attempt=attempt, now=now)
    # Someone tampers with a stored answer after the fact.
    Response.objects.filter(attempt=attempt).update(answer=None)

    second = attempt_submit(attempt=attempt, now=now + timedelta(minutes=1))

    assert second.submitted_at == first.submitted_at
    assert second.score == first.score == Decimal("0.00")
    assert Attempt.objects.count() == 1
    with pytest.raises(AttemptClosed, match="already been submitted"):
        response_save(attempt=attempt, slot=1, answer=None, now=now)


def test_submitting_with_no_answers_scores_zero(learner, quiz, now, rng):
    attempt = attempt_submit(
        attempt=attempt_start(learner=learner, quiz=quiz, now=now, rng=rng), now=now
    )

    assert attempt.score == Decimal("0.00")
    assert attempt.percent == Decimal("0.00")
    assert attempt.passed is False


# --- History: the snapshot, not the live question -------------------------------


def test_editing_or_deleting_questions_after_the_attempt_changes_nothing(
    learner, now, rng, answer_all
):
    quiz = QuizFactory()
    single = single_question(quiz=quiz, position=1, text="Original text")
    short = short_question(quiz=quiz, position=2, answers=[("Helsinki", 100)])
    matching = matching_question(quiz=quiz, position=3)
    tf = true_false_question(quiz=quiz, position=4)
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now)
    shown_before = list(attempt.responses.order_by("slot").values_list("shown", flat=True))

    # An instructor reworks the bank while the attempt is open…
    Question.objects.filter(pk=single.pk).update(text="Rewritten", points=10)
    single.choices.update(weight=0)
    short.choices.update(text="Tallinn")
    matching.choices.filter(position=1).delete()
    tf.delete()
    attempt = attempt_submit(attempt=attempt, now=now)

    assert attempt.score == Decimal("4.00")
    assert attempt.percent == Decimal("100.00")
    # …and later deletes a question of the finished attempt.
    single.delete()
    Choice.objects.filter(question=short).delete()
    review = attempt_with_responses(attempt.pk, learner)
    responses = list(review.responses.all())
    assert [r.shown for r in responses] == shown_before
    assert responses[0].shown["text"] == "Original text"
    assert responses[0].question is None
    assert review.score == Decimal("4.00")
    # Re-grading from the snapshots gives the stored scores.
    assert [grade(r.shown, r.answer).score for r in responses] == [r.score for r in responses]


def test_every_kind_graded_end_to_end(learner, now, rng, answer_all):
    quiz = QuizFactory()
    for make in (
        single_question,
        multiple_question,
        true_false_question,
        short_question,
        numerical_question,
        matching_question,
    ):
        make(quiz=quiz)
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    answer_all(attempt, now=now, right=lambda slot: slot % 2 == 1)

    attempt = attempt_submit(attempt=attempt, now=now)

    assert attempt.score == Decimal("3.00")
    assert attempt.percent == Decimal("50.00")
    assert [r.is_correct for r in attempt.responses.order_by("slot")] == [
        True, False, True, False, True, False,
    ]  # fmt: skip


def test_wrong_answer_helper_really_scores_zero(learner, quiz, now, rng):
    # Guards the tests above: a "wrong" answer that scored would hide bugs.
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    for response in attempt.responses.all():
        assert grade(response.shown, wrong_answer(response.shown)).score == 0
        assert grade(response.shown, right_answer(response.shown)).is_correct is True


# --- Selectors ------------------------------------------------------------------------


def test_attempt_with_responses_only_for_its_learner(learner, quiz, now, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert attempt_with_responses(attempt.pk, learner).pk == attempt.pk
    with pytest.raises(Attempt.DoesNotExist):
        attempt_with_responses(attempt.pk, UserFactory())


# --- Concurrency (PostgreSQL: SQLite serialises writers anyway) -----------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_starts_make_one_attempt(now):
    learner = UserFactory()
    quiz = QuizFactory()
    single_question(quiz=quiz)
    started, errors = run_at_once(lambda: attempt_start(learner=learner, quiz=quiz, now=now).pk)

    assert errors == []
    assert len(set(started)) == 1
    assert Attempt.objects.filter(learner=learner).count() == 1
    assert Response.objects.count() == 1


def test_periodic_job_grades_each_attempt_on_its_own(timed_quiz, now, rng, caplog, monkeypatch):
    failing = attempt_start(learner=UserFactory(), quiz=timed_quiz, now=now, rng=rng)
    graded = attempt_start(learner=UserFactory(), quiz=timed_quiz, now=now, rng=rng)
    # An answer this grader cannot handle, stored as old data would be.
    failing.responses.filter(slot=1).update(answer="cannot be graded")
    real_grade = grade

    def grade_or_fail(shown, answer):
        if answer == "cannot be graded":
            raise ArithmeticError("grading failed")
        return real_grade(shown, answer)

    monkeypatch.setattr("assessments.services.grade", grade_or_fail)

    result = attempts_expired_submit(now=now + timedelta(minutes=31))

    assert [attempt.pk for attempt in result.submitted] == [graded.pk]
    assert result.failed == [failing.pk]
    graded.refresh_from_db()
    failing.refresh_from_db()
    assert graded.submitted_at == graded.deadline and graded.percent == Decimal("0.00")
    assert failing.submitted_at is None and failing.score is None  # nothing half-written
    (logged,) = [record for record in caplog.records if record.levelname == "ERROR"]
    assert f"attempt {failing.pk}" in logged.getMessage()
    assert logged.exc_info is not None


# --- Balanced draws: per module or per category ---------------------------------------


def modules_bank(*, sizes: dict[str, int], no_module: int = 0, **quiz_fields):
    """A final exam whose bank holds ``sizes[slug]`` questions on each module's lesson, and
    ``no_module`` questions that name no lesson."""
    course = CourseFactory()
    quiz = QuizFactory(final=True, course=course, **quiz_fields)
    position = 0
    for slug, size in sizes.items():
        lesson = LessonFactory(module=ModuleFactory(course=course, slug=slug))
        for _ in range(size):
            position += 1
            single_question(quiz=quiz, position=position, lesson=lesson, title=f"Q{position}")
    for _ in range(no_module):
        position += 1
        single_question(quiz=quiz, position=position, title=f"Q{position}")
    return quiz


def modules_asked(attempt) -> Counter:
    return Counter(
        response.question.lesson.module.slug if response.question.lesson else None
        for response in attempt.responses.select_related("question__lesson__module")
    )


def test_a_draw_per_module_asks_the_number_from_every_module(now):
    quiz = modules_bank(sizes={"a": 6, "b": 4, "c": 5}, draw_count=2, draw_per="module")
    drawn_sets = set()
    for seed in range(20):
        attempt = attempt_start(learner=UserFactory(), quiz=quiz, now=now, rng=random.Random(seed))
        assert modules_asked(attempt) == {"a": 2, "b": 2, "c": 2}
        assert quiz_question_count(quiz=quiz, bank_size=15) == 6 == attempt.responses.count()
        drawn_sets.add(tuple(questions_of(attempt)))
    assert len(drawn_sets) > 1, "each attempt draws afresh within the modules"


def test_a_module_smaller_than_the_draw_is_taken_whole_and_the_attempt_still_starts(
    learner, now, rng
):
    quiz = modules_bank(sizes={"a": 6, "b": 1}, draw_count=3, draw_per="module")

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert modules_asked(attempt) == {"a": 3, "b": 1}
    assert quiz_question_count(quiz=quiz, bank_size=7) == 4
    assert draw_shortfalls(quiz=quiz) == {"b": 1}


def test_questions_without_a_module_are_drawn_as_a_group_of_their_own(learner, now, rng):
    quiz = modules_bank(sizes={"a": 5}, no_module=4, draw_count=2, draw_per="module")

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    assert modules_asked(attempt) == {"a": 2, None: 2}
    assert {r.shown["drawn_from"]["group"] for r in attempt.responses.all()} == {"a", ""}


def test_a_draw_per_category_asks_the_number_from_every_category(now):
    quiz = QuizFactory(draw_count=2, draw_per="category")
    for position in range(1, 13):
        single_question(
            quiz=quiz, position=position, category=["Unit 1", "Unit 2", ""][position % 3]
        )
    for seed in range(10):
        attempt = attempt_start(learner=UserFactory(), quiz=quiz, now=now, rng=random.Random(seed))
        asked = Counter(r.question.category for r in attempt.responses.select_related("question"))
        assert asked == {"Unit 1": 2, "Unit 2": 2, "": 2}


def test_the_snapshot_records_the_group_each_question_was_drawn_from(learner, now, rng):
    quiz = modules_bank(sizes={"a": 3, "b": 3}, draw_count=1, draw_per="module")

    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)

    for response in attempt.responses.select_related("question__lesson__module"):
        assert response.shown["drawn_from"] == {
            "per": "module",
            "group": response.question.lesson.module.slug,
        }
        # It points at the lesson that answers: the page must not show it before the end.
        assert "drawn_from" not in shown_for_learner(response.shown)
    # Deleting the module's questions later changes nothing the attempt recorded.
    Question.objects.filter(quiz=quiz).delete()
    assert sorted(r.shown["drawn_from"]["group"] for r in attempt.responses.all()) == ["a", "b"]


def test_an_old_snapshot_without_its_group_still_grades_and_reviews(learner, now, rng):
    quiz = modules_bank(sizes={"a": 2, "b": 2}, draw_count=1, draw_per="module")
    attempt = attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
    for response in attempt.responses.all():
        # As an attempt started before draws recorded their groups.
        del response.shown["drawn_from"]
        response.answer = right_answer(response.shown)
        response.save()

    submitted = attempt_submit(attempt=attempt, now=now)

    assert submitted.percent == 100
    for response in submitted.responses.all():
        assert answer_lines(response.shown, response.answer)
        assert key_lines(response.shown)


def test_a_draw_per_module_without_a_number_is_refused():
    quiz = QuizFactory.build(draw_per="module", draw_count=None)
    with pytest.raises(ValidationError, match="how many questions to draw from each module"):
        quiz.full_clean(validate_unique=False)


def test_starting_a_drawn_attempt_costs_the_same_queries_for_a_bigger_bank(now):
    small = modules_bank(sizes={"a": 3, "b": 3}, draw_count=2, draw_per="module")
    big = modules_bank(sizes={"a": 12, "b": 12, "c": 12, "d": 12}, draw_count=2, draw_per="module")

    def queries(quiz):
        with CaptureQueriesContext(connection) as captured:
            attempt_start(learner=UserFactory(), quiz=quiz, now=now, rng=random.Random(1))
        return len(captured)

    assert queries(big) == queries(small)
