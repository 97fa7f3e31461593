"""Statements are written in the transaction of the step they tell: rolled back with it, and
written once however often the same step is told."""

from datetime import timedelta

import pytest
from django.db import transaction

from progress.services import course_open, enrollment_create, lesson_complete
from tests.factories import course_with_modules
from xapi.models import OutboxStatement
from xapi.tests.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def lrs_configured(settings):
    settings.XAPI_ENDPOINT = f"http://127.0.0.1:{free_port()}/xAPI/"


@pytest.fixture
def course(learner):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    return course


def test_a_step_rolled_back_leaves_no_statement(learner, course, now):
    with transaction.atomic():
        lesson_complete(learner=learner, lesson=course.lessons.get(), now=now)
        assert OutboxStatement.objects.count() == 1  # written with the completion
        transaction.set_rollback(True)

    assert not OutboxStatement.objects.exists()


def test_a_course_opened_again_the_same_day_is_one_launch_and_the_next_day_another(
    learner, course, now
):
    course_open(learner=learner, course=course, now=now)
    course_open(learner=learner, course=course, now=now + timedelta(hours=3))
    course_open(learner=learner, course=course, now=now + timedelta(days=1))

    launches = OutboxStatement.objects.filter(verb="launched")
    assert launches.count() == 2
    first = launches.first().statement
    assert first["timestamp"] == now.isoformat()  # the first opening of the day stands


def test_a_lesson_marked_read_twice_is_one_statement(learner, course, now):
    lesson = course.lessons.get()
    lesson_complete(learner=learner, lesson=lesson, now=now)
    lesson_complete(learner=learner, lesson=lesson, now=now + timedelta(hours=1))

    assert list(OutboxStatement.objects.values_list("verb", flat=True)) == ["experienced"]


def test_statement_ids_differ_between_sites(learner, course, now, settings):
    lesson = course.lessons.get()
    lesson_complete(learner=learner, lesson=lesson, now=now)
    here = OutboxStatement.objects.get()
    settings.SITE_URL = "https://another-academy.example"
    from xapi.statements import experienced

    there = experienced(learner_id=learner.pk, lesson=lesson, at=now)

    assert there["id"] != str(here.pk)
    assert there["actor"]["account"]["name"] != here.statement["actor"]["account"]["name"]


def test_a_regrade_that_changes_a_result_sends_the_new_one_beside_the_old(settings, now):
    from assessments.tests.test_regrade import fix_key, sit
    from progress.services import question_regrade
    from tests.factories import CourseFactory, QuizFactory, UserFactory, single_question

    course = CourseFactory()
    exam = QuizFactory(final=True, course=course, pass_mark=60)
    keyed_rome = single_question(quiz=exam, position=1, choices=[("Rome", 100), ("Paris", 0)])
    single_question(quiz=exam, position=2, choices=[("Yes", 100), ("No", 0)])
    ada, bob = UserFactory(), UserFactory()
    sit(ada, exam, ["Paris", "Yes"], now=now)  # 50%: failed
    sit(bob, exam, ["Paris", "No"], now=now)  # 0%: failed, and still failed at 50% after
    fix_key(keyed_rome, Rome=0, Paris=100)

    question_regrade(question=keyed_rome, by=UserFactory(is_staff=True), reason="Paris", now=now)

    results = OutboxStatement.objects.filter(verb__in=["passed", "failed"])
    assert sorted(
        (row.learner.pk, row.verb, row.statement["result"]["score"]["scaled"]) for row in results
    ) == sorted([(ada.pk, "failed", 0.5), (ada.pk, "passed", 1.0), (bob.pk, "failed", 0.0),
                 (bob.pk, "failed", 0.5)])  # fmt: skip


