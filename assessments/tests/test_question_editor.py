"""The question editor: a question and its answers, of every kind, written and checked in
one form, with a preview drawn by the learner's own template."""

import html
import re

import pytest
from django.urls import reverse

from assessments.kinds import KINDS
from assessments.models import Choice, Question
from lessons.tests.test_admin import form_data
from tests.factories import course_with_modules, short_question, single_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(ines):
    course = course_with_modules(modules=1, lessons=1, title="Ines's course")
    course.instructors.add(ines)
    return course.modules.get().quiz


def url(name: str, *args) -> str:
    return reverse(f"admin:assessments_question_{name}", args=args)


def with_rows(data: dict, rows: list[dict]) -> dict:
    """``data`` with the answers replaced by ``rows`` (new ones), as typed in the editor."""
    data = {key: value for key, value in data.items() if not key.startswith("choices-")}
    data.update({"choices-TOTAL_FORMS": len(rows), "choices-INITIAL_FORMS": 0})
    data.update({"choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000})
    for index, row in enumerate(rows):
        data.update({f"choices-{index}-{name}": value for name, value in row.items()})
        data[f"choices-{index}-position"] = index + 1
    return data


# name: (answers that make a question learners can be graded on, answers that do not,
#        the field the refusal is shown on: the answers' part of the page, or a field)
EXAMPLES = {
    "single": (
        [{"text": "Brussels", "weight": "100"}, {"text": "Mons", "weight": "0"}],
        [{"text": "Brussels", "weight": "0"}, {"text": "Mons", "weight": "0"}],
        "needs a 100% answer",
    ),
    "multiple": (
        [
            {"text": "Red", "weight": "50"},
            {"text": "Blue", "weight": "50"},
            {"text": "Green", "weight": "-100"},
        ],
        [{"text": "Red", "weight": "100"}],
        "needs at least two answers",
    ),
    "true_false": (
        None,  # the starting rows, True (right) and False, as the page shows them
        [{"text": "Yes", "weight": "100"}, {"text": "No", "weight": "0"}],
        "needs answers True and False",
    ),
    "short": (
        [{"text": "Brussels", "weight": "100"}, {"text": "Bruxelles", "weight": "100"}],
        [{"text": "Brussels", "weight": "50"}],
        "full",
    ),
    "numerical": (
        [{"numeric_value": "3.14", "tolerance": "0.01", "weight": "100"}],
        [{"numeric_value": "", "tolerance": "0", "weight": "0", "feedback": "No"}],
        "needs at least one answer value",
    ),
    "matching": (
        [{"text": "France", "match_text": "Paris"}, {"text": "Italy", "match_text": "Rome"}],
        [{"text": "France", "match_text": "Paris"}, {"text": "Italy", "match_text": ""}],
        "Every answer of this kind needs this.",
    ),
    "essay": ([], None, None),
}


def test_every_kind_has_an_example():
    assert set(EXAMPLES) == set(KINDS)


def add_page(client, quiz, kind: str):
    return client.get(url("add") + f"?quiz={quiz.pk}&kind={kind}")


def new_question(client, quiz, kind: str, rows) -> dict:
    data = form_data(add_page(client, quiz, kind)) | {
        "quiz": quiz.pk,
        "kind": kind,
        "title": f"A {kind} question",
        "text": "Which?",
        "points": "2",
    }
    if rows is not None:
        data = with_rows(data, rows)
    if kind == "essay":
        data["rubric"] = "Two points for naming both."
    return data


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_a_question_of_every_kind_is_written_with_its_answers_in_one_post(
    client, ines, quiz, kind
):
    client.force_login(ines)
    rows = EXAMPLES[kind][0]
    response = client.post(url("add"), new_question(client, quiz, kind, rows))

    assert response.status_code == 302, response.context and response.context["errors"]
    question = quiz.questions.get(title=f"A {kind} question")
    assert question.kind == kind
    saved = list(question.choices.order_by("position"))
    expected = rows if rows is not None else list(KINDS[kind].editor.starting_rows)
    assert len(saved) == len(expected)
    for choice, row in zip(saved, expected, strict=True):
        for name, value in row.items():
            column = Choice._meta.get_field(name)
            assert getattr(choice, name) == column.to_python(value if value != "" else None)
    if kind == "matching":
        # Not on the page: every pair is worth the same, as the kind says.
        assert {choice.weight for choice in saved} == {100}
    if kind == "essay":
        assert question.rubric == "Two points for naming both."

    # Edited on its own page, the question and its answers again in one post.
    page = client.get(url("change", question.pk))
    data = form_data(page) | {"text": "Which one, exactly?"}
    if saved:
        first = next(
            name for name in ("text", "numeric_value") if name in KINDS[kind].editor.fields
        )
        if kind != "true_false":
            data[f"choices-0-{first}"] = "3.15" if first == "numeric_value" else "Changed"
    response = client.post(url("change", question.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    question.refresh_from_db()
    assert question.text == "Which one, exactly?"
    if saved and kind != "true_false":
        assert str(getattr(question.choices.order_by("position").first(), first)).startswith(
            data[f"choices-0-{first}"]
        )


@pytest.mark.parametrize("kind", sorted(name for name, example in EXAMPLES.items() if example[1]))
def test_answers_learners_could_not_be_graded_on_are_refused_and_nothing_is_written(
    client, ines, quiz, kind
):
    client.force_login(ines)
    _, rows, problem = EXAMPLES[kind]
    before = (Question.objects.count(), Choice.objects.count())

    response = client.post(url("add"), new_question(client, quiz, kind, rows))

    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    errors = [*formset.formset.non_form_errors()] + [
        error
        for form in formset.formset.forms
        for errors in form.errors.values()
        for error in errors
    ]
    assert problem in " ".join(errors)
    assert problem in html.unescape(response.content.decode())
    assert (Question.objects.count(), Choice.objects.count()) == before


def test_an_answer_missing_what_its_kind_needs_is_refused_on_its_field(client, ines, quiz):
    client.force_login(ines)
    _, rows, _ = EXAMPLES["matching"]

    response = client.post(url("add"), new_question(client, quiz, "matching", rows))

    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert not forms[0].errors
    assert forms[1].errors["match_text"] == ["Every answer of this kind needs this."]
    assert not quiz.questions.filter(kind="matching").exists()


def test_a_field_the_question_needs_is_refused_on_the_field(client, ines, quiz):
    client.force_login(ines)
    data = new_question(client, quiz, "essay", []) | {"text": ""}

    response = client.post(url("add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["text"]
    assert not quiz.questions.filter(kind="essay").exists()


def test_editing_an_answer_into_one_learners_cannot_use_changes_nothing(client, ines, quiz):
    client.force_login(ines)
    question = quiz.questions.get()
    before = list(question.choices.values_list("text", "weight"))
    data = form_data(client.get(url("change", question.pk)))
    for index in range(int(data["choices-TOTAL_FORMS"])):
        data[f"choices-{index}-weight"] = "0"

    response = client.post(url("change", question.pk), data | {"text": "Changed?"})

    assert "needs a 100% answer" in " ".join(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    question.refresh_from_db()
    assert question.text != "Changed?"
    assert list(question.choices.values_list("text", "weight")) == before


def test_choosing_another_kind_shows_its_answers_and_saves_nothing(client, ines, quiz):
    client.force_login(ines)
    question = quiz.questions.get()
    data = form_data(client.get(url("change", question.pk)))

    response = client.post(
        url("change", question.pk), data | {"kind": "matching", "_kind_switch": "1"}
    )

    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    assert list(formset.formset.forms[0].fields) >= ["text", "text_format", "match_text"]
    assert "weight" not in formset.formset.forms[0].fields
    assert "Nothing is saved yet" in html.unescape(response.content.decode())
    question.refresh_from_db()
    assert question.kind == "single"


def test_an_essay_shows_its_rubric_and_no_answers(client, ines, quiz):
    client.force_login(ines)
    page = add_page(client, quiz, "essay")
    assert "rubric" in page.context["adminform"].form.fields
    assert page.context["inline_admin_formsets"] == []
    single = add_page(client, quiz, "single")
    assert "rubric" not in single.context["adminform"].form.fields


def test_the_preview_shows_the_question_as_the_learner_page_does_without_its_key(
    client, ines, quiz
):
    client.force_login(ines)
    data = new_question(
        client,
        quiz,
        "single",
        [
            {"text": "Brussels", "weight": "100", "feedback": "Seat of NATO"},
            {"text": "Mons", "weight": "0", "feedback": "SHAPE is near"},
        ],
    )

    response = client.post(url("preview"), data, headers={"HX-Request": "true"})

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Which?" in page and "Brussels" in page and "Mons" in page
    assert 'type="radio"' in page
    for key in ("Seat of NATO", "SHAPE is near", "100"):
        assert key not in page
    # Options are named by tokens, never by the rows' order or ids.
    values = re.findall(r'value="([^"]*)"', page)
    assert len(values) == 2 and not any(value.isdigit() for value in values)
    assert not Question.objects.filter(title="A single question").exists()


def test_the_preview_says_why_learners_could_not_answer_yet(client, ines, quiz):
    client.force_login(ines)
    data = new_question(client, quiz, "matching", EXAMPLES["matching"][1])

    response = client.post(url("preview"), data, headers={"HX-Request": "true"})

    assert "Its match (right side): Every answer of this kind needs this." in html.unescape(
        response.content.decode()
    )


def test_the_preview_of_a_question_one_does_not_teach_is_refused(client, otto, quiz):
    client.force_login(otto)
    question = quiz.questions.get()
    response = client.post(url("preview", question.pk), {"kind": "single"})
    assert response.status_code == 302  # to the index, saying it does not exist


def test_the_quiz_page_adds_no_question_without_its_answers(client, ines, quiz):
    client.force_login(ines)
    page = client.get(reverse("admin:assessments_quiz_change", args=[quiz.pk]))
    (formset,) = page.context["inline_admin_formsets"]
    assert not formset.has_add_permission
    assert f"{url('add')}?quiz={quiz.pk}" in html.unescape(page.content.decode())


def test_the_quiz_add_form_fills_the_slug_from_the_title(client, ines):
    client.force_login(ines)
    page = client.get(reverse("admin:assessments_quiz_add"))
    assert page.context["adminform"].prepopulated_fields[0]["field"].name == "slug"


def test_a_question_page_keeps_its_query_count_with_more_answers(client, ines, quiz):
    from lessons.tests.test_admin import query_count

    client.force_login(ines)
    question = single_question(quiz=quiz, choices=(("Yes", 100), ("No", 0)))
    small = query_count(client, url("change", question.pk))
    for position in range(3, 8):
        question.choices.create(position=position, text=f"Choice {position}")
    assert query_count(client, url("change", question.pk)) == small


# --- What learners did stays as they did it ------------------------------------------------


def answered(quiz, question, learner, answer, now, *, submit=True):
    """``learner`` answers ``question`` (the quiz's only one) with ``answer`` (stored form)."""
    from progress.services import (
        enrollment_create,
        quiz_attempt_start,
        quiz_attempt_submit,
        quiz_response_save,
    )

    quiz.questions.exclude(pk=question.pk).delete()
    enrollment_create(learner=learner, course=quiz.course)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    quiz_response_save(attempt=attempt, slot=1, answer=answer, now=now)
    if submit:
        quiz_attempt_submit(attempt=attempt, now=now)


def deleting(client, question, *texts) -> dict:
    """The question's page as posted with the answers named ``texts`` ticked for deletion."""
    data = form_data(client.get(url("change", question.pk)))
    ids = {str(choice.pk) for choice in question.choices.filter(text__in=texts)}
    for index in range(int(data["choices-TOTAL_FORMS"])):
        if str(data.get(f"choices-{index}-id")) in ids:
            data[f"choices-{index}-DELETE"] = "on"
    return data


def three_cities(quiz):
    return single_question(
        quiz=quiz, position=2, choices=[("Brussels", 100), ("Mons", 0), ("Liège", 0)]
    )


def refusals(response) -> str:
    return " ".join(response.context["inline_admin_formsets"][0].formset.non_form_errors())


def test_an_option_learners_chose_cannot_be_deleted_one_nobody_chose_can(
    client, ines, quiz, learner, now
):
    question = three_cities(quiz)
    mons = question.choices.get(text="Mons")
    answered(quiz, question, learner, mons.pk, now)
    client.force_login(ines)

    response = client.post(url("change", question.pk), deleting(client, question, "Mons"))

    assert response.status_code == 200
    assert refusals(response).startswith(
        "“Mons”: learners have already chosen this answer in a submitted attempt. Deleting it "
        "would change their grade at the next regrade"
    )
    assert "write a new question and delete this one" in refusals(response)
    assert question.choices.filter(pk=mons.pk).exists()

    response = client.post(url("change", question.pk), deleting(client, question, "Liège"))

    assert response.status_code == 302
    assert list(question.choices.values_list("text", flat=True)) == ["Brussels", "Mons"]


def test_an_accepted_answer_a_learner_typed_cannot_be_deleted_once_handed_in(
    client, ines, quiz, learner, now
):
    question = short_question(
        quiz=quiz, position=2, answers=[("Brussels", 100), ("Bruxelles", 100), ("Brussel", 100)]
    )
    answered(quiz, question, learner, "bruxelles", now)
    client.force_login(ines)

    refused = client.post(url("change", question.pk), deleting(client, question, "Bruxelles"))
    kept = client.post(url("change", question.pk), deleting(client, question, "Brussel"))

    assert "“Bruxelles”: learners have already chosen this answer" in refusals(refused)
    assert kept.status_code == 302
    assert list(question.choices.values_list("text", flat=True)) == ["Brussels", "Bruxelles"]


def test_an_answer_chosen_in_an_attempt_not_handed_in_yet_may_still_go(
    client, ines, quiz, learner, now
):
    # The open attempt keeps the question as it was shown, and is graded from that.
    question = three_cities(quiz)
    answered(quiz, question, learner, question.choices.get(text="Mons").pk, now, submit=False)
    client.force_login(ines)

    response = client.post(url("change", question.pk), deleting(client, question, "Mons"))

    assert response.status_code == 302
    assert not question.choices.filter(text="Mons").exists()


@pytest.mark.parametrize("switch", [True, False], ids=["choosing the kind", "saving"])
def test_the_kind_of_a_question_learners_answered_cannot_change(
    client, ines, quiz, learner, now, switch
):
    question = quiz.questions.get()
    answered(quiz, question, learner, question.choices.order_by("position").first().pk, now)
    client.force_login(ines)
    data = form_data(client.get(url("change", question.pk))) | {"kind": "multiple"}
    if switch:
        data["_kind_switch"] = "1"

    response = client.post(url("change", question.pk), data)

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert (
        "Learners have already answered this question as a single choice question: its kind "
        "cannot change" in page
    )
    assert "Nothing is saved yet" not in page
    question.refresh_from_db()
    assert question.kind == "single"
