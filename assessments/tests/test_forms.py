import json
import random

import pytest
from django.http import QueryDict

from assessments.forms import (
    ANSWERS_MARKER,
    AttemptAnswers,
    answer_changed,
    answer_from_post,
    question_fieldset,
)
from assessments.grading import question_snapshot, shown_for_learner, validate_answer
from assessments.models import Question, Response
from assessments.review import answer_lines, key_lines
from tests.factories import (
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    short_question,
    single_question,
    true_false_question,
)

pytestmark = pytest.mark.django_db


def snapshot(question):
    question = Question.objects.prefetch_related("choices").get(pk=question.pk)
    return question_snapshot(question, rng=random.Random(1), shuffle_choices=False)


def post(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def ids(shown, *texts):
    return [next(c["id"] for c in shown["choices"] if c["text"] == text) for text in texts]


def tokens(shown, *texts):
    """What the page calls these options: their tokens in this attempt."""
    public = shown_for_learner(shown)
    named = public["choices"] + public.get("options", [])
    return [next(c["id"] for c in named if c["text"] == text) for text in texts]


# --- Reading a POST ------------------------------------------------------------


def test_single_choice_reads_the_ticked_radio_and_validates_to_its_id():
    shown = snapshot(single_question(choices=[("Right", 100), ("Wrong", 0)]))
    (right,) = ids(shown, "Right")
    (right_token,) = tokens(shown, "Right")

    answer = answer_from_post(shown, post(q3=right_token), 3)

    assert validate_answer(shown, answer) == right


def test_no_radio_ticked_is_no_answer():
    shown = snapshot(true_false_question())

    assert answer_from_post(shown, post(), 1) is None
    assert answer_from_post(shown, post(q1=""), 1) is None


def test_multiple_answer_reads_every_ticked_box_and_none_is_blank():
    shown = snapshot(multiple_question())
    a, b = ids(shown, "Right A", "Right B")

    answer = answer_from_post(shown, post(q2=tokens(shown, "Right B", "Right A")), 2)

    assert validate_answer(shown, answer) == [a, b]
    assert answer_from_post(shown, post(), 2) == []
    assert validate_answer(shown, []) is None


@pytest.mark.parametrize(
    ("make", "typed"),
    [(short_question, "  Helsinki "), (numerical_question, "3,14"), (essay_question, "Because.")],
)
def test_typed_answers_are_read_as_typed(make, typed):
    shown = snapshot(make())

    assert answer_from_post(shown, post(q4=typed), 4) == typed
    assert answer_from_post(shown, post(), 4) == ""


def test_matching_reads_one_select_per_left_item():
    shown = snapshot(matching_question(distractors=["Sweden"]))
    helsinki, tallinn, riga = ids(shown, "Helsinki", "Tallinn", "Riga")
    fields = tokens(shown, "Helsinki", "Tallinn", "Riga")
    finland, sweden = tokens(shown, "Finland", "Sweden")

    answer = answer_from_post(
        shown,
        post(**{f"q5-{fields[0]}": finland, f"q5-{fields[1]}": "", f"q5-{fields[2]}": sweden}),
        5,
    )

    assert answer == {str(helsinki): "Finland", str(tallinn): "", str(riga): "Sweden"}
    assert validate_answer(shown, answer) == {str(helsinki): "Finland", str(riga): "Sweden"}


def test_fields_of_another_question_are_ignored():
    shown = snapshot(short_question())

    assert answer_from_post(shown, post(q1="Helsinki"), 2) == ""


# --- Fields for the page ----------------------------------------------------------


def test_question_fields_carry_no_key_feedback_or_explanation():
    questions = [
        single_question(choices=[("Right", 100, "KEY-FEEDBACK")], explanation="KEY-EXPLANATION"),
        short_question(answers=[("KEY-ACCEPTED", 100, "KEY-FEEDBACK")]),
        numerical_question(answers=[("271828", "0.5", 100)]),
        matching_question(pairs=[("Left", "KEY-MATCH")]),
    ]

    for slot, question in enumerate(questions, start=1):
        fields = question_fieldset(snapshot(question), slot=slot, answer=None)
        text = json.dumps(fields, default=lambda o: vars(o))
        for secret in ("KEY-FEEDBACK", "KEY-EXPLANATION", "KEY-ACCEPTED", "271828", "100.0000"):
            assert secret not in text
    # The matching options are the right sides: shown, but not paired with their items.
    fields = question_fieldset(snapshot(questions[3]), slot=4, answer=None)
    assert [option.label for option in fields.items[0].options] == ["KEY-MATCH"]
    assert not any(option.selected for option in fields.items[0].options)


def test_saved_answers_are_pre_filled():
    single = snapshot(single_question(choices=[("A", 100), ("B", 0)]))
    multiple = snapshot(multiple_question())
    matching = snapshot(matching_question())
    (b,) = ids(single, "B")
    a, c = ids(multiple, "Right A", "Wrong C")
    (riga,) = ids(matching, "Riga")

    assert [o.selected for o in question_fieldset(single, slot=1, answer=b).options] == [
        False,
        True,
    ]
    assert [o.selected for o in question_fieldset(multiple, slot=2, answer=[a, c]).options] == [
        True,
        False,
        True,
    ]
    items = question_fieldset(matching, slot=3, answer={str(riga): "Latvia"}).items
    assert [item.label for item in items] == ["Helsinki", "Tallinn", "Riga"]
    assert [[o.label for o in i.options if o.selected] for i in items] == [[], [], ["Latvia"]]
    assert question_fieldset(snapshot(essay_question()), slot=4, answer="Draft").value == "Draft"


def test_field_names_and_ids_tie_labels_to_inputs():
    matching = snapshot(matching_question())
    lefts = tokens(matching, "Helsinki", "Tallinn", "Riga")

    fields = question_fieldset(matching, slot=7, answer=None)

    assert fields.field_names == [f"q7-{left}" for left in lefts]
    assert [item.id for item in fields.items] == [f"q7-item-{left}" for left in lefts]
    assert question_fieldset(snapshot(short_question()), slot=2, answer=None).field_names == ["q2"]
    single = question_fieldset(snapshot(single_question()), slot=2, answer=None)
    assert len({option.id for option in single.options}) == 2


def test_points_read_as_a_learner_would_say_them():
    assert (
        question_fieldset(snapshot(short_question()), slot=1, answer=None).points_label
        == "1 point"
    )
    two = snapshot(short_question(points=2))
    half = snapshot(short_question(points="0.5"))
    assert question_fieldset(two, slot=1, answer=None).points_label == "2 points"
    assert question_fieldset(half, slot=1, answer=None).points_label == "0.5 points"


# --- The whole attempt's answers -------------------------------------------------------


def responses_for(*questions):
    return [
        Response(slot=slot, shown=snapshot(question), answer=None)
        for slot, question in enumerate(questions, start=1)
    ]


def test_only_changed_answers_need_saving():
    responses = responses_for(short_question(), numerical_question(), essay_question())
    responses[0].answer = "Helsinki"

    answers = AttemptAnswers(
        responses, data=post(**{ANSWERS_MARKER: "1", "q1": " Helsinki ", "q2": "3.14", "q3": ""})
    )

    assert answers.changed() == {2: "3.14"}


def test_an_invalid_answer_counts_as_changed_so_saving_reports_it():
    shown = snapshot(numerical_question())

    assert answer_changed(shown, None, "three") is True
    assert answer_changed(shown, "3", " 3 ") is False


def test_a_post_without_the_answers_marker_changes_nothing():
    responses = responses_for(short_question())
    responses[0].answer = "Helsinki"

    answers = AttemptAnswers(responses, data=post(confirm="1"))

    assert answers.changed() == {}
    assert answers.questions()[0].value == "Helsinki"


def test_unanswered_questions_are_those_left_blank():
    responses = responses_for(short_question(), multiple_question(), matching_question())

    answers = AttemptAnswers(responses, data=post(**{ANSWERS_MARKER: "1", "q1": "Oslo"}))

    assert [question.slot for question in answers.unanswered()] == [2, 3]


def test_a_posted_answer_with_an_error_is_shown_as_typed():
    responses = responses_for(numerical_question())
    answers = AttemptAnswers(responses, data=post(**{ANSWERS_MARKER: "1", "q1": "three"}))

    answers.add_error(1, "Type a number.")

    (question,) = answers.questions()
    assert (question.value, question.error) == ("three", "Type a number.")


# --- Reading answers back ------------------------------------------------------------


def test_answer_lines_say_what_the_learner_chose():
    single = snapshot(single_question(choices=[("Yes", 100), ("No", 0)]))
    multiple = snapshot(multiple_question())
    matching = snapshot(matching_question())
    (tallinn,) = ids(matching, "Tallinn")

    assert answer_lines(single, ids(single, "No")[0]) == ["No"]
    assert answer_lines(multiple, ids(multiple, "Wrong C", "Right A")) == ["Right A", "Wrong C"]
    assert answer_lines(matching, {str(tallinn): "Latvia"}) == ["Tallinn → Latvia"]
    assert answer_lines(snapshot(numerical_question()), "3,14") == ["3,14"]
    assert answer_lines(single, None) == []


def test_key_lines_give_the_answers_with_full_marks():
    assert key_lines(snapshot(single_question(choices=[("A", 0), ("B", 100)]))) == ["B"]
    assert key_lines(snapshot(true_false_question(answer=False))) == ["False"]
    assert key_lines(snapshot(multiple_question())) == ["Right A", "Right B"]
    assert key_lines(snapshot(short_question(answers=[("Helsinki", 100), ("Hki", 50)]))) == [
        "Helsinki"
    ]
    assert key_lines(snapshot(numerical_question(answers=[("3.14", "0.01", 100)]))) == [
        "3.14 (± 0.01)"
    ]
    assert key_lines(snapshot(numerical_question(answers=[("19", "0", 100)]))) == ["19"]
    assert key_lines(snapshot(matching_question(pairs=[("Oslo", "Norway")]))) == ["Oslo → Norway"]
    assert key_lines(snapshot(essay_question())) == []
