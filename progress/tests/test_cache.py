"""Learner pages read the course outline and the learner's progress from the cache: whatever
an instructor edits, or a learner does, shows on the next page all the same."""

import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from assessments.course_io import course_import
from lessons.models import Lesson, Status
from lessons.services import SyncReport, content_remove
from lessons.tests.test_admin import form_data
from progress.cache import content_version_key, learner_version_key
from progress.models import LessonCompletion
from progress.selectors import outline_cache_key
from progress.services import enrollment_create, lesson_complete
from tests.factories import UserFactory, course_with_modules
from tests.test_course_import import edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return course_with_modules(modules=2, lessons=2, final_exam=False)


def first_lesson(course) -> Lesson:
    return Lesson.objects.get(course=course, module__position=1, position=1)


def module_quiz(course, position=1):
    return course.modules.get(position=position).quiz


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_lesson_renamed_in_the_admin_shows_at_once(client, admin_user, learner, course):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)
    assert "Lesson 1.1" in page(client, course.get_absolute_url())
    assert "Lesson 1.1" in page(client, lesson.get_absolute_url())  # the contents

    client.force_login(admin_user)
    change = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    client.post(change, form_data(client.get(change)) | {"title": "Opening the channels"})
    client.force_login(learner)

    for url in (course.get_absolute_url(), lesson.get_absolute_url()):
        shown = page(client, url)
        assert "Opening the channels" in shown and "Lesson 1.1" not in shown


def test_a_lesson_archived_by_an_admin_action_leaves_the_pages_at_once(
    client, admin_user, learner, course
):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)
    assert "Lesson 1.1" in page(client, course.get_absolute_url())

    client.force_login(admin_user)
    client.post(
        reverse("admin:lessons_lesson_changelist"),
        {"action": "archive", "_selected_action": [lesson.pk]},
    )
    client.force_login(learner)

    assert "Lesson 1.1" not in page(client, course.get_absolute_url())
    assert client.get(lesson.get_absolute_url()).status_code == 404


def test_a_lesson_archived_because_learners_read_it_leaves_the_pages_at_once(
    client, learner, course
):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    lesson_complete(learner=learner, lesson=lesson)
    client.force_login(learner)
    assert "1 of 4 lessons read" in page(client, course.get_absolute_url())

    content_remove(lesson, report=SyncReport(), kind="lessons")

    shown = page(client, course.get_absolute_url())
    assert "Lesson 1.1" not in shown and "0 of 3 lessons read" in shown


def test_a_pass_mark_changed_in_the_admin_shows_at_once(client, admin_user, learner, course):
    enrollment_create(learner=learner, course=course)
    quiz = module_quiz(course)
    client.force_login(learner)
    assert f"{quiz.pass_mark}% needed to pass" in page(client, course.get_absolute_url())

    client.force_login(admin_user)
    change = reverse("admin:assessments_quiz_change", args=[quiz.pk])
    client.post(change, form_data(client.get(change)) | {"pass_mark": "93"})
    client.force_login(learner)

    assert "93% needed to pass" in page(client, course.get_absolute_url())
    assert "93%" in page(client, quiz.get_absolute_url())


def test_a_reimported_course_folder_shows_at_once(client, learner, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(settings.BASE_DIR / "fixtures" / "military-diplomacy", folder)
    course, _ = course_import(folder)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    shown = page(client, course.get_absolute_url())
    assert (
        'Module 1: <span lang="en">Foundations</span><' in shown and "70% needed to pass" in shown
    )

    foundations = folder / "modules" / "foundations.md"
    edit(foundations, "title: Foundations\n", "title: Foundations of trust\n")
    edit(foundations, "pass_mark: 70", "pass_mark: 85")
    course_import(folder)

    shown = page(client, course.get_absolute_url())
    assert 'Module 1: <span lang="en">Foundations of trust</span><' in shown
    assert "85% needed to pass" in shown


def test_what_a_learner_does_shows_at_once(client, learner, course, now, take_quiz):
    client.force_login(learner)
    assert ">Enrol</button>" in page(client, course.get_absolute_url())

    client.post(reverse("course_enrol", args=[course.slug]))
    assert "0 of 4 lessons read" in page(client, course.get_absolute_url())

    lesson = first_lesson(course)
    client.post(reverse("lesson_complete", args=[course.slug, lesson.slug]))
    assert "1 of 4 lessons read" in page(client, course.get_absolute_url())
    assert "You have completed this lesson" in page(client, lesson.get_absolute_url())

    take_quiz(learner, module_quiz(course), now=now, right=False)
    assert "Best 0%" in page(client, course.get_absolute_url())
    assert "Quiz 1: <strong>0%</strong>" in page(client, reverse("dashboard"))
    take_quiz(learner, module_quiz(course), now=now)
    assert "Passed with 100%" in page(client, course.get_absolute_url())


def test_one_learners_progress_is_not_anothers(client, learner, course):
    other = UserFactory()
    for person in (learner, other):
        enrollment_create(learner=person, course=course)
    lesson_complete(learner=learner, lesson=first_lesson(course))
    client.force_login(learner)
    shown = page(client, course.get_absolute_url())
    assert "1 of 4 lessons read" in shown and "✓ Read" in shown

    client.force_login(other)
    shown = page(client, course.get_absolute_url())
    assert "0 of 4 lessons read" in shown and "✓ Read" not in shown


def test_anonymous_visitors_cost_no_learner_queries(client, course, django_assert_num_queries):
    # The course; then the outline's three until it is cached.
    with django_assert_num_queries(1 + 3):
        client.get(course.get_absolute_url())
    with django_assert_num_queries(1):
        shown = page(client, course.get_absolute_url())
    assert ">Enrol</button>" in shown and "Lesson 2.2" in shown


def test_a_version_lost_from_the_cache_is_made_anew(client, learner, course, now):
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    cache.delete(learner_version_key(learner.pk))  # evicted, as Redis may
    assert "0 of 4 lessons read" in page(client, course.get_absolute_url())

    # Written without signals, as a bulk load does; then the version is evicted again: the
    # entry cached under the version made up last time must not come back.
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(learner=learner, lesson=first_lesson(course), completed_at=now)]
    )
    cache.delete(learner_version_key(learner.pk))

    assert "1 of 4 lessons read" in page(client, course.get_absolute_url())


