import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.grading import (
    Grade,
    InvalidAnswer,
    awaits_grader,
    choices_chosen,
    grade,
    question_snapshot,
    shown_for_learner,
    validate_answer,
)
from tests.factories import (
    ChoiceFactory,
    LessonFactory,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    short_question,
    single_question,
    true_false_question,
)

pytestmark = pytest.mark.django_db


def snapshot(question, *, shuffle_choices=False, seed=1):
    question = type(question).objects.prefetch_related("choices").get(pk=question.pk)
    return question_snapshot(question, rng=random.Random(seed), shuffle_choices=shuffle_choices)


def choice_id(shown, text):
    return next(c["id"] for c in shown["choices"] if c["text"] == text)


def pair_key(shown, left):
    return str(choice_id(shown, left))


# --- Snapshot ---------------------------------------------------------------


def test_snapshot_keeps_the_question_its_key_and_its_lesson_as_strings():
    lesson = LessonFactory(slug="attaches", title="Military Attachés")
    question = single_question(
        choices=[("Right", 100, "Yes."), ("Half", 50), ("Wrong", 0)],
        points=Decimal(2),
        lesson=lesson,
        passage=3,
        explanation="See passage 3.",
    )

    shown = snapshot(question)

    assert shown["question_id"] == question.pk
    assert shown["kind"] == "single"
    assert shown["points"] == "2.00"
    assert shown["explanation"] == "See passage 3."
    assert shown["lesson"] == {"slug": "attaches", "title": "Military Attachés", "passage": 3}
    # Unshuffled choices are listed alphabetically, never in the file's order.
    assert [c["text"] for c in shown["choices"]] == ["Half", "Right", "Wrong"]
    right = next(c for c in shown["choices"] if c["text"] == "Right")
    assert right["weight"] == "100.0000000"
    assert right["feedback"] == "Yes."
    assert "options" not in shown


def test_snapshot_of_numerical_answer_has_plain_numbers():
    shown = snapshot(numerical_question(answers=[("3.14", "0.01", 100)]))

    assert shown["choices"][0]["value"] == "3.14"
    assert shown["choices"][0]["tolerance"] == "0.01"
    assert shown["lesson"] is None


def test_shuffling_changes_choice_order_of_single_and_multiple_only():
    single = single_question(choices=[(f"Choice {n}", 100 if n == 1 else 0) for n in range(8)])
    true_false = true_false_question(answer=False)

    orders = {
        tuple(c["text"] for c in snapshot(single, shuffle_choices=True, seed=s)["choices"])
        for s in range(5)
    }
    assert len(orders) > 1
    for seed in range(5):
        shown = snapshot(true_false, shuffle_choices=True, seed=seed)
        assert [c["text"] for c in shown["choices"]] == ["True", "False"]


def test_matching_options_are_the_right_sides_shuffled_with_distractors():
    question = matching_question(
        pairs=[(f"Left {n}", f"Right {n}") for n in range(6)], distractors=["Nowhere"]
    )

    unshuffled = snapshot(question)
    shuffled = {
        tuple(snapshot(question, shuffle_choices=True, seed=s)["options"]) for s in range(5)
    }

    assert sorted(unshuffled["options"]) == sorted([f"Right {n}" for n in range(6)] + ["Nowhere"])
    assert len(shuffled) > 1
    # The lefts keep their order; the options never list the key in the same order.
    assert [c["text"] for c in unshuffled["choices"] if c["text"]] == [
        f"Left {n}" for n in range(6)
    ]


def test_what_the_learner_sees_before_submitting_holds_no_key():
    lesson = LessonFactory()
    shown = snapshot(
        single_question(choices=[("Right", 100, "Well done"), ("Wrong", 0)], lesson=lesson)
    )

    public = shown_for_learner(shown)

    assert "explanation" not in public
    assert "lesson" not in public
    assert public["text"] == shown["text"]
    assert all(set(c) == {"id", "text", "text_format"} for c in public["choices"])
    assert shown_for_learner(snapshot(short_question()))["choices"] == []


