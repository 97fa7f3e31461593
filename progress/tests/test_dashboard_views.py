"""The learner's dashboard, through the Django test client."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from lessons.models import Status
from progress import services
from progress.services import enrollment_create, lesson_complete, quiz_attempt_start
from tests.factories import LessonFactory, ModuleFactory, UserFactory, course_with_modules

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


def lessons_of(course):
    return list(course.lessons.order_by("module__position", "position"))


def modules_of(course):
    return list(course.modules.order_by("position"))


def resume_link(url: str, title: str) -> str:
    return f'href="{url}">Resume <span class="visually-hidden">{title}</span></a>'


def test_the_dashboard_needs_a_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_learner_enrolled_nowhere_is_pointed_to_the_catalogue(client, learner):
    client.force_login(learner)

    page = client.get(DASHBOARD).content.decode()

    assert "<h1" in page and "My learning</h1>" in page
    assert "You are not enrolled in any course yet." in page
    assert f'href="{reverse("catalogue")}">Browse the courses</a>' in page


def test_the_dashboard_lists_only_the_learners_own_published_courses(client, learner):
    mine = course_with_modules(title="Naval diplomacy")
    theirs = course_with_modules(title="Defence attachés")
    course_with_modules(title="Not enrolled anywhere")
    withdrawn = course_with_modules(title="Withdrawn course")
    enrollment_create(learner=learner, course=mine)
    enrollment_create(learner=learner, course=withdrawn)
    enrollment_create(learner=UserFactory(), course=theirs)
    withdrawn.status = Status.ARCHIVED
    withdrawn.save()
    client.force_login(learner)

    page = client.get(DASHBOARD).content.decode()

    assert f'<a href="{mine.get_absolute_url()}">Naval diplomacy</a>' in page
    assert "Defence attachés" not in page
    assert "Not enrolled anywhere" not in page
    assert "Withdrawn course" not in page


def test_a_card_shows_percent_lessons_modules_and_every_quiz_score(
    client, learner, now, take_quiz, complete_module
):
    course = course_with_modules(modules=2, lessons=2, title="Regional security")
    first, second = modules_of(course)
    enrollment_create(learner=learner, course=course)
    complete_module(learner, first, now=now)
    take_quiz(learner, second.quiz, now=now, right=False)
    client.force_login(learner)

    page = client.get(DASHBOARD).content.decode()

    # Steps: 4 lessons, 2 quizzes and the final exam; done: 2 lessons and quiz 1.
    assert "<strong>42% complete</strong>" in page
    assert "2 of 4 lessons read" in page
    assert "1 of 2 modules complete" in page
    assert (
        'Quiz 1: <strong>100%</strong> <span class="state-done text-nowrap">✓ passed</span>'
        in page
    )
    assert (
        'Quiz 2: <strong>0%</strong> <span class="text-nowrap">(70% needed to pass)</span>' in page
    )
    assert "Final exam: <strong>not attempted</strong>" in page


def test_what_changes_in_the_learners_courses_shows_on_the_next_visit(client, learner, now):
    """The enrolments are cached: a renamed, withdrawn or new course, and the latest activity
    (which decides the order of the cards), must still show at once."""
    naval, attaches = (course_with_modules(title=title) for title in ("Naval", "Attachés"))
    enrollment_create(learner=learner, course=naval)
    client.force_login(learner)
    assert "Naval</a>" in client.get(DASHBOARD).content.decode()

    enrollment_create(learner=learner, course=attaches)
    lesson_complete(learner=learner, lesson=lessons_of(attaches)[0], now=now)
    page = client.get(DASHBOARD).content.decode()
    assert page.index("Attachés</a>") < page.index("Naval</a>")  # the latest activity first

    later = now + timedelta(hours=2)
    lesson_complete(learner=learner, lesson=lessons_of(naval)[0], now=now + timedelta(hours=1))
    page = client.get(DASHBOARD).content.decode()
    assert page.index("Naval</a>") < page.index("Attachés</a>")
    assert "(3 March 2025, 10:00)</time>" in page
    quiz_attempt_start(learner=learner, quiz=attaches.quizzes.get(kind="final"), now=later)
    page = client.get(DASHBOARD).content.decode()
    assert page.index("Attachés</a>") < page.index("Naval</a>")
    assert "(3 March 2025, 11:00)</time>" in page

    naval.title = "Naval diplomacy"
    naval.save()
    attaches.status = Status.ARCHIVED
    attaches.save()
    page = client.get(DASHBOARD).content.decode()
    assert "Naval diplomacy</a>" in page
    assert "Attachés" not in page

    attaches.status = Status.PUBLISHED
    attaches.save()
    assert "Attachés</a>" in client.get(DASHBOARD).content.decode()


def test_a_dashboard_read_while_an_attempt_starts_does_not_keep_the_old_activity(
    client, learner, now, monkeypatch
):
    """Starting an attempt saves it (the learner's version moves) and then writes the last
    activity with update(), which sends no signal: a dashboard asked for in between, from a
    second tab, must not keep the old time under the new version."""
    course = course_with_modules(modules=1, lessons=1)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    started = services.attempt_start

    def start_then_look(**kwargs):
        attempt = started(**kwargs)
        client.get(DASHBOARD)  # the other tab, before the activity is written
        return attempt

    monkeypatch.setattr(services, "attempt_start", start_then_look)
    quiz_attempt_start(learner=learner, quiz=modules_of(course)[0].quiz, now=now)

    assert (
        'Last activity <time datetime="2025-03-03T09:00:00+00:00">'
        in client.get(DASHBOARD).content.decode()
    )


def test_last_activity_is_shown_relative_and_exact(client, learner, now):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=lessons_of(course)[0], now=now)
    client.force_login(learner)

    page = client.get(DASHBOARD).content.decode()

    assert 'Last activity <time datetime="2025-03-03T09:00:00+00:00">' in page
    assert "ago (3 March 2025, 09:00)</time>" in page


def test_resume_leads_to_the_next_lesson_then_to_the_quiz(client, learner, now):
    course = course_with_modules(modules=1, lessons=2, title="Attaché work")
    first, second = lessons_of(course)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    assert (
        resume_link(first.get_absolute_url(), "Attaché work")
        in client.get(DASHBOARD).content.decode()
    )

    lesson_complete(learner=learner, lesson=first, now=now)
    assert (
        resume_link(second.get_absolute_url(), "Attaché work")
        in client.get(DASHBOARD).content.decode()
    )

    lesson_complete(learner=learner, lesson=second, now=now)
    quiz = modules_of(course)[0].quiz
    page = client.get(DASHBOARD).content.decode()
    assert resume_link(quiz.get_absolute_url(), "Attaché work") in page
    assert f"Next: {quiz.title}" in page


def test_the_certificate_link_appears_only_once_the_course_is_complete(
    client, learner, now, take_quiz, complete_module
):
    course = course_with_modules(modules=1, lessons=1)
    enrollment_create(learner=learner, course=course)
    complete_module(learner, modules_of(course)[0], now=now)
    client.force_login(learner)
    certificate_link = f'href="{reverse("certificate_mine", args=[course.slug])}"'

    page = client.get(DASHBOARD).content.decode()
    assert certificate_link not in page
    assert "View certificate" not in page

    take_quiz(learner, course.quizzes.get(kind="final"), now=now)
    page = client.get(DASHBOARD).content.decode()
    assert certificate_link in page
    assert ">View certificate</a>" in page
    assert "<strong>100% complete</strong>" in page
    assert ">Resume" not in page


def test_query_count_is_fixed_per_course_whatever_its_length_learners_or_attempts(
    client, learner, now, take_quiz, django_assert_num_queries
):
    client.force_login(learner)
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    # Session, user, enrolments; then for each course the outline's 3 and the learner's 3;
    # once cached, the session and the user alone.
    with django_assert_num_queries(3 + 6):
        client.get(DASHBOARD)
    with django_assert_num_queries(2):
        client.get(DASHBOARD)

    for position in range(2, 6):
        module = ModuleFactory(course=course, position=position)
        for _ in range(4):
            LessonFactory(module=module)
    for lesson in lessons_of(course)[:1]:
        lesson_complete(learner=learner, lesson=lesson, now=now)
    quiz = modules_of(course)[0].quiz
    for _ in range(3):  # the next step is now a quiz, with attempts behind it
        take_quiz(learner, quiz, now=now, right=False)
    for other in UserFactory.create_batch(3):
        enrollment_create(learner=other, course=course)
        take_quiz(other, quiz, now=now)
    cache.clear()
    with django_assert_num_queries(3 + 6):
        page = client.get(DASHBOARD)
    with django_assert_num_queries(2):
        client.get(DASHBOARD)
    assert resume_link(quiz.get_absolute_url(), course.title) in page.content.decode()

    enrollment_create(learner=learner, course=course_with_modules(modules=3, lessons=3))
    cache.clear()
    with django_assert_num_queries(3 + 6 * 2):
        client.get(DASHBOARD)
    with django_assert_num_queries(2):
        client.get(DASHBOARD)


def cache_reads(client) -> int:
    """How many times a visit to the dashboard reads the cache: each read is a round trip to
    Redis in production. (Every read goes through ``get_many``; the local cache of the tests
    answers it with a ``get`` per key, which is why ``get`` is not counted.)"""
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        assert client.get(DASHBOARD).status_code == 200
    return get_many.call_count


def test_a_learner_in_three_courses_waits_on_the_cache_no_more_than_one_in_a_single_course(
    client, learner
):
    client.force_login(learner)
    enrollment_create(learner=learner, course=course_with_modules(modules=2, lessons=2))
    client.get(DASHBOARD)
    one_course = cache_reads(client)
    for _ in range(2):
        enrollment_create(learner=learner, course=course_with_modules(modules=2, lessons=2))
    client.get(DASHBOARD)
    # The versions, the enrolments, the courses' content versions, their outlines and states.
    assert cache_reads(client) == one_course == 4
