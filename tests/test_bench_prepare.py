"""The benchmark's logged-in visitors are logged in as far as the site can tell."""

import pytest

from bench.prepare import browser_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_benchmark_visitor_is_logged_in_on_learner_pages(client):
    learner = UserFactory(first_name="Grace", last_name="Hopper")
    visitor = browser_for(learner)
    for pair in visitor.cookie.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value

    response = client.get("/dashboard/")

    assert response.status_code == 200
    assert response.wsgi_request.user == learner


def test_the_benchmarks_answers_are_saved_and_graded_as_a_browsers_would_be(client):
    """What the bench posts is what the attempt page's form posts: every save is taken, and the
    submitted attempt scores what its answers are worth (not a page of errors timed)."""
    from django.urls import reverse
    from django.utils import timezone

    from assessments.course_io import course_import
    from assessments.grading import grade
    from assessments.models import Quiz, Response
    from bench.loaddata import open_attempts_create
    from bench.prepare import save_body, submit_body
    from progress.services import enrollment_create
    from tests.test_shipped_course import COURSE_FOLDER

    course, _ = course_import(COURSE_FOLDER)
    # A module quiz: no time limit, so the bench's attempt, dated in the past, is still open.
    quiz = Quiz.objects.get(course=course, module__slug="foundations")
    learner = UserFactory()
    enrollment_create(learner=learner, course=course)
    (attempt,) = open_attempts_create(
        course=course, quiz=quiz, learners=[learner], seed=0, now=timezone.now()
    )
    client.force_login(learner)
    Response.objects.filter(attempt=attempt).update(answer=None)

    for row in attempt.rows:
        page = client.post(
            reverse("response_save", args=[attempt.pk, row.slot]),
            save_body(row.shown, row.slot, row.answer),
            content_type="application/x-www-form-urlencoded",
            headers={"HX-Request": "true"},
        )
        assert "✓ Saved" in page.content.decode(), row.slot
    client.post(
        reverse("attempt_submit", args=[attempt.pk]),
        submit_body(attempt),
        content_type="application/x-www-form-urlencoded",
    )

    attempt.refresh_from_db()
    expected = sum(grade(row.shown, row.answer).score for row in attempt.rows)
    assert attempt.is_submitted and attempt.score == expected


def test_the_grading_backlog_is_written_answers_awaiting_a_grade_made_once(client):
    from django.urls import reverse

    from assessments.models import Attempt
    from bench.prepare import INSTRUCTOR, browser_for, grading_backlog

    for n in range(4):
        UserFactory(username=f"load-{n:05d}")

    course = grading_backlog(3)
    again = grading_backlog(3)

    assert again == course
    awaiting = Attempt.objects.awaiting_grading().filter(quiz__course=course)
    assert awaiting.count() == 3
    teacher = course.instructors.get(username=INSTRUCTOR)
    for pair in browser_for(teacher).cookie.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value
    queue = client.get(reverse("teach_grading", args=[course.slug]))
    assert queue.content.decode().count("Save grade") == 3


def test_exam_day_learners_may_sit_the_final_exam_and_are_put_back_after_each_run():
    """Every learner the exam-day scenario gets has done every module and never sat the final
    exam; one who sat it and earned a certificate in a run is handed back as seeded."""
    from assessments.course_io import course_import
    from bench.prepare import exam_takers
    from progress.models import Certificate, Enrollment
    from progress.selectors import course_progress_for_learner, quiz_is_open
    from progress.services import quiz_attempt_start, quiz_attempt_submit
    from tests.factories import right_answer
    from tests.test_shipped_course import COURSE_FOLDER

    course, _ = course_import(COURSE_FOLDER)
    exam = course.quizzes.get(kind="final")

    takers = exam_takers(course, exam, 4)

    assert len(takers) == 4
    for learner, _ in takers:
        progress = course_progress_for_learner(learner=learner, course=course)
        assert all(module.is_complete for module in progress.modules), learner.username
        assert quiz_is_open(progress, exam) and not learner.attempts.filter(quiz=exam).exists()
    learner = takers[0][0]
    attempt = quiz_attempt_start(learner=learner, quiz=exam)
    for response in attempt.responses.all():
        response.answer = right_answer(response.shown)
        response.save()
    quiz_attempt_submit(attempt=attempt)
    assert Certificate.objects.filter(learner=learner, course=course).exists()

    again = exam_takers(course, exam, 4)

    assert [taker.pk for taker, _ in again] == [taker.pk for taker, _ in takers]
    assert not learner.attempts.filter(quiz=exam).exists()
    assert not Certificate.objects.filter(learner=learner, course=course).exists()
    assert Enrollment.objects.get(learner=learner, course=course).completed_at is None
    progress = course_progress_for_learner(learner=learner, course=course)
    assert quiz_is_open(progress, exam) and not progress.is_complete