# --- Single choice and true/false --------------------------------------------


def test_single_choice_scores_the_weight_of_the_choice():
    shown = snapshot(
        single_question(
            choices=[("Right", 100, "Correct."), ("Half", 50), ("Penalty", -50), ("Wrong", 0)],
            points=Decimal(2),
        )
    )

    assert grade(shown, choice_id(shown, "Right")) == Grade(Decimal("2.00"), True, ["Correct."])
    assert grade(shown, choice_id(shown, "Half")) == Grade(Decimal("1.00"), False, [])
    # A negative weight never takes points away in a single-choice question.
    assert grade(shown, choice_id(shown, "Penalty")).score == Decimal("0.00")
    assert grade(shown, choice_id(shown, "Wrong")) == Grade(Decimal("0.00"), False, [])


def test_true_false():
    shown = snapshot(true_false_question(answer=False))

    assert grade(shown, choice_id(shown, "False")).is_correct is True
    assert grade(shown, choice_id(shown, "False")).score == Decimal("1.00")
    assert grade(shown, choice_id(shown, "True")).is_correct is False


# --- Multiple answer ---------------------------------------------------------


@pytest.fixture
def multiple_shown():
    return snapshot(
        multiple_question(
            choices=[("A", 50), ("B", 50), ("C", -100), ("D", -100)], points=Decimal(4)
        )
    )


def test_multiple_answer_full_marks_only_with_every_right_choice(multiple_shown):
    a, b = choice_id(multiple_shown, "A"), choice_id(multiple_shown, "B")

    assert grade(multiple_shown, [a, b]) == Grade(Decimal("4.00"), True, [])
    assert grade(multiple_shown, [a]) == Grade(Decimal("2.00"), False, [])


def test_multiple_answer_wrong_choices_take_credit_away_but_not_below_zero(multiple_shown):
    a, b, c = (choice_id(multiple_shown, t) for t in "ABC")

    assert grade(multiple_shown, [a, c]).score == Decimal("0.00")
    assert grade(multiple_shown, [a, b, c]).score == Decimal("0.00")


def test_selecting_every_choice_scores_no_more_than_the_right_ones(multiple_shown):
    everything = [c["id"] for c in multiple_shown["choices"]]
    right = [choice_id(multiple_shown, "A"), choice_id(multiple_shown, "B")]

    assert grade(multiple_shown, everything).score < grade(multiple_shown, right).score
    assert grade(multiple_shown, everything).is_correct is False


def test_multiple_answer_counts_a_choice_ticked_twice_once(multiple_shown):
    a = choice_id(multiple_shown, "A")

    assert grade(multiple_shown, [a, a]).score == Decimal("2.00")


def test_multiple_answer_partial_weights_round_to_cents():
    shown = snapshot(
        multiple_question(
            choices=[("A", "33.33333"), ("B", "33.33333"), ("C", "33.33333"), ("X", -100)]
        )
    )
    a, b, c = (choice_id(shown, t) for t in "ABC")

    assert grade(shown, [a]).score == Decimal("0.33")
    assert grade(shown, [a, b]).score == Decimal("0.67")
    # Stored to 4 places the thirds add up to 99.9999 %: still full marks.
    assert grade(shown, [a, b, c]) == Grade(Decimal("1.00"), True, [])


# --- Short answer ------------------------------------------------------------


def test_short_answer_ignores_case_and_extra_whitespace():
    shown = snapshot(short_question(answers=[("Regional Security", 100)]))

    for typed in ["regional security", "  REGIONAL   security ", "Regional\tSecurity\n"]:
        assert grade(shown, typed) == Grade(Decimal("1.00"), True, []), typed
    assert grade(shown, "regional-security").score == Decimal("0.00")
    assert grade(shown, "security").is_correct is False


def test_short_answer_casefolds_beyond_ascii():
    shown = snapshot(short_question(answers=[("Straße", 100)]))

    assert grade(shown, "STRASSE").is_correct is True