def test_a_version_moves_again_when_the_edit_commits(
    client, learner, course, django_capture_on_commit_callbacks
):
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    page(client, course.get_absolute_url())
    before = cache.get(content_version_key(course.pk))
    with django_capture_on_commit_callbacks(execute=True):
        lesson = first_lesson(course)
        lesson.title = "Renamed"
        lesson.save()
        # Another request, reading before the commit, stores the old outline under the
        # version the save just set.
        during = cache.get(content_version_key(course.pk))
        old = cache.get(outline_cache_key(course.pk, before))
        cache.set(outline_cache_key(course.pk, during), old)

    assert "Renamed" in page(client, course.get_absolute_url())


def test_a_lesson_body_edited_in_the_admin_shows_on_its_page_at_once(
    client, admin_user, learner, course
):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)
    for _ in range(2):  # the lesson and its body are cached once read
        assert "The ship’s log" not in page(client, lesson.get_absolute_url())

    client.force_login(admin_user)
    change = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    client.post(change, form_data(client.get(change)) | {"body": "The ship’s log, read aloud."})
    client.force_login(learner)

    assert "The ship’s log, read aloud." in page(client, lesson.get_absolute_url())


def test_a_lesson_moved_saved_or_unpublished_shows_on_its_page_at_once(client, learner, course):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)
    page(client, lesson.get_absolute_url())
    page(client, lesson.get_absolute_url())

    lesson.body = "Written again."
    lesson.module = course.modules.get(position=2)
    lesson.save()
    shown = page(client, lesson.get_absolute_url())
    assert "Written again." in shown and ">Module 2</li>" in shown

    lesson.module.status = Status.DRAFT
    lesson.module.save()
    assert client.get(lesson.get_absolute_url()).status_code == 404
    lesson.module.status = Status.PUBLISHED
    lesson.module.save()
    lesson.status = Status.DRAFT
    lesson.save()
    assert client.get(lesson.get_absolute_url()).status_code == 404


def test_a_course_unpublished_or_given_another_address_shows_on_its_lesson_pages_at_once(
    client, learner, course
):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    old_url = lesson.get_absolute_url()
    client.force_login(learner)
    page(client, old_url)
    page(client, old_url)

    course.status = Status.DRAFT
    course.save()
    assert client.get(old_url).status_code == 404

    course.status = Status.PUBLISHED
    course.slug = "renamed"
    course.save()
    assert client.get(old_url).status_code == 404
    assert "Lesson 1.1" in page(client, reverse("lesson_detail", args=["renamed", lesson.slug]))

    # Another course takes the old address: its lessons, not the renamed course's.
    other = course_with_modules(modules=1, lessons=1, final_exam=False, slug=old_url.split("/")[2])
    enrollment_create(learner=learner, course=other)
    assert client.get(old_url).status_code == 404
    assert other.title in page(client, first_lesson(other).get_absolute_url())


def test_a_lesson_page_read_again_makes_no_lesson_query(
    client, learner, course, django_assert_num_queries
):
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)
    page(client, lesson.get_absolute_url())
    page(client, lesson.get_absolute_url())

    # The session and the user; the savepoint around the launch's listener and its release
    # (the test's transaction makes it a savepoint: in autocommit it costs no query).
    with django_assert_num_queries(2 + 2) as queries:
        shown = page(client, lesson.get_absolute_url())
    assert not [query for query in queries.captured_queries if "lessons_" in query["sql"]]
    assert "Lesson 1.1" in shown and 'class="lesson-body"' in shown
