"""Question kinds are plugins: every registered kind answers the whole interface, and a kind
added in one module (here, only inside this test) is taken end to end by the quiz engine."""

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.template import engines
from django.template.loader import get_template
from django.urls import reverse
from pytest_django.asserts import assertContains

from assessments import gift
from assessments.course_io import quiz_gift, quiz_questions_import
from assessments.forms import answer_from_post, question_fieldset
from assessments.gift import GiftAnswer, GiftError, parse_gift
from assessments.grading import (
    answer_from_public,
    answer_to_public,
    grade,
    question_snapshot,
    shown_for_learner,
    validate_answer,
)
from assessments.kinds import CHOICE_KINDS, KINDS, kind_for, register, unregister
from assessments.kinds.base import (
    ANSWER_KEYS,
    Fields,
    InvalidAnswer,
    Option,
    QuestionKind,
    best_of,
    field_name,
    listed_choices,
    written_weight,
)
from assessments.models import Attempt, Question, Response
from assessments.review import answer_lines, key_lines
from assessments.statistics import quiz_statistics
from progress.services import enrollment_create
from tests.factories import (
    QuizFactory,
    essay_question,
    matching_question,
    multiple_question,
    numerical_question,
    short_question,
    single_question,
    true_false_question,
)

pytestmark = pytest.mark.django_db

# One question of each kind: a kind added to the registry adds its example here.
EXAMPLES = {
    "single": single_question,
    "multiple": multiple_question,
    "true_false": true_false_question,
    "short": short_question,
    "numerical": numerical_question,
    "matching": matching_question,
    "essay": essay_question,
}


def test_the_examples_cover_every_registered_kind_and_the_column_holds_them():
    assert set(EXAMPLES) == set(KINDS)
    assert set(Question.Kind.values) == set(KINDS)
    longest = Question._meta.get_field("kind").max_length
    for name, kind in KINDS.items():
        assert len(name) <= longest
        assert (name in CHOICE_KINDS) == kind.answer_is_choice_ids


def test_a_kind_missing_part_of_the_interface_cannot_be_made():
    class HalfDone(QuestionKind):
        name = "half_done"
        label = "Half done"

        def validate(self, shown, answer):
            return answer

    with pytest.raises(TypeError, match="abstract"):
        HalfDone()


def test_a_second_kind_of_the_same_name_is_refused():
    with pytest.raises(ValueError, match="registered already"):
        register(KINDS["single"])
    assert kind_for("single") is KINDS["single"]


def test_what_names_no_kind_reads_as_unanswerable_and_scores_nothing():
    shown = {"kind": ["single"], "points": "1", "choices": [{"id": 1, "weight": "100"}]}

    assert grade(shown, 1).score == 0
    with pytest.raises(InvalidAnswer, match="cannot be answered"):
        validate_answer(shown, 1)
    assert kind_for({"kind": "no such kind"}).label == "Unknown"


def posted(shown: dict, slot: int, answer) -> QueryDict:
    """The POST a browser sends for the stored ``answer``, built from the page's fields."""
    data = QueryDict(mutable=True)
    for name, value in (
        kind_for(shown).fields_posted(slot, answer_to_public(shown, answer)).items()
    ):
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_registered_kind_is_taken_through_the_whole_interface(name):
    kind = KINDS[name]
    question = EXAMPLES[name]()
    shown = question_snapshot(question, rng=random.Random(7), shuffle_choices=False)
    right, wrong = kind.right_answer(shown), kind.wrong_answer(shown)

    # The page: nothing of the key, fields rendered by the kind's own template.
    public = shown_for_learner(shown)
    for choice in public["choices"]:
        assert not set(choice) & set(ANSWER_KEYS)
        assert choice["id"] not in {str(c["id"]) for c in shown["choices"]}
    form = question_fieldset(shown, slot=3, answer=right, saved=right)
    assert form.answered
    get_template(kind.template)
    html = get_template("progress/_question.html").render(
        {"question": form, "attempt": Attempt(pk=1)}
    )
    for field in form.field_names:
        assert f'name="{field}"' in html

    # Posting the right answer reads it back, in tokens and in fields.
    stored = validate_answer(shown, right)
    assert answer_from_public(shown, answer_to_public(shown, stored)) == stored
    assert validate_answer(shown, answer_from_post(shown, posted(shown, 3, stored), 3)) == stored
    assert validate_answer(shown, answer_from_post(shown, QueryDict(), 3)) is None

    # Grading, the review and the key.
    graded_right, graded_wrong = grade(shown, stored), grade(shown, wrong)
    assert answer_lines(shown, stored)
    if kind.graded_automatically:
        assert graded_right.is_correct and graded_right.score == Decimal(shown["points"])
        assert not graded_wrong.is_correct and graded_wrong.score < graded_right.score
        assert key_lines(shown)
    else:
        assert graded_right.is_correct is None and graded_right.score == 0
        assert key_lines(shown) == []


# --- A kind added by a test alone ----------------------------------------------------------

