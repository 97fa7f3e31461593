"""Item statistics, checked against figures worked out by hand on a made-up cohort.

Five learners, five one-point questions (1 = right):

        q1 q2 q3 q4 q5   total
    A    1  1  1  0  0     3
    B    1  1  1  0  0     3
    C    1  1  0  0  0     2
    D    1  0  0  1  0     2
    E    0  0  0  1  0     1

Facility = right / 5. Discrimination r = (nΣxr − ΣxΣr) / √((nΣx² − (Σx)²)(nΣr² − (Σr)²)),
x the question's score and r the rest of the test (total − x), n = 5:

    q1: x 1,1,1,1,0  r 2,2,1,1,1  Σx 4 Σx² 4 Σr 7 Σr² 11 Σxr 6
        (30 − 28) / √((20 − 16)(55 − 49)) = 2/√24  =  0.4082
    q2: x 1,1,1,0,0  r 2,2,1,2,1  Σx 3 Σx² 3 Σr 8 Σr² 14 Σxr 5
        (25 − 24) / √((15 − 9)(70 − 64))  = 1/6    =  0.1667
    q3: x 1,1,0,0,0  r 2,2,2,2,1  Σx 2 Σx² 2 Σr 9 Σr² 17 Σxr 4
        (20 − 18) / √((10 − 4)(85 − 81))  = 2/√24  =  0.4082
    q4: x 0,0,0,1,1  r 3,3,2,1,0  Σx 2 Σx² 2 Σr 9 Σr² 23 Σxr 1
        (5 − 18) / √((10 − 4)(115 − 81))  = −13/√204 = −0.9102   (strong learners miss it)
    q5: nobody right: facility 0, and no variance, so no discrimination.
"""

import math
from datetime import timedelta

import pytest

from assessments import statistics
from assessments.models import Question
from progress.services import enrollment_create
from tests.factories import (
    QuizFactory,
    UserFactory,
    course_with_modules,
    essay_question,
    multiple_question,
    single_question,
)

pytestmark = pytest.mark.django_db

PATTERNS = {
    "A": [1, 1, 1, 0, 0],
    "B": [1, 1, 1, 0, 0],
    "C": [1, 1, 0, 0, 0],
    "D": [1, 0, 0, 1, 0],
    "E": [0, 0, 0, 1, 0],
}
FACILITY = [0.8, 0.6, 0.4, 0.4, 0.0]
DISCRIMINATION = [2 / math.sqrt(24), 1 / 6, 2 / math.sqrt(24), -13 / math.sqrt(204), None]


def rows_for(question: int):
    """(item score, maximum, attempt total) of every attempt, for the plain functions."""
    return [(float(p[question]), 1.0, float(sum(p))) for p in PATTERNS.values()]


# --- The maths on plain numbers -----------------------------------------------------


@pytest.mark.parametrize("question", range(5))
def test_facility_and_discrimination_match_the_hand_computed_values(question):
    sums = statistics.item_sums(rows_for(question))

    assert statistics.facility(sums) == pytest.approx(FACILITY[question])
    expected = DISCRIMINATION[question]
    if expected is None:
        assert statistics.discrimination(sums) is None
    else:
        assert statistics.discrimination(sums) == pytest.approx(expected, abs=1e-12)


def test_the_hand_computed_values_written_as_decimals():
    """The rounded figures in the docstring, so a slip in the fractions above shows."""
    assert [round(d, 4) for d in DISCRIMINATION[:4]] == [0.4082, 0.1667, 0.4082, -0.9102]


def test_facility_of_a_partial_credit_item_is_the_mean_score_over_the_maximum():
    # Two-point item: 2 + 1 + 0 + 1.5 points of 4 × 2 = 4.5 / 8.
    sums = statistics.item_sums([(2, 2, 5), (1, 2, 3), (0, 2, 1), (1.5, 2, 4)])

    assert statistics.facility(sums) == pytest.approx(0.5625)


