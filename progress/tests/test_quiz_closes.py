"""A quiz's close date on the pages: what the learner reads, what the admin sets, and the
learner's own terms on the instructor's page of them."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Attempt, Quiz, QuizOverride
from assessments.services import quiz_override_grant
from lessons.tests.test_admin import form_data
from progress.services import enrollment_create, quiz_attempt_start
from tests.factories import CourseFactory, QuizFactory, make_instructor, single_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    """The final exam (the only step) of a course, closing in two hours, three attempts."""
    exam = QuizFactory(
        final=True,
        course=CourseFactory(slug="treaties"),
        title="Final exam",
        max_attempts=3,
        closes_at=timezone.now() + timedelta(hours=2),
    )
    single_question(quiz=exam)
    return exam


@pytest.fixture
def ines(quiz):
    instructor = make_instructor("ines")
    quiz.course.instructors.add(instructor)
    return instructor


def words(response) -> str:
    body = re.sub(r"</?(?:strong|em|a|span|time)\b[^>]*>", "", response.content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def close(quiz, **delta):
    """Move the quiz's close, as the admin saves it."""
    quiz.closes_at = timezone.now() + timedelta(**delta)
    quiz.save()


def test_the_quiz_intro_says_when_it_closes_then_that_it_closed(client, learner, quiz):
    enrollment_create(learner=learner, course=quiz.course)
    client.force_login(learner)
    intro = reverse("quiz_detail", args=[quiz.course.slug, quiz.slug])
    when = timezone.localtime(quiz.closes_at).strftime("%-d %b %Y, %H:%M")

    text = words(client.get(intro))
    assert f"Closes {when} UTC. No attempt can start after that" in text
    assert "Start attempt" in text

    close(quiz, minutes=-1)
    text = words(client.get(intro))
    assert "This quiz closed on" in text and "no attempt can start" in text
    assert "Start attempt" not in text
    started = client.post(reverse("quiz_start", args=[quiz.course.slug, quiz.slug]), follow=True)
    assert "closed on" in words(started)
    assert not Attempt.objects.exists()


def test_a_learner_granted_a_later_close_reads_it_and_may_start(client, learner, quiz, ines):
    enrollment_create(learner=learner, course=quiz.course)
    close(quiz, minutes=-1)
    quiz_override_grant(
        quiz=quiz,
        learner=learner,
        granted_by=ines,
        reason="On exercise",
        closes_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(learner)

    text = words(client.get(reverse("quiz_detail", args=[quiz.course.slug, quiz.slug])))

    assert "a later close, granted to you" in text
    assert "Start attempt" in text
    quiz_attempt_start(learner=learner, quiz=quiz)


def test_the_result_page_offers_no_retake_once_the_quiz_closed(client, learner, quiz, take_quiz):
    enrollment_create(learner=learner, course=quiz.course)
    attempt = take_quiz(learner, quiz, now=timezone.now(), right=False)
    client.force_login(learner)
    result = reverse("attempt_result", args=[attempt.pk])
    assert "Retake the quiz" in words(client.get(result))

    close(quiz, minutes=-1)

    assert "Retake the quiz" not in words(client.get(result))


def test_setting_a_close_in_the_admin_moves_the_deadline_of_open_attempts(
    client, learner, quiz, ines
):
    enrollment_create(learner=learner, course=quiz.course)
    quiz.closes_at = None
    quiz.save()
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    assert attempt.deadline is None
    client.force_login(ines)
    change = reverse("admin:assessments_quiz_change", args=[quiz.pk])
    data = form_data(client.get(change)) | {"closes_at_0": "2031-06-30", "closes_at_1": "17:00"}

    saved = client.post(change, data, follow=True)

    closes = timezone.make_aware(timezone.datetime(2031, 6, 30, 17, 0))
    assert Quiz.objects.get(pk=quiz.pk).closes_at == closes
    assert Attempt.objects.get(pk=attempt.pk).deadline == closes
    said = [str(message) for message in saved.context["messages"]]
    assert (
        "1 attempt still open now ends at the new close, or at the end of its time limit if "
        "that comes first." in said
    )


def test_a_later_close_is_granted_in_the_admin_with_who_and_why(client, learner, quiz, ines):
    client.force_login(ines)
    enrollment_create(learner=learner, course=quiz.course)
    quiz_attempt_start(learner=learner, quiz=quiz)  # the admin lists learners with attempts
    later = timezone.localtime(quiz.closes_at + timedelta(days=2))
    refused = client.post(
        reverse("admin:assessments_quizoverride_add"),
        {
            "quiz": quiz.pk,
            "learner": learner.pk,
            "extra_attempts": "0",
            "closes_at_0": "2001-01-01",
            "closes_at_1": "12:00",
            "reason": "Deployed",
        },
    )
    assert "Give a moment after the quiz's own close" in words(refused)
    assert not QuizOverride.objects.exists()

    granted = client.post(
        reverse("admin:assessments_quizoverride_add"),
        {
            "quiz": quiz.pk,
            "learner": learner.pk,
            "extra_attempts": "0",
            "closes_at_0": later.strftime("%Y-%m-%d"),
            "closes_at_1": later.strftime("%H:%M:%S"),
            "reason": "Deployed",
        },
    )

    assert granted.status_code == 302
    override = QuizOverride.objects.get()
    assert (override.closes_at, override.granted_by, override.reason) == (
        later.replace(microsecond=0),
        ines,
        "Deployed",
    )


def test_the_instructors_page_of_a_learner_shows_their_own_terms(client, learner, quiz, ines):
    enrollment_create(learner=learner, course=quiz.course)
    quiz_override_grant(
        quiz=quiz,
        learner=learner,
        granted_by=ines,
        reason="Exam accommodation",
        extra_attempts=1,
        closes_at=quiz.closes_at + timedelta(days=1),
    )
    client.force_login(ines)

    text = words(client.get(reverse("teach_learner", args=[quiz.course.slug, learner.pk])))

    when = timezone.localtime(quiz.closes_at + timedelta(days=1)).strftime("%-d %b %Y, %H:%M")
    assert f"Final exam 1 The quiz’s {when} UTC Exam accommodation" in text
    assert f"by {ines.get_full_name()}" in text and "change, or see its history" in text