def test_short_answer_alternatives_best_weight_counts():
    shown = snapshot(
        short_question(
            answers=[("defence attaché", 100), ("attaché", 50, "Which kind?"), ("Attaché", 25)]
        )
    )

    assert grade(shown, "Defence Attaché").score == Decimal("1.00")
    assert grade(shown, "attaché") == Grade(Decimal("0.50"), False, ["Which kind?"])


def test_short_answer_wildcard():
    shown = snapshot(short_question(answers=[("confidence*measures", 100)]))

    assert grade(shown, "Confidence-building measures").is_correct is True
    assert grade(shown, "measures").is_correct is False


# --- Numerical ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "score"),
    [
        ("3.14", "1.00"),
        ("3.13", "1.00"),  # value − tolerance: in
        ("3.15", "1.00"),  # value + tolerance: in
        ("3.1500001", "0.00"),
        ("3.12999", "0.00"),
        ("3,14", "1.00"),  # decimal comma
        ("  3.14  ", "1.00"),
        ("−3.14", "0.00"),  # a typographic minus is a minus
        ("pi", "0.00"),
        ("3.14.15", "0.00"),
        ("NaN", "0.00"),
        ("Infinity", "0.00"),
        ("1,000.5", "0.00"),
        ("", "0.00"),
    ],
)
def test_numerical_tolerance_and_typing(typed, score):
    shown = snapshot(numerical_question(answers=[("3.14", "0.01", 100)]))

    assert grade(shown, typed).score == Decimal(score)


def test_numerical_best_matching_weight_counts():
    shown = snapshot(
        numerical_question(
            answers=[("42", "0", 100, "Exactly."), ("42", "2", 50, "Close.")], points=Decimal(2)
        )
    )

    assert grade(shown, "42") == Grade(Decimal("2.00"), True, ["Exactly."])
    assert grade(shown, "43,5") == Grade(Decimal("1.00"), False, ["Close."])
    assert grade(shown, "44.01").score == Decimal("0.00")


def test_numerical_feedback_for_any_other_answer():
    question = numerical_question(answers=[("42", "0", 100)])
    ChoiceFactory(question=question, position=2, text="", feedback="Count again.")
    shown = snapshot(question)

    assert grade(shown, "41") == Grade(Decimal("0.00"), False, ["Count again."])
    assert grade(shown, "42") == Grade(Decimal("1.00"), True, [])


def test_numerical_negative_value_and_a_number_sent_as_json_number():
    shown = snapshot(numerical_question(answers=[("-2.5", "0", 100)]))

    assert grade(shown, "-2,5").is_correct is True
    assert grade(shown, -2.5).is_correct is True


# --- Matching ----------------------------------------------------------------


def test_matching_scores_each_pair():
    shown = snapshot(matching_question(points=Decimal(3), distractors=["Lithuania"]))
    helsinki, tallinn, riga = (pair_key(shown, city) for city in ["Helsinki", "Tallinn", "Riga"])

    all_right = {helsinki: "Finland", tallinn: "Estonia", riga: "Latvia"}
    two_right = {helsinki: "Finland", tallinn: "Estonia", riga: "Lithuania"}

    assert grade(shown, all_right) == Grade(Decimal("3.00"), True, [])
    assert grade(shown, two_right) == Grade(Decimal("2.00"), False, [])
    assert grade(shown, {helsinki: "Finland"}) == Grade(Decimal("1.00"), False, [])


def test_matching_partial_credit_rounds_to_cents():
    shown = snapshot(matching_question(points=Decimal(1)))
    helsinki, tallinn = pair_key(shown, "Helsinki"), pair_key(shown, "Tallinn")

    assert grade(shown, {helsinki: "Finland"}).score == Decimal("0.33")
    assert grade(shown, {helsinki: "Finland", tallinn: "Estonia"}).score == Decimal("0.67")


# --- Essay ---------------------------------------------------------------------


def test_the_rubric_is_kept_for_the_grader_and_never_shown_to_the_learner():
    question = essay_question(points=Decimal(5), rubric="Two examples for full marks.")

    shown = snapshot(question)

    assert shown["rubric"] == "Two examples for full marks."
    assert "rubric" not in shown_for_learner(shown)
    assert "Two examples" not in str(shown_for_learner(shown))


