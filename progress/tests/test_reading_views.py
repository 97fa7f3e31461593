"""The catalogue, course page and lesson reader, through the Django test client."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from lessons.models import Previews, Status
from progress.models import Enrollment, LessonCompletion
from progress.selectors import course_progress_for_learner
from progress.services import enrollment_create, lesson_complete
from tests.factories import CourseFactory, LessonFactory, UserFactory, course_with_modules

pytestmark = pytest.mark.django_db


def first_lesson(course):
    return course.lessons.order_by("module__position", "position").first()


def test_catalogue_lists_published_courses_with_counts_and_own_courses_first(client, learner):
    mine = course_with_modules(modules=2, lessons=3, title="Zulu course")
    other = course_with_modules(modules=1, lessons=1, title="Alpha course")
    CourseFactory(title="Hidden draft", status=Status.DRAFT)
    enrollment_create(learner=learner, course=mine)
    lesson_complete(learner=learner, lesson=first_lesson(mine))
    client.force_login(learner)

    page = client.get("/").content.decode()

    assert "Hidden draft" not in page
    assert page.index("Zulu course") < page.index("Alpha course")  # own courses first
    assert "2 modules · 6 lessons" in page
    assert "1 of 6 lessons read" in page
    assert other.title in page


def test_catalogue_counts_the_lessons_read_as_the_course_page_does(client, learner):
    """A lesson read, then drafted or left in a drafted module, no longer counts anywhere."""
    course = course_with_modules(modules=2, lessons=2, title="Zulu course")
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson)
    first, second = course.modules.order_by("position")
    drafted = first.lessons.order_by("position").first()
    drafted.status = Status.DRAFT
    drafted.save()
    second.status = Status.DRAFT
    second.save()
    client.force_login(learner)

    card = client.get("/").content.decode()
    progress = course_progress_for_learner(learner=learner, course=course)

    assert (progress.lessons_done, progress.lessons_total) == (1, 1)
    assert "1 of 1 lesson read" in card


def test_catalogue_query_count_does_not_grow_with_courses_or_lessons(
    client, learner, django_assert_num_queries
):
    client.force_login(learner)
    course_with_modules(modules=1, lessons=1)
    with django_assert_num_queries(3):  # session, user, courses with every count
        client.get("/")
    for _ in range(3):
        course = course_with_modules(modules=3, lessons=4)
        enrollment_create(learner=learner, course=course)
    with django_assert_num_queries(3):
        client.get("/")


def test_course_page_offers_enrol_then_start_then_resume(client, learner):
    course = course_with_modules(modules=2, lessons=2)
    client.force_login(learner)
    url = course.get_absolute_url()

    assert b">Enrol</button>" in client.get(url).content

    response = client.post(reverse("course_enrol", args=[course.slug]), follow=True)
    assert Enrollment.objects.filter(learner=learner, course=course).exists()
    assert "You are enrolled" in response.content.decode()
    assert ">Start<" in client.get(url).content.decode()

    lesson_complete(learner=learner, lesson=first_lesson(course))
    page = client.get(url).content.decode()
    assert ">Resume<" in page
    assert "Next: Lesson 1.2" in page


def test_anonymous_visitor_sees_the_syllabus_and_is_sent_to_log_in_to_enrol(client):
    course = course_with_modules(modules=2, lessons=2)

    assert "Lesson 2.1" in client.get(course.get_absolute_url()).content.decode()
    response = client.post(reverse("course_enrol", args=[course.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_draft_course_is_not_found(client, learner):
    course = CourseFactory(status=Status.DRAFT)
    client.force_login(learner)

    assert client.get(course.get_absolute_url()).status_code == 404


def test_course_page_says_why_a_module_is_locked(client, learner):
    course = course_with_modules(modules=2, lessons=2, sequential=True)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    page = client.get(course.get_absolute_url()).content.decode()

    assert "Locked" in page
    assert "Opens when you complete “Module 1”" in page
    assert "Read “Lesson 1.1” and 1 more lesson" in page


def test_lesson_page_shows_the_body_with_passage_anchors_and_navigation(client, learner):
    course = course_with_modules(modules=1, lessons=3)
    enrollment_create(learner=learner, course=course)
    lesson = course.lessons.get(title="Lesson 1.2")
    client.force_login(learner)

    page = client.get(lesson.get_absolute_url()).content.decode()

    assert '<p id="passage-1">First passage.</p>' in page
    assert "Previous: Lesson 1.1" in page
    assert "Complete and continue" in page


def ways_forward(page: str) -> dict[str, list[str]]:
    """The buttons and button-styled links of the lesson's column, primary or not, by label."""
    column = page.split('<div class="col-lg-8">')[1].split("</main>")[0]
    found = {"primary": [], "other": []}
    for _tag, classes, label in re.findall(
        r'<(a|button)\b[^>]*class="(btn [^"]*)"[^>]*>\s*([^<]*?)\s*</\1>', column, re.S
    ):
        found["primary" if "btn-primary" in classes.split() else "other"].append(label)
    return found