def test_sums_of_two_groups_add_up_to_the_sums_of_all():
    together = statistics.item_sums(rows_for(3))
    apart = statistics.item_sums(rows_for(3)[:2]) + statistics.item_sums(rows_for(3)[2:])

    assert apart == together


def test_no_discrimination_without_variation_or_with_one_attempt():
    assert statistics.discrimination(statistics.item_sums([(1, 1, 3)])) is None
    everyone_right = statistics.item_sums([(1, 1, 3), (1, 1, 2), (1, 1, 1)])
    assert statistics.discrimination(everyone_right) is None
    same_rest = statistics.item_sums([(1, 1, 3), (0, 1, 2)])
    assert statistics.discrimination(same_rest) is None
    assert statistics.facility(statistics.ItemSums()) is None


def test_flags_say_in_plain_words_what_looks_broken():
    assert statistics.flags(0.1, 0.3) == [statistics.TOO_HARD]
    assert statistics.flags(0.6, -0.2) == [statistics.WRONG_WAY]
    assert statistics.flags(0.2, 0.0) == []
    assert statistics.flags(None, None) == []
    assert "check the key" in statistics.TOO_HARD


# --- The same figures from real attempts ---------------------------------------------


@pytest.fixture
def made_up_cohort(now, take_quiz):
    """The cohort of the module docstring, taking the quiz through the services."""
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)
    quiz = QuizFactory(module=course.modules.get(), title="Made-up quiz", pass_mark=50)
    questions = [
        single_question(
            quiz=quiz,
            position=n,
            text=f"Question {n}",
            title="",
            choices=[("Right", 100), ("Wrong", 0)],
        )
        for n in range(1, 6)
    ]
    learners = {}
    for name, pattern in PATTERNS.items():
        learners[name] = UserFactory(first_name=name)
        enrollment_create(learner=learners[name], course=course)
        take_quiz(learners[name], quiz, now=now, right=lambda slot, p=pattern: p[slot - 1] == 1)
    return quiz, questions, learners


def test_quiz_statistics_match_the_hand_computed_values(made_up_cohort):
    quiz, questions, _ = made_up_cohort

    stats = statistics.quiz_statistics(quiz=quiz, which="all")

    assert stats.attempts == 5
    assert float(stats.mean_percent) == pytest.approx(44.0)  # 11 of 25 points
    assert [item.question for item in stats.items] == questions
    assert [item.attempts for item in stats.items] == [5] * 5
    assert [item.answered for item in stats.items] == [5] * 5
    assert [item.facility for item in stats.items] == pytest.approx(FACILITY)
    for item, expected in zip(stats.items, DISCRIMINATION, strict=True):
        if expected is None:
            assert item.discrimination is None
        else:
            assert item.discrimination == pytest.approx(expected)
    assert [item.flags for item in stats.items] == [
        [],
        [],
        [],
        [statistics.WRONG_WAY],
        [statistics.TOO_HARD],
    ]


def test_choice_counts_come_from_the_answers_and_the_snapshot(made_up_cohort):
    quiz, _, _ = made_up_cohort

    first = statistics.quiz_statistics(quiz=quiz, which="all").items[0]

    assert [(c.text, c.is_key, c.picked) for c in first.choices] == [
        ("Right", True, 4),
        ("Wrong", False, 1),
    ]
    assert first.choices[0].label == "Right (key): 4 of 5 (80%)"


def test_first_best_or_all_attempts(made_up_cohort, take_quiz, now):
    quiz, _, learners = made_up_cohort
    # E tries again and gets everything right: the best attempt, not the first.
    take_quiz(learners["E"], quiz, now=now + timedelta(hours=1), right=True)

    first = statistics.quiz_statistics(quiz=quiz, which="first")
    best = statistics.quiz_statistics(quiz=quiz, which="best")
    every = statistics.quiz_statistics(quiz=quiz, which="all")

    assert (first.attempts, best.attempts, every.attempts) == (5, 5, 6)
    q5 = [stats.items[4].facility for stats in (first, best, every)]
    assert q5 == pytest.approx([0.0, 0.2, 1 / 6])