def test_an_essay_awaits_a_person_unless_it_is_blank():
    shown = snapshot(essay_question(points=Decimal(5)))

    assert grade(shown, "A thoughtful essay.") == Grade(Decimal("0.00"), None, [])
    assert awaits_grader(shown, "A thoughtful essay.")
    for blank in (None, "", "   "):
        assert grade(shown, blank) == Grade(Decimal("0.00"), False, [])
        assert not awaits_grader(shown, blank)
    assert not awaits_grader(snapshot(single_question()), 1)


# --- No answer and malformed answers -------------------------------------------


def every_kind():
    return {
        "single": single_question(),
        "true_false": true_false_question(),
        "multiple": multiple_question(),
        "short": short_question(),
        "numerical": numerical_question(),
        "matching": matching_question(),
    }


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}])
def test_no_answer_scores_zero_and_is_not_correct(blank):
    for kind, question in every_kind().items():
        assert grade(snapshot(question), blank) == Grade(Decimal("0.00"), False, []), kind


@pytest.mark.parametrize(
    "answer",
    [
        999_999,
        True,
        False,
        "not an id",
        3.5,
        [999_999],
        ["A", None],
        [[1]],
        {"999999": "Finland"},
        {"x": ["Finland"]},
        {"a": {"b": 1}},
        "9" * 400,
    ],
)
def test_malformed_answers_score_zero_without_an_error(answer):
    for kind, question in every_kind().items():
        result = grade(snapshot(question), answer)
        assert result.score == Decimal("0.00"), kind
        assert result.is_correct is False, kind


def test_grading_a_garbled_snapshot_scores_zero():
    assert grade({}, 1) == Grade(Decimal("0.00"), False, [])
    assert grade({"kind": "single", "points": "x", "choices": [{"id": "?"}]}, 1).score == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(answer=json_values)
def test_grade_never_raises_and_stays_within_the_points(answer):
    for shown in FUZZ_SNAPSHOTS:
        result = grade(shown, answer)
        assert Decimal(0) <= result.score <= Decimal(shown["points"])


FUZZ_SNAPSHOTS = [
    {
        "kind": kind,
        "points": "2.00",
        "choices": [
            {
                "id": 1,
                "text": "1",
                "weight": "100.0000",
                "feedback": "",
                "match": "x",
                "value": "1",
                "tolerance": "0",
            },
            {
                "id": 2,
                "text": "2",
                "weight": "-50.0000",
                "feedback": "",
                "match": "y",
                "value": "2",
                "tolerance": "0.5",
            },
        ],
        "options": ["x", "y"],
    }
    for kind in ["single", "true_false", "multiple", "short", "numerical", "matching", "essay"]
]


# --- Validation on save -------------------------------------------------------


def test_validate_answer_cleans_what_a_form_posts():
    single = snapshot(single_question())
    multiple = snapshot(multiple_question())
    matching = snapshot(matching_question())
    right = choice_id(single, "Right")
    a, b = choice_id(multiple, "Right A"), choice_id(multiple, "Right B")
    helsinki, tallinn = pair_key(matching, "Helsinki"), pair_key(matching, "Tallinn")

    assert validate_answer(single, str(right)) == right
    assert validate_answer(multiple, [str(b), a, b]) == [a, b]
    assert validate_answer(snapshot(short_question()), "  Helsinki ") == "Helsinki"
    assert validate_answer(snapshot(numerical_question()), " 3,14 ") == "3,14"
    assert validate_answer(matching, {tallinn: "Estonia", helsinki: "Finland"}) == {
        helsinki: "Finland",
        tallinn: "Estonia",
    }
    assert validate_answer(matching, {helsinki: ""}) is None
    assert validate_answer(single, None) is None
    assert validate_answer(snapshot(short_question()), "   ") is None