def test_a_lesson_has_one_primary_way_forward_and_no_duplicate(client, learner):
    course = course_with_modules(modules=1, lessons=3)
    enrollment_create(learner=learner, course=course)
    lesson = course.lessons.get(title="Lesson 1.2")
    client.force_login(learner)

    unread = ways_forward(client.get(lesson.get_absolute_url()).content.decode())
    client.post(reverse("lesson_complete", args=[course.slug, lesson.slug]))
    read = ways_forward(client.get(lesson.get_absolute_url()).content.decode())

    assert unread == {
        "primary": ["Complete and continue"],
        "other": ["Mark as complete", "← Previous: Lesson 1.1"],
    }
    assert read == {
        "primary": ["Next lesson: Lesson 1.3"],
        "other": ["← Previous: Lesson 1.1"],
    }


def test_a_table_keeps_its_column_alignment_under_the_content_security_policy(client, learner):
    course = course_with_modules(modules=1, lessons=1)
    enrollment_create(learner=learner, course=course)
    lesson = course.lessons.get()
    lesson.body = (
        "| Country | Capital | Population |\n|:--|:-:|--:|\n| Finland | Helsinki | 5.6 M |"
    )
    lesson.save()
    client.force_login(learner)

    response = client.get(lesson.get_absolute_url())

    # Inline styles are dropped by the browser under this policy; classes are not.
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    table = response.content.decode().split('<table id="passage-1">')[1].split("</table>")[0]
    assert "style=" not in table
    assert [*re.findall(r'<td class="([^"]+)">', table)] == [
        "text-start",
        "text-center",
        "text-end",
    ]
    assert '<th class="text-end">Population</th>' in table


def test_a_lesson_that_is_no_open_preview_needs_enrolment(client, learner):
    course = course_with_modules(modules=1, lessons=2)
    client.force_login(learner)

    response = client.get(course.lessons.get(title="Lesson 1.2").get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == course.get_absolute_url()


def test_locked_lesson_cannot_be_opened_or_completed_by_url(client, learner):
    course = course_with_modules(modules=2, lessons=1, sequential=True)
    enrollment_create(learner=learner, course=course)
    locked = course.lessons.get(title="Lesson 2.1")
    client.force_login(learner)

    page = client.get(locked.get_absolute_url())
    assert page.status_code == 403
    assert "Opens when you complete “Module 1”" in page.content.decode()

    response = client.post(reverse("lesson_complete", args=[course.slug, locked.slug]))
    assert response.status_code == 403
    assert not LessonCompletion.objects.filter(lesson=locked).exists()


def test_draft_lesson_is_not_found(client, learner):
    course = course_with_modules(modules=1, lessons=1)
    draft = LessonFactory(module=course.modules.get(), status=Status.DRAFT)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_published_lesson_of_a_draft_module_is_not_found_until_the_module_is_published(
    client, learner
):
    course = course_with_modules(modules=2, lessons=1)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    module = course.modules.order_by("position").last()
    lesson = module.lessons.get()
    module.status = Status.DRAFT
    module.save()

    assert client.get(lesson.get_absolute_url()).status_code == 404

    module.status = Status.PUBLISHED
    module.save()
    page = client.get(lesson.get_absolute_url())
    assert page.status_code == 200
    assert module.title in page.content.decode()  # the breadcrumb names the module


def test_mark_as_complete_without_javascript_redirects_back_with_a_message(client, learner):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)

    response = client.post(
        reverse("lesson_complete", args=[course.slug, lesson.slug]), follow=True
    )

    assert LessonCompletion.objects.filter(learner=learner, lesson=lesson).count() == 1
    page = response.content.decode()
    assert "marked as complete" in page
    assert "You have completed this lesson" in page


def test_complete_and_continue_goes_to_the_next_lesson_then_the_module_quiz(client, learner):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    first, second = course.lessons.order_by("position")
    client.force_login(learner)
    url = reverse("lesson_complete", args=[course.slug, first.slug])

    response = client.post(url, {"then": "continue"})
    assert response["Location"] == second.get_absolute_url()

    response = client.post(reverse("lesson_complete", args=[course.slug, second.slug]),
                           {"then": "continue"})  # fmt: skip
    assert response["Location"] == course.modules.get().quiz.get_absolute_url()