YES_NO_MAYBE_FIELDS = engines["django"].from_string(
    """<div class="btn-group" role="group">{% for option in question.options %}
  <input class="btn-check" type="radio" name="{{ question.name }}" id="{{ option.id }}"
         value="{{ option.value }}"{% if option.selected %} checked{% endif %}>
  <label class="btn btn-outline-primary" for="{{ option.id }}">{{ option.label }}</label>
{% endfor %}</div>"""
)
WORDS = ("yes", "no", "maybe")


class YesNoMaybe(QuestionKind):
    """Answered Yes, No or Maybe; the question's choices, named Yes, No and Maybe, weigh each
    word. The words are the same for every question, so the page shows no choice at all.
    In GIFT the block holds the right word, ``{yes}``; "maybe" then earns half."""

    name = "yes_no_maybe"
    label = "Yes, no or maybe"
    position = 45
    template = YES_NO_MAYBE_FIELDS
    hint = "Answer yes, no or maybe."

    def public_view(self, shown, public):
        return {**public, "choices": []}

    def validate(self, shown, answer):
        if answer not in WORDS:
            raise InvalidAnswer("Answer yes, no or maybe.")
        return answer

    def grade(self, *, points, choices, answer):
        said = [c for c in choices.values() if str(c.get("text", "")).casefold() == answer]
        return best_of(points, said)

    def fields(self, public, *, slot, answer):
        return Fields(
            options=[
                Option(f"{field_name(slot)}-{word}", word, word.capitalize(), answer == word)
                for word in WORDS
            ]
        )

    def answer_lines(self, shown, answer):
        return [answer.capitalize()]

    def key_lines(self, shown):
        choices = listed_choices(shown)
        best = max(choices, key=written_weight, default=None)
        return [best["text"]] if best and written_weight(best) > 0 else []

    gift_order = 45

    def gift_claims(self, body):
        return body.text.casefold() in WORDS

    def gift_answers(self, body):
        key = body.text.casefold()
        weights = {word: 100 if word == key else 50 if word == "maybe" else 0 for word in WORDS}
        return [GiftAnswer(word.capitalize(), Decimal(weights[word])) for word in WORDS]

    def gift_check(self, answers):
        gift.uses_only(answers, "text", "weight")
        if [a.text for a in answers] != ["Yes", "No", "Maybe"]:
            raise gift.Unrepresentable("answers Yes, No and Maybe, in this order")

    def gift_block(self, question, general):
        key = max(question.answers, key=lambda a: a.weight).text.casefold()
        return "{" + key + "}"

    def right_answer(self, shown):
        return max(listed_choices(shown), key=written_weight)["text"].casefold()

    def wrong_answer(self, shown):
        return min(listed_choices(shown), key=written_weight)["text"].casefold()


@pytest.fixture
def yes_no_maybe():
    """The toy kind, registered for one test. The database accepts only the kinds its
    migrations name (``question_kind_valid``); a real kind comes with the migration that adds
    it, so here the check is lifted for this test's transaction alone."""
    kind = register(YesNoMaybe())
    table = Question._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:  # rolled back with the test's transaction
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT question_kind_valid")
    yield kind
    unregister(kind.name)
    with pytest.raises(GiftError, match="answers start with '=' or '~'"):
        parse_gift("Without the kind, this is no question {yes}")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_a_kind_registered_in_one_module_is_taken_from_page_to_result(
    client, learner, yes_no_maybe
):
    quiz = QuizFactory(max_attempts=1)
    gift_text = "::Attachés::Do attachés report to the embassy?{yes}\n"
    quiz_questions_import(quiz, gift_text, source="attaches.gift")
    assert quiz.questions.get().kind == "yes_no_maybe"
    assert quiz_gift(quiz) == gift_text
    enrollment_create(learner=learner, course=quiz.course)
    client.force_login(learner)

    client.post(reverse("quiz_start", args=[quiz.course.slug, quiz.slug]))
    attempt = Attempt.objects.get(learner=learner, quiz=quiz)
    page = client.get(reverse("attempt_detail", args=[attempt.pk]))
    assertContains(page, "Answer yes, no or maybe.")
    for word in WORDS:
        assertContains(page, f'type="radio" name="q1" id="q1-{word}"')

    autosaved = client.post(
        reverse("response_save", args=[attempt.pk, 1]), {"q1": "perhaps"}, HTTP_HX_REQUEST="true"
    )
    assertContains(autosaved, "Answer yes, no or maybe.")
    assert Response.objects.get(attempt=attempt).answer is None

    client.post(
        reverse("attempt_submit", args=[attempt.pk]),
        {"answers": "1", "q1": "maybe", "confirm": "1"},
    )

    response = Response.objects.get(attempt=attempt)
    assert response.answer == "maybe"
    assert response.score == Decimal("0.50") and response.is_correct is False
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.percent == 50
    result = client.get(reverse("attempt_result", args=[attempt.pk]))
    assertContains(result, "Partly right")
    assertContains(result, "<dt>Your answer</dt>\n        <dd>Maybe</dd>", html=False)
    # The key, shown as the attempt limit is reached.
    assertContains(result, '<dt>Right answer</dt>\n          <dd lang="en">Yes</dd>', html=False)
    (item,) = quiz_statistics(quiz=quiz).items
    assert (item.kind, item.answered, item.facility) == ("Yes, no or maybe", 1, 0.5)