@pytest.mark.parametrize(
    ("make", "answer", "message"),
    [
        (single_question, 999_999, "Choose one of the options."),
        (single_question, True, "Choose one of the options."),
        (true_false_question, "yes", "Choose one of the options."),
        (multiple_question, [999_999], "Choose from the options shown."),
        (short_question, 42, "Type your answer as text."),
        (
            short_question,
            "x" * 501,
            "Your answer is too long: 500 characters at most, it has 501.",
        ),
        (numerical_question, "about three", "Type a number, for example 3.14 or 3,14."),
        (matching_question, {"999999": "Finland"}, "Pick an answer from the list for each item."),
        (matching_question, ["Finland"], "Pick an answer from the list for each item."),
    ],
)
def test_validate_answer_refuses_with_a_message_for_the_learner(make, answer, message):
    with pytest.raises(InvalidAnswer, match=f"^{message}$".replace(".", r"\.")):
        validate_answer(snapshot(make()), answer)


def test_validate_matching_refuses_a_right_side_that_was_not_offered():
    shown = snapshot(matching_question())

    with pytest.raises(InvalidAnswer):
        validate_answer(shown, {pair_key(shown, "Helsinki"): "Sweden"})


# --- Numbers: what may be saved, and what was saved before there was a bound ----------


@pytest.mark.parametrize(
    "typed",
    ["1e1000000", "-1e1000000", "1e15", "-1000000000000000", "1e-1000000", "0.00000000001"],
)
def test_a_number_too_large_or_too_precise_to_compare_is_refused_with_its_bounds(typed):
    with pytest.raises(InvalidAnswer) as refused:
        validate_answer(snapshot(numerical_question()), typed)

    assert str(refused.value) == (
        "Type a number between -1,000,000,000,000,000 and 1,000,000,000,000,000, "
        "with at most 10 decimal places."
    )


@pytest.mark.parametrize(
    "typed",
    ["999999999999999.9999999999", "-999999999999999", "1e14", "0.0000000001", "3.14000000000000"],
)
def test_numbers_within_the_bounds_are_saved_as_typed(typed):
    assert validate_answer(snapshot(numerical_question()), typed) == typed


@pytest.mark.parametrize(
    ("stored", "score"),
    [
        ("1e1000000", "0.00"),
        ("-1e1000000", "0.00"),
        ("1E+999999999999", "0.00"),
        ("1e-1000000", "0.00"),
        # Past today's bound on decimals, saved before it: graded as typed.
        ("3.14000000000000000000000000000000001", "1.00"),
        ("3.1500000000000000000000000000000001", "0.00"),
    ],
)
def test_numbers_saved_before_the_bound_are_graded_not_refused(stored, score):
    shown = snapshot(numerical_question(answers=[("3.14", "0.01", 100)]))

    assert grade(shown, stored).score == Decimal(score)


# --- What an answer leans on -------------------------------------------------------------


def ids(question, *texts) -> set[int]:
    return set(question.choices.filter(text__in=texts).values_list("pk", flat=True))


def test_an_answer_leans_on_the_options_it_ticked_even_wrong_ones():
    question = multiple_question(choices=[("Red", 50), ("Blue", 50), ("Green", -100)])
    shown = snapshot(question)

    assert choices_chosen(shown, sorted(ids(question, "Red", "Green"))) == ids(
        question, "Red", "Green"
    )


def test_an_answer_leans_on_every_pair_it_matched():
    question = matching_question()
    shown = snapshot(question)
    right = question.choices.values_list("pk", "match_text")

    assert choices_chosen(shown, {str(pk): side for pk, side in right}) == {pk for pk, _ in right}


def test_a_typed_answer_leans_on_the_accepted_answer_it_matched_and_no_other():
    short = short_question(answers=[("Brussels", 100), ("Bruxelles", 100), ("Brussel", 50)])
    numerical = numerical_question(answers=[("3.14", "0.01", 100), ("3", "0", 50)])

    assert choices_chosen(snapshot(short), "bruxelles") == ids(short, "Bruxelles")
    assert choices_chosen(snapshot(numerical), "3") == ids(numerical, "3")
    assert choices_chosen(snapshot(short), "Paris") == set()
    assert choices_chosen(snapshot(short), "") == set()