def test_mark_as_complete_with_htmx_returns_the_panel_and_fresh_contents(client, learner):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    lesson = first_lesson(course)
    client.force_login(learner)

    response = client.post(
        reverse("lesson_complete", args=[course.slug, lesson.slug]), headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "You have completed this lesson" in page
    assert 'id="course-toc"' in page and 'hx-swap-oob="true"' in page
    assert "1 of 2 lessons read" in page


def test_lesson_page_query_count_is_fixed(client, django_assert_num_queries):
    learner = UserFactory()
    small = course_with_modules(modules=1, lessons=1)
    large = course_with_modules(modules=4, lessons=5)
    for course in (small, large):
        enrollment_create(learner=learner, course=course)
        lesson_complete(learner=learner, lesson=first_lesson(course))
    client.force_login(learner)

    for course in (small, large):
        url = first_lesson(course).get_absolute_url()
        cache.clear()
        # Session, user, the lesson with its course; then the outline's 3 and the learner's 3
        # once cached; the savepoint around the launch's listener and its release (the test's
        # transaction makes it a savepoint: in autocommit it costs no query).
        with django_assert_num_queries(3 + 3 + 3 + 2):
            client.get(url)
        with django_assert_num_queries(3 + 2):
            client.get(url)
        # The lesson, its body and its course are cached too once read again.
        with django_assert_num_queries(2 + 2):
            client.get(url)


def test_course_page_query_count_is_fixed(client, django_assert_num_queries):
    learner = UserFactory()
    small = course_with_modules(modules=1, lessons=1)
    large = course_with_modules(modules=4, lessons=5)
    client.force_login(learner)
    for course in (small, large):
        enrollment_create(learner=learner, course=course)
        for other in UserFactory.create_batch(3):
            enrollment_create(learner=other, course=course)
        cache.clear()
        # Session, user, course; then the outline's 3 and the learner's 3 once cached; the
        # savepoint around the launch's listener and its release.
        with django_assert_num_queries(3 + 3 + 3 + 2):
            client.get(course.get_absolute_url())
        with django_assert_num_queries(3 + 2):
            client.get(course.get_absolute_url())


def preview_setup():
    course = course_with_modules(modules=1, lessons=2, status=Status.DRAFT)
    draft = LessonFactory(module=course.modules.get(), status=Status.DRAFT, title="Draft lesson")
    instructor = UserFactory(is_staff=True)
    course.instructors.add(instructor)
    return course, draft, instructor


def test_instructors_preview_their_draft_course_and_lessons_without_recording_anything(client):
    course, draft, instructor = preview_setup()
    client.force_login(instructor)

    page = client.get(f"{course.get_absolute_url()}?preview=1")
    assert page.status_code == 200
    assert "Preview." in page.content.decode()
    assert ">Enrol</button>" not in page.content.decode()

    lesson_page = client.get(f"{draft.get_absolute_url()}?preview=1")
    assert lesson_page.status_code == 200
    assert "this lesson draft" in lesson_page.content.decode()
    assert "Mark as complete" not in lesson_page.content.decode()
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("who", ["other instructor", "staff", "learner"])
def test_nobody_else_can_preview_a_draft(client, who):
    course, draft, _ = preview_setup()
    other = UserFactory(is_staff=who != "learner")
    if who == "other instructor":
        course_with_modules(modules=1, lessons=1).instructors.add(other)
    client.force_login(other)

    assert client.get(f"{course.get_absolute_url()}?preview=1").status_code == 404
    assert client.get(f"{draft.get_absolute_url()}?preview=1").status_code == 404


def test_without_the_preview_flag_the_instructor_sees_what_learners_see(client):
    course, draft, instructor = preview_setup()
    client.force_login(instructor)

    assert client.get(course.get_absolute_url()).status_code == 404
    assert client.get(draft.get_absolute_url()).status_code == 404


# --- Open previews: lessons anyone may read before enrolling -------------------------------


def open_preview_course(**fields):
    """A course whose first lesson is an open preview by default and whose Lesson 2.1 is
    marked one; Lesson 1.2 is not."""
    course = course_with_modules(modules=2, lessons=2, **fields)
    course.lessons.filter(title="Lesson 2.1").update(is_preview=True)
    return course


def test_a_visitor_reads_the_open_previews_with_a_call_to_enrol_and_nothing_recorded(client):
    course = open_preview_course()

    for title, position in (("Lesson 1.1", 1), ("Lesson 2.1", 3)):
        response = client.get(course.lessons.get(title=title).get_absolute_url())
        page = response.content.decode()
        assert response.status_code == 200, title
        assert '<p id="passage-1">First passage.</p>' in page
        assert ways_forward(page) == {"primary": ["Enrol to continue"], "other": []}
        assert f"Lesson {position} of 4 · open preview" in page
        assert 'role="progressbar"' not in page
    assert not LessonCompletion.objects.exists()
    assert not Enrollment.objects.exists()


def test_a_visitor_is_asked_to_log_in_for_any_other_lesson(client):
    course = open_preview_course()
    url = course.lessons.get(title="Lesson 1.2").get_absolute_url()

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_a_learner_not_enrolled_reads_an_open_preview_but_cannot_mark_it_read(client, learner):
    course = open_preview_course()
    lesson = course.lessons.get(title="Lesson 2.1")
    client.force_login(learner)

    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "Enrol to continue" in page and "Complete and continue" not in page
    response = client.post(reverse("lesson_complete", args=[course.slug, lesson.slug]))

    assert response.status_code == 403
    assert not LessonCompletion.objects.exists()


def test_an_enrolled_learner_reads_an_open_preview_of_a_locked_module_without_marking_it(
    client, learner
):
    course = open_preview_course(sequential=True)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    page = client.get(course.lessons.get(title="Lesson 2.1").get_absolute_url()).content.decode()

    assert "Opens when you complete “Module 1”" in page
    assert "Complete and continue" not in page and "Enrol to continue" not in page


def test_a_draft_is_never_an_open_preview(client):
    course = open_preview_course()
    marked = course.lessons.get(title="Lesson 2.1")
    marked.status = Status.DRAFT
    marked.save()
    first = course.lessons.get(title="Lesson 1.1")
    first.status = Status.DRAFT
    first.save()

    assert client.get(marked.get_absolute_url()).status_code == 404
    assert client.get(first.get_absolute_url()).status_code == 404
    # The first lesson a learner sees is the one open by default.
    assert client.get(course.lessons.get(title="Lesson 1.2").get_absolute_url()).status_code == 200


def test_the_course_page_links_a_visitor_to_the_open_previews_without_learner_states(client):
    course = open_preview_course(sequential=True)

    page = client.get(course.get_absolute_url()).content.decode()

    linked = re.findall(r'<a href="/courses/[^"]+/lessons/[^"]+/">([^<]+)</a>', page)
    assert linked == ["Lesson 1.1", "Lesson 2.1"]
    assert page.count("Open preview</span>") == 2
    first_url = first_lesson(course).get_absolute_url()
    assert f'href="{first_url}">Read the first lesson' in page
    for enrolled_only in ("Not started", "Locked", "In progress", "Opens when you complete"):
        assert enrolled_only not in page


def test_a_course_can_open_only_the_lessons_it_marks(client):
    course = open_preview_course(previews=Previews.MARKED)
    first = course.lessons.get(title="Lesson 1.1")

    response = client.get(first.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(course.lessons.get(title="Lesson 2.1").get_absolute_url()).status_code == 200

    page = client.get(course.get_absolute_url()).content.decode()
    linked = re.findall(r'<a href="/courses/[^"]+/lessons/[^"]+/">([^<]+)</a>', page)
    assert linked == ["Lesson 2.1"]
    assert "Read the first lesson" not in page
    assert "Read an open preview" in page


def test_a_course_that_marks_none_opens_none(client):
    course = course_with_modules(modules=1, lessons=2, previews=Previews.MARKED)

    page = client.get(course.get_absolute_url()).content.decode()

    assert "/lessons/" not in page
    assert "Open preview" not in page and "Read an open preview" not in page
    assert client.get(first_lesson(course).get_absolute_url()).status_code == 302


def test_the_first_lesson_opens_again_when_the_course_says_so(client):
    course = open_preview_course(previews=Previews.MARKED)
    url = course.lessons.get(title="Lesson 1.1").get_absolute_url()
    assert client.get(url).status_code == 302

    course.previews = Previews.FIRST
    course.save()  # the outline in the cache follows the course

    assert client.get(url).status_code == 200


def test_an_enrolled_learner_keeps_the_states_and_no_preview_badges(client, learner):
    course = open_preview_course(sequential=True)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    page = client.get(course.get_absolute_url()).content.decode()

    assert "Not started" in page and "Locked" in page
    assert "Open preview" not in page


def test_an_open_preview_costs_a_visitor_one_query_once_the_outline_is_cached(
    client, django_assert_num_queries
):
    for course in (open_preview_course(), course_with_modules(modules=4, lessons=5)):
        url = first_lesson(course).get_absolute_url()
        cache.clear()
        # The lesson with its course; then the outline's 3 until it is cached.
        with django_assert_num_queries(1 + 3):
            client.get(url)
        with django_assert_num_queries(1):
            assert client.get(url).status_code == 200
        # The lesson with its course is cached too once read again.
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200