def test_the_launch_costs_the_days_first_visit_two_queries_and_later_visits_and_visitors_none(
    settings,
    client,
    learner,
    course,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(url) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    client.force_login(learner)
    page = course.get_absolute_url()
    lrs = settings.XAPI_ENDPOINT
    settings.XAPI_ENDPOINT = ""
    queries(page)  # warms the course outline's cache
    without = len(queries(page))
    settings.XAPI_ENDPOINT = lrs

    with django_capture_on_commit_callbacks(execute=True):  # as the visit's end commits
        first = queries(page)
    assert len(first) == without + 2  # the course, then the launch's INSERT … ON CONFLICT
    assert any("xapi_outboxstatement" in sql for sql in first)
    with django_assert_num_queries(without) as again:  # the same day: the cache answers
        client.get(page)
    assert not any("xapi_outboxstatement" in query["sql"] for query in again.captured_queries)
    cache.clear()  # the cache lost: the day's launch is still one
    client.get(page)
    assert OutboxStatement.objects.filter(verb="launched").count() == 1

    client.logout()
    queries(page)
    assert OutboxStatement.objects.count() == 1  # a visitor launches nothing


def test_a_learner_back_at_a_lesson_launches_the_course_and_a_visitor_of_a_preview_does_not(
    client, learner, course, now
):
    lesson = course.lessons.get()  # the course's first lesson: an open preview
    assert client.get(lesson.get_absolute_url()).status_code == 200
    assert not OutboxStatement.objects.exists()

    client.force_login(learner)
    assert client.get(lesson.get_absolute_url()).status_code == 200
    assert client.get(course.get_absolute_url()).status_code == 200

    assert list(OutboxStatement.objects.values_list("verb", flat=True)) == ["launched"]


def test_a_partly_right_answer_tells_the_lrs_the_score_the_learner_was_shown(client, now):
    """One right option of three ticked in an 8-point question: 2.67 of 8, shown as 33.38% (to
    the cent, half up); the LRS is told 0.3338, not 0.33375 rounded some other way."""
    from django.urls import reverse

    from assessments.tests.test_regrade import sit
    from tests.factories import CourseFactory, QuizFactory, UserFactory, multiple_question

    exam = QuizFactory(final=True, course=CourseFactory(), pass_mark=50)
    multiple_question(
        quiz=exam,
        points=8,
        choices=[("Rome", "33.33333"), ("Paris", "33.33333"), ("Lyon", "33.33333"),
                 ("Berlin", -100)],
    )  # fmt: skip
    learner = UserFactory()
    attempt = sit(learner, exam, [["Rome"]], now=now)
    client.force_login(learner)

    page = client.get(reverse("attempt_result", kwargs={"pk": attempt.pk})).content.decode()

    assert "You scored 2.67 of 8 points: 33.38%" in page
    answered = OutboxStatement.objects.get(verb="answered").statement["result"]
    failed = OutboxStatement.objects.get(verb="failed").statement["result"]
    assert answered["score"] == {"raw": 2.67, "min": 0.0, "max": 8.0, "scaled": 0.3338}
    assert answered["success"] is False
    assert failed["score"] == {"raw": 2.67, "min": 0.0, "max": 8.0, "scaled": 0.3338}


def test_a_rescoring_without_a_grade_change_is_one_statement_however_often_it_is_told(now):
    """A rule that changes a result without recording a grade change: its statement is named
    by the result, so the same rescoring told twice, later, is still one statement."""
    from assessments.models import Response
    from assessments.services import attempt_rescore
    from assessments.tests.test_regrade import sit
    from courseware.events import Event
    from tests.factories import CourseFactory, QuizFactory, UserFactory, single_question
    from xapi.outbox import event_record

    exam = QuizFactory(final=True, course=CourseFactory(), pass_mark=50)
    single_question(quiz=exam, choices=[("Rome", 100), ("Paris", 0)])
    learner = UserFactory()
    attempt = sit(learner, exam, ["Paris"], now=now)
    Response.objects.filter(attempt=attempt).update(score=1, is_correct=True)

    attempt_rescore(attempt=attempt)
    event_record(Event.ATTEMPT_RESCORED, {"attempt_id": attempt.pk, "learner_id": learner.pk})

    assert list(OutboxStatement.objects.filter(verb="passed").values_list("verb", flat=True)) == [
        "passed"
    ]
    Response.objects.filter(attempt=attempt).update(score=0, is_correct=False)
    attempt_rescore(attempt=attempt)  # another result: another statement
    assert OutboxStatement.objects.filter(verb="failed").count() == 2
