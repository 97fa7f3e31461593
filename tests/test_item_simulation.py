"""The shipped course's quizzes through the item statistics, with simulated readers and guessers
(bench/item_simulation.py): reading pays, guessing earns chance and no more, and the statistics
page flags no item."""

import random
from statistics import mean

import pytest

from assessments.course_io import course_import
from assessments.grading import question_snapshot
from bench.item_simulation import chance_share, non_reader_picks, recurring_ideas, simulate
from tests.factories import matching_question, multiple_question
from tests.test_shipped_assessment import COURSE_FOLDER

pytestmark = pytest.mark.django_db

# A hundred of each: with fewer, a true/false item's discrimination (about 0.3) dips below the
# floor by sampling alone (its standard error is about one over the square root of the group).
READERS = GUESSERS = 100
# Test-wise non-readers (bench/item_simulation.py: what lore strikes out, then the option in the
# article's cooperative register, the one echoing the question, the most specific) earn what
# guessing does, within a few points either way, over each bank: the final exam, and the module
# quizzes together. Either way: where their cues point away from the key, striking out what the
# cues point to and guessing among the rest pays instead. A module quiz asks only three to six
# questions with one answer, each worth 10 to 15 points of it, so a quiz alone is held to twice
# the margin.
TESTWISE = 100
TESTWISE_MARGIN = 5
# Far below the 70% pass mark: a quiz a guesser can pass measures nothing.
CHANCE_CEILING = 35
# Guessers' mean percent may differ from the chance worked out from the bank by sampling alone
# (a guesser's percent varies by about 12 points, so 100 of them by about 1.2).
SAMPLING_MARGIN = 5
# Corrected item-rest correlation a useful item reaches among readers and guessers.
DISCRIMINATION_FLOOR = 0.1


def test_readers_pass_guessers_earn_chance_and_no_item_is_flagged():
    course, _ = course_import(COURSE_FOLDER)
    simulations = [
        simulate(
            quiz,
            readers=READERS,
            guessers=GUESSERS,
            testwise=TESTWISE,
        )
        for quiz in course.quizzes.order_by("-kind", "module__position")
    ]
    assert len(simulations) == 7

    for s in simulations:
        quiz = s.quiz.title
        for item in s.statistics.items:
            assert not item.flags, (quiz, item.text, item.flags)
            if item.discrimination is not None:
                assert item.discrimination >= DISCRIMINATION_FLOOR, (quiz, item.text)
        assert s.chance <= CHANCE_CEILING, quiz
        assert abs(float(mean(s.guessers)) - s.chance) <= SAMPLING_MARGIN, quiz
        assert s.passed(s.guessers) <= 0.05, quiz
        assert mean(s.readers) >= 75, quiz
        assert s.passed(s.readers) >= 0.7, quiz
        assert s.passed(s.testwise) <= 0.05, quiz
        assert abs(float(mean(s.testwise)) - s.chance) <= 2 * TESTWISE_MARGIN, quiz
    *modules, final = simulations
    assert final.quiz.kind == "final"
    assert abs(float(mean(final.testwise)) - final.chance) <= TESTWISE_MARGIN
    modules_testwise = mean(float(mean(s.testwise)) for s in modules)
    assert abs(modules_testwise - mean(s.chance for s in modules)) <= TESTWISE_MARGIN


def snapshot(question) -> dict:
    return question_snapshot(question, rng=random.Random(1), shuffle_choices=False)


def test_chance_is_what_a_guesser_earns_on_average_from_the_page():
    """Worked out from every answer the page allows."""
    multiple = snapshot(multiple_question(choices=[("a", 50), ("b", 50), ("c", -50), ("d", -50)]))
    # Of the 16 sets of boxes, {a, b} earns full marks and {a}, {b}, {a, b, c}, {a, b, d} half;
    # the rest nothing, as no score falls below zero.
    assert chance_share(multiple) == pytest.approx(3 / 16)
    matching = snapshot(matching_question(pairs=[("x", "1"), ("y", "2")], distractors=["3"]))
    # Each item is right with one option in three.
    assert chance_share(matching) == pytest.approx(1 / 3)
    all_right = snapshot(multiple_question(choices=[("a", 50), ("b", 50)]))
    # Ticking every box of a bank without wrong options pays: the simulation sees it.
    assert chance_share(all_right) == pytest.approx((0 + 0.5 + 0.5 + 1) / 4)


def test_a_test_wise_non_reader_strikes_out_what_test_taking_lore_rules_out():
    """Without the article, they strike out an idea the attempt offers in another question too,
    absolute wording and an option against the cooperative thrust, then take what sounds most
    like the article's conclusions in any words, then the most specific option."""
    question = "What do the two neighbours gain from their yearly staff talks?"
    options = [
        "Predictable relations built on trust, openness and mutual confidence",
        "Trust, openness and mutual confidence in every exchange",
        "Trust, openness and mutual confidence won by pressure on the smaller partner",
        "Reliable, joint and long-term planning",
        "Yearly staff talks between the two neighbours",
    ]
    elsewhere = ["The predictability of each side's moves", "Closer relations between staffs"]
    recurring = recurring_ideas([options, elsewhere])
    assert recurring == {"predictability"}
    # The stock idea, "every" and "pressure" are struck out; of the rest, "reliable, joint and
    # long-term" sounds like a conclusion, where the question's own words do not.
    assert non_reader_picks(question, options, recurring) == [3]
    # Offered once in the attempt, the idea is not struck out.
    assert non_reader_picks(question, options, recurring_ideas([options])) == [0]
    # Nothing else to tell them apart: the more qualified option.
    plain = ["Regular staff talks", "Regular staff talks held each spring at the border"]
    assert non_reader_picks("What keeps the region calm?", plain) == [1]
    # The idea the question asks about is not a stock option to strike, however often it recurs.
    about_it = "Why does predictability matter between the two neighbours?"
    assert non_reader_picks(about_it, options, recurring) == [0]
