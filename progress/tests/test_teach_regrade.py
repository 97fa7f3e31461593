"""The regrade page of the instructor area, its links, and what learners are told."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import Attempt, Choice, GradeChange, Question, Response
from assessments.tests.test_regrade import fix_key, row_counts, sit
from lessons.tests.test_admin import form_data
from progress.models import Certificate
from progress.services import question_regrade
from tests.factories import (
    CourseFactory,
    QuizFactory,
    UserFactory,
    essay_question,
    make_instructor,
    single_question,
)

pytestmark = pytest.mark.django_db

REASON = "The key named Rome; the treaty was signed in Paris."


@pytest.fixture
def exam():
    """A final exam (the course's only step) of two 1-point questions, 60% to pass; the first
    keyed Rome where the answer is Paris."""
    course = CourseFactory(title="Treaties", slug="treaties")
    exam = QuizFactory(final=True, course=course, pass_mark=60, title="Final exam")
    single_question(
        quiz=exam, position=1, text="Where was it signed?", choices=[("Rome", 100), ("Paris", 0)]
    )
    single_question(
        quiz=exam, position=2, text="Was it ratified?", choices=[("Yes", 100), ("No", 0)]
    )
    return exam


@pytest.fixture
def instructor(exam):
    user = make_instructor("ines")
    user.first_name, user.last_name = "Ines", "Instructor"
    user.save()
    exam.course.instructors.add(user)
    return user


@pytest.fixture
def question(exam):
    return exam.questions.get(position=1)


def sat(exam, now, first: str, second: str, *, name: str):
    return sit(UserFactory(first_name=name, last_name="Learner"), exam, [first, second], now=now)


@pytest.fixture
def ada_and_bob(exam, question, now):
    """Ada answered Paris (marked wrong, not passed); Bob Rome (marked right, passed, holds the
    certificate); then the key is fixed."""
    ada = sat(exam, now, "Paris", "Yes", name="Ada")
    bob = sat(exam, now, "Rome", "Yes", name="Bob")
    fix_key(question, Rome=0, Paris=100)
    return ada, bob


def regrade_url(question):
    return reverse("teach_question_regrade", args=[question.quiz.course.slug, question.pk])


def text_of(response) -> str:
    """The page's words: inline tags dropped, the others a space."""
    body = re.sub(r"</?(?:strong|em|a|span|time|q)\b[^>]*>", "", response.content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_dry_run_page_lists_what_would_change_and_changes_nothing(
    client, instructor, question, ada_and_bob
):
    client.force_login(instructor)
    counts = row_counts()

    page = client.get(regrade_url(question))

    assert page.status_code == 200
    text = text_of(page)
    assert "Key now Paris" in text
    assert "2 attempts would change score" in text
    assert "Ada Learner 1 0 → 1 of 1 50% → 100% Not passed → passed" in text
    assert "Bob Learner 1 1 → 0 of 1 100% → 50% Passed → not passed" in text
    assert "Ada Learner: would pass" in text
    assert (
        "Bob Learner: would no longer pass; their certificate stays valid, and they are "
        "listed below for you to decide" in text
    )
    assert "Apply the regrade" in text
    assert row_counts() == counts


def test_applying_from_the_page_regrades_tells_and_flags(
    client, instructor, exam, question, ada_and_bob
):
    ada, bob = ada_and_bob
    client.force_login(instructor)

    done = client.post(regrade_url(question), {"reason": REASON}, follow=True)

    assert done.redirect_chain == [(regrade_url(question), 302)]
    said = [str(message) for message in done.context["messages"]]
    assert said == [
        "Regraded: 2 attempts of 2 learners changed score.",
        "No longer passing “Final exam”: Bob Learner. Certificates already issued stay "
        "valid; they are listed below until you act.",
        "Now passing “Final exam”: Ada Learner. Whoever has now completed the course has "
        "their certificate.",
    ]
    assert Attempt.objects.get(pk=ada.pk).passed and not Attempt.objects.get(pk=bob.pk).passed
    assert Certificate.objects.filter(learner=ada.learner).exists()
    text = text_of(done)
    assert "Nothing to apply: every answer is graded by the key as it is now." in text
    assert "Lost points in a regrade of this quiz and do not pass it now" in text
    assert "Bob Learner (holds the course certificate)" in text
    assert f"by Ines Instructor: 2 answers changed. Why: “{REASON}”" in text

    course_page = text_of(client.get(reverse("teach_course", args=[exam.course.slug])))
    assert "Lost a pass in a regrade" in course_page
    assert "Bob Learner: Final exam (holds the course certificate)" in course_page


def test_applying_without_saying_what_was_corrected_is_refused_and_writes_nothing(
    client, instructor, question, ada_and_bob
):
    client.force_login(instructor)
    counts = row_counts()

    refused = client.post(regrade_url(question), {"reason": "   "})

    assert refused.status_code == 400
    assert "Say what you corrected: learners read it beside their new score." in text_of(refused)
    assert row_counts() == counts


def test_a_written_answer_question_says_it_is_never_regraded(client, instructor, exam, now):
    essay = essay_question(quiz=exam, position=3, points=2)
    client.force_login(instructor)

    page = client.get(regrade_url(essay))
    refused = client.post(regrade_url(essay), {"reason": REASON})

    assert "Written answers are graded by people, never regraded" in text_of(page)
    assert "Apply the regrade" not in text_of(page)
    assert refused.status_code == 400
    assert not GradeChange.objects.exists()


def test_a_question_of_another_course_is_not_found(client, instructor, ada_and_bob):
    other = single_question(quiz=QuizFactory(final=True, course=CourseFactory()))
    client.force_login(instructor)
    url = reverse("teach_question_regrade", args=["treaties", other.pk])
    assert client.get(url).status_code == 404


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, instructor, exam, question, now, django_assert_num_queries, monkeypatch
):
    from progress.views import teach

    monkeypatch.setattr(teach, "CHANGES_PER_PAGE", 3)
    client.force_login(instructor)
    for size, start in ((2, 0), (6, 2)):
        fix_key(question, Rome=100, Paris=0)
        for n in range(start, start + size):
            sat(exam, now, "Rome" if n % 2 else "Paris", "Yes", name=f"L{n:02d}")
        fix_key(question, Rome=0, Paris=100)
        cache.clear()
        # session, user, course, question; choices; answers; other attempts; certificates;
        # flagged learners; earlier regrades
        with django_assert_num_queries(10):
            page = client.get(regrade_url(question), {"page": 2})
        assert page.status_code == 200
        assert f"{size + start} attempts would change score" in text_of(page)


def test_the_statistics_page_offers_a_regrade_of_each_question(client, instructor, exam):
    client.force_login(instructor)
    page = client.get(reverse("teach_quiz_stats", args=[exam.course.slug, exam.slug]))
    body = page.content.decode()
    for question in exam.questions.all():
        assert f'href="{regrade_url(question)}"' in body


def test_the_learner_is_told_on_the_result_page(client, exam, question, ada_and_bob, now):
    ada, _ = ada_and_bob
    instructor = UserFactory(is_staff=True)
    question_regrade(question=question, by=instructor, reason=REASON, now=now + timedelta(days=1))
    client.force_login(ada.learner)

    text = text_of(client.get(reverse("attempt_result", args=[ada.pk])))

    assert (
        f"Regraded on 4 Mar 2025 after a correction to question 1: 0 → 1 point. Why: {REASON}"
        in text
    )
    assert "Passed" in text


# --- The question's admin page ---------------------------------------------------------------


def test_saving_an_answered_question_in_the_admin_links_to_the_dry_run(
    client, instructor, exam, question, now
):
    sat(exam, now, "Paris", "Yes", name="Ada")
    client.force_login(instructor)
    change_url = reverse("admin:assessments_question_change", args=[question.pk])
    data = form_data(client.get(change_url))
    rome, paris = question.choices.get(text="Rome"), question.choices.get(text="Paris")
    for choice, weight in ((rome, "0"), (paris, "100")):
        index = next(
            key.split("-")[1]
            for key, value in data.items()
            if key.endswith("-id") and str(value) == str(choice.pk)
        )
        data[f"choices-{index}-weight"] = weight

    saved = client.post(change_url, data, follow=True)

    infos = [str(m) for m in saved.context["messages"] if m.level_tag == "info"]
    assert len(infos) == 1
    assert "Learners answered this question in 1 submitted attempt" in infos[0]
    assert f'href="{regrade_url(question)}"' in infos[0]
    assert Choice.objects.get(pk=rome.pk).weight == Decimal(0)
    # Past attempts keep the key they were graded by until the regrade is applied.
    assert Response.objects.get(question=question).score == 0

    unchanged = client.post(change_url, form_data(client.get(change_url)), follow=True)
    assert not [m for m in unchanged.context["messages"] if m.level_tag == "info"]


def test_saving_an_unanswered_question_offers_no_regrade(client, instructor, question):
    client.force_login(instructor)
    change_url = reverse("admin:assessments_question_change", args=[question.pk])
    data = form_data(client.get(change_url)) | {"text": "Where was the treaty signed?"}
    saved = client.post(change_url, data, follow=True)
    assert not [m for m in saved.context["messages"] if m.level_tag == "info"]
    assert Question.objects.get(pk=question.pk).text == "Where was the treaty signed?"


def test_a_regrade_cut_short_on_the_page_says_to_apply_again(
    client, instructor, question, ada_and_bob, monkeypatch
):
    from progress.views import teach

    monkeypatch.setattr(teach, "REGRADE_SECONDS", 0)
    client.force_login(instructor)

    done = client.post(regrade_url(question), {"reason": REASON}, follow=True)

    said = [str(message) for message in done.context["messages"]]
    assert "Time ran short: 1 more answer to look at. Apply again to carry on" in " ".join(said)
    assert "1 attempt would change score" in text_of(done)
    again = client.post(regrade_url(question), {"reason": REASON}, follow=True)
    assert "Nothing to apply" in text_of(again)