def test_best_attempt_ties_go_to_the_earlier_one(made_up_cohort, take_quiz, now):
    quiz, _, learners = made_up_cohort
    # D scores 40 % again, with q1 wrong this time: the first 40 % stays the best.
    take_quiz(learners["D"], quiz, now=now + timedelta(hours=1), right=lambda slot: slot in (2, 4))

    best = statistics.quiz_statistics(quiz=quiz, which="best")

    assert best.items[0].facility == pytest.approx(0.8)


def test_a_deleted_question_keeps_its_figures_under_its_snapshot(made_up_cohort):
    quiz, questions, _ = made_up_cohort
    questions[3].delete()

    stats = statistics.quiz_statistics(quiz=quiz, which="all")

    gone = stats.items[-1]
    assert gone.question is None
    assert gone.text == "Question 4"
    assert gone.facility == pytest.approx(0.4)
    assert gone.discrimination == pytest.approx(-13 / math.sqrt(204))
    assert [(c.text, c.picked) for c in gone.choices] == [("Right", 2), ("Wrong", 3)]
    assert statistics.item_cells(gone)[1] == "Question 4 (deleted)"


def test_a_question_nobody_attempted_yet_is_listed_with_no_figures(made_up_cohort):
    quiz, _, _ = made_up_cohort
    single_question(quiz=quiz, position=6, title="New question")

    new = statistics.quiz_statistics(quiz=quiz, which="all").items[-1]

    assert (new.text, new.attempts, new.facility, new.discrimination) == (
        "New question",
        0,
        None,
        None,
    )
    assert new.flags == []


def test_multiple_answer_picks_count_each_ticked_choice(learner, now, take_quiz):
    course = course_with_modules(modules=1, lessons=1, final_exam=False, module_quizzes=False)
    quiz = QuizFactory(module=course.modules.get())
    multiple_question(quiz=quiz)
    essay_question(quiz=quiz, text="Discuss.")
    enrollment_create(learner=learner, course=course)
    take_quiz(learner, quiz, now=now, right=True)
    take_quiz(learner, quiz, now=now, right=False)

    ticked, essay = statistics.quiz_statistics(quiz=quiz, which="all").items

    assert [(c.text, c.picked) for c in ticked.choices] == [
        ("Right A", 1),
        ("Right B", 1),
        ("Wrong C", 1),
    ]
    assert ticked.facility == pytest.approx(0.5)
    assert essay.kind == Question.Kind.ESSAY.label
    assert (essay.facility, essay.discrimination, essay.flags) == (None, None, [])


def test_figures_read_the_same_on_the_page_and_in_the_csv(made_up_cohort):
    quiz, _, _ = made_up_cohort

    cells = [statistics.item_cells(i) for i in statistics.quiz_statistics(quiz=quiz).items]

    assert cells[3][:7] == ["4", "Question 4", "Single choice", "5", "5", "0.40", "-0.91"]
    assert cells[4][5:7] == ["0.00", ""]
    assert cells[0][7] == "Right (key): 4 of 5 (80%)\nWrong: 1 of 5 (20%)"


def test_each_attempt_counts_with_the_points_its_question_had_then(made_up_cohort, take_quiz, now):
    quiz, questions, learners = made_up_cohort
    questions[0].points = 2
    questions[0].save()
    # A sixth attempt, all right, at 2 points for question 1: 4 × 1 + 2 of 5 × 1 + 2.
    take_quiz(learners["E"], quiz, now=now + timedelta(hours=1), right=True)

    first = statistics.quiz_statistics(quiz=quiz, which="all").items[0]

    assert first.facility == pytest.approx(6 / 7)
