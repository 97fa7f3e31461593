"""Authoring courses, modules and lessons in the admin, as an instructor and as a superuser."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from lessons.markdown import MAX_LESSON_CHARS
from lessons.models import Course, Lesson, Module, Status
from progress.models import LessonCompletion
from progress.services import enrollment_create, lesson_complete
from tests.factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(ines):
    """A course Ines teaches: one module of two lessons."""
    course = CourseFactory(title="Ines's course")
    course.instructors.add(ines)
    module = ModuleFactory(course=course, position=1)
    LessonFactory(module=module, position=1, slug="first")
    LessonFactory(module=module, position=2, slug="second")
    return course


@pytest.fixture
def theirs(otto):
    course = CourseFactory(title="Otto's course")
    course.instructors.add(otto)
    module = ModuleFactory(course=course, position=1)
    LessonFactory(module=module, position=1)
    return course


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def as_read(messages) -> list[str]:
    """Messages or form errors as a reader reads them: a file-format message inside one is
    marked up as English (``in_english``), which the reader does not see."""
    return [html.unescape(strip_tags(str(message))) for message in messages]


def form_data(response) -> dict:
    """The change form as the browser would send it back, unchanged."""
    data = {}
    for form in [response.context["adminform"].form] + [
        f for formset in response.context["inline_admin_formsets"] for f in formset.formset.forms
    ]:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = field.prepare_value(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


# --- Who sees what -----------------------------------------------------------------------------


def test_instructor_lists_only_the_courses_they_teach(client, ines, mine, theirs):
    client.force_login(ines)

    response = client.get(url("lessons_course_changelist"))

    assert list(response.context["cl"].queryset) == [mine]
    for name in ("lessons_module_changelist", "lessons_lesson_changelist"):
        listed = client.get(url(name)).context["cl"].queryset
        assert {obj.course_id for obj in listed} == {mine.pk}


def test_superuser_sees_every_course(client, admin_user, mine, theirs):
    client.force_login(admin_user)

    response = client.get(url("lessons_course_changelist"))

    assert set(response.context["cl"].queryset) == {mine, theirs}


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_instructor_cannot_open_another_instructors_content_by_url(client, ines, theirs, page):
    client.force_login(ines)
    module = theirs.modules.get()
    lesson = theirs.lessons.get()

    for name, obj in (("course", theirs), ("module", module), ("lesson", lesson)):
        response = client.get(url(f"lessons_{name}_{page}", obj.pk))
        # The admin answers as if the object did not exist.
        assert response.status_code in (302, 403, 404), (name, response.status_code)
        if response.status_code == 302:
            assert response.url == url("index")


def test_instructor_cannot_change_or_delete_another_instructors_course(client, ines, theirs):
    client.force_login(ines)

    client.post(url("lessons_course_change", theirs.pk), {"title": "Mine now", "slug": "x"})
    client.post(url("lessons_course_delete", theirs.pk), {"post": "yes"})
    client.post(
        url("lessons_course_changelist"),
        {"action": "archive", "_selected_action": [theirs.pk]},
    )
    client.post(url("lessons_lesson_delete", theirs.lessons.get().pk), {"post": "yes"})

    theirs.refresh_from_db()
    assert (theirs.title, theirs.slug, theirs.status) == (
        "Otto's course",
        theirs.slug,
        "published",
    )
    assert theirs.lessons.count() == 1


def test_instructor_cannot_see_history_of_another_instructors_lesson(client, ines, theirs):
    lesson = theirs.lessons.get()
    lesson.title = "Renamed"
    lesson.save()
    version = lesson.history.first()
    client.force_login(ines)

    assert client.get(url("lessons_lesson_history", lesson.pk)).status_code in (302, 403, 404)
    page = client.get(url("lessons_lesson_simple_history", lesson.pk, version.history_id))
    assert page.status_code == 404


def test_instructor_cannot_attach_a_module_to_another_instructors_course(
    client, ines, mine, theirs
):
    client.force_login(ines)
    add = client.get(url("lessons_module_add"))
    assert list(add.context["adminform"].form.fields["course"].queryset) == [mine]

    response = client.post(
        url("lessons_module_add"),
        {
            "course": theirs.pk,
            "title": "Sneaky",
            "slug": "sneaky",
            "position": 1,
            "objectives": "",
            "status": "published",
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "course" in response.context["adminform"].form.errors
    assert not Module.objects.filter(slug="sneaky").exists()


def test_instructor_cannot_move_a_lesson_into_another_instructors_module(
    client, ines, mine, theirs
):
    client.force_login(ines)
    lesson = mine.lessons.first()
    page = client.get(url("lessons_lesson_change", lesson.pk))
    data = form_data(page) | {"module": theirs.modules.get().pk}

    response = client.post(url("lessons_lesson_change", lesson.pk), data)

    assert "module" in response.context["adminform"].form.errors
    lesson.refresh_from_db()
    assert lesson.course == mine


# --- Authoring ---------------------------------------------------------------------------------


def test_instructor_creates_a_course_from_nothing_and_publishes_it(client, ines):
    client.force_login(ines)

    response = client.post(
        url("lessons_course_add"),
        {
            "title": "Negotiation",
            "slug": "negotiation",
            "summary": "",
            "notice": "",
            "previews": "first",
            "language": "en",
            "status": "draft",
            "modules-TOTAL_FORMS": 1,
            "modules-INITIAL_FORMS": 0,
            "modules-0-title": "Basics",
            "modules-0-slug": "basics",
            "modules-0-status": "published",
            "modules-0-position": "",
            "_continue": "1",
        },
    )

    course = Course.objects.get(slug="negotiation")
    assert response.status_code == 302
    assert response.url == url("lessons_course_change", course.pk)
    assert list(course.instructors.all()) == [ines]  # added although she did not tick herself
    assert course.modules.get().position == 1

    module = course.modules.get()
    client.post(
        url("lessons_module_change", module.pk),
        form_data(client.get(url("lessons_module_change", module.pk)))
        | {
            "lessons-TOTAL_FORMS": 1,
            "lessons-0-title": "Opening",
            "lessons-0-slug": "opening",
            "lessons-0-status": "published",
            "lessons-0-module": module.pk,
        },
    )
    assert Lesson.objects.get(slug="opening").course == course

    client.post(
        url("lessons_course_changelist"), {"action": "publish", "_selected_action": [course.pk]}
    )
    course.refresh_from_db()
    assert course.status == Status.PUBLISHED
    assert client.get(course.get_absolute_url()).status_code == 200


def test_objectives_are_edited_one_per_line(client, ines, mine):
    client.force_login(ines)
    module = mine.modules.get()
    page = client.get(url("lessons_module_change", module.pk))
    data = form_data(page) | {"objectives": "Explain trust.\r\n\r\n  Trace the history.  \r\n"}

    client.post(url("lessons_module_change", module.pk), data)

    module.refresh_from_db()
    assert module.objectives == ["Explain trust.", "Trace the history."]


def test_lessons_are_reordered_on_the_module_page(client, ines, mine):
    client.force_login(ines)
    module = mine.modules.get()
    page = client.get(url("lessons_module_change", module.pk))
    assert "sortable" in page.content.decode()  # drag and drop handles
    first, second = module.lessons.order_by("position")
    data = form_data(page)
    # The drag-and-drop script rewrites the hidden positions before submitting.
    data["lessons-0-position"], data["lessons-1-position"] = "2", "1"

    client.post(url("lessons_module_change", module.pk), data)

    assert list(module.lessons.order_by("position")) == [second, first]


def test_module_page_lists_lessons_in_the_learners_order_when_positions_tie(client, ines):
    # Lessons written on the add page all start at position 0.
    module = ModuleFactory(course=CourseFactory(), position=1)
    module.course.instructors.add(ines)
    water = LessonFactory(module=module, position=0, title="Water")
    LessonFactory(module=module, position=0, title="Hands")
    # Moved away and back: PostgreSQL's index on positions now finds Water after Hands.
    for position in (5, 0):
        Lesson.objects.filter(pk=water.pk).update(position=position)
    client.force_login(ines)

    page = client.get(url("lessons_module_change", module.pk))

    (lessons,) = page.context["inline_admin_formsets"]
    listed = [form.instance for form in lessons.formset.forms if form.instance.pk]
    assert listed == list(Lesson.objects.visible().filter(module=module))


@pytest.mark.parametrize(
    ("position", "saved", "order"),
    [("0", 3, ["first", "second", "new"]), ("1", 1, ["first", "new", "second"])],
)
def test_a_lesson_written_on_its_own_page_goes_last_unless_given_a_position(
    client, ines, mine, position, saved, order
):
    # mine's lessons were dragged to positions 1 and 2; the add page offers position 0.
    client.force_login(ines)
    module = mine.modules.get()
    add_page = client.get(url("lessons_lesson_add"))
    assert add_page.context["adminform"].form["position"].value() == 0

    client.post(
        url("lessons_lesson_add"),
        {
            "module": module.pk,
            "position": position,
            "slug": "new",
            "title": "New",
            "status": "published",
        },
    )

    assert Lesson.objects.get(slug="new").position == saved
    assert [lesson.slug for lesson in Lesson.objects.visible().filter(module=module)] == order


def test_lesson_slug_taken_in_the_course_is_an_error_on_the_form(client, ines, mine):
    client.force_login(ines)
    first, second = mine.lessons.order_by("position")
    page = client.get(url("lessons_lesson_change", second.pk))

    response = client.post(
        url("lessons_lesson_change", second.pk), form_data(page) | {"slug": first.slug}
    )

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors


def test_an_instructor_opens_a_lesson_to_visitors_from_its_page(client, ines, mine):
    client.force_login(ines)
    _, second = mine.lessons.order_by("position")
    page = client.get(url("lessons_lesson_change", second.pk))
    assert "Open preview" in page.content.decode()

    client.post(url("lessons_lesson_change", second.pk), form_data(page) | {"is_preview": "on"})

    second.refresh_from_db()
    assert second.is_preview


def test_text_is_saved_with_plain_newlines(client, ines, mine):
    client.force_login(ines)
    lesson = mine.lessons.first()
    page = client.get(url("lessons_lesson_change", lesson.pk))

    client.post(
        url("lessons_lesson_change", lesson.pk), form_data(page) | {"body": "One.\r\n\r\nTwo."}
    )

    lesson.refresh_from_db()
    assert lesson.body == "One.\n\nTwo."
    assert lesson.passage_count == 2


def test_draft_publish_and_archive_actions(client, ines, mine):
    client.force_login(ines)
    lessons = list(mine.lessons.all())
    ids = [lesson.pk for lesson in lessons]

    for action, status in (
        ("make_draft", "draft"),
        ("archive", "archived"),
        ("publish", "published"),
    ):
        response = client.post(
            url("lessons_lesson_changelist"),
            {"action": action, "_selected_action": ids},
            follow=True,
        )
        assert {lesson.status for lesson in Lesson.objects.filter(pk__in=ids)} == {status}
        assert f"2 lessons set to {status}" in response.content.decode()


def test_markdown_preview_renders_the_text_being_edited(client, ines, mine):
    client.force_login(ines)
    lesson = mine.lessons.first()
    page = client.get(url("lessons_lesson_change", lesson.pk)).content.decode()
    assert url("lessons_lesson_preview") in page
    assert "htmx" in page

    body = "Para **one**.\n\n<script>alert(1)</script>\n\n- a\n- b"
    fragment = client.post(url("lessons_lesson_preview"), {"body": body}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert '<p id="passage-1">Para <strong>one</strong>.</p>' in html
    assert "<script>" not in html
    assert "<html" not in html  # a fragment for htmx to swap in

    full = client.post(url("lessons_lesson_preview"), {"body": body, "title": "T"})
    assert "<html" in full.content.decode()
    assert "<strong>one</strong>" in full.content.decode()

    assert client.get(url("lessons_lesson_preview")).status_code == 405
    lesson.refresh_from_db()
    assert "script" not in lesson.body  # nothing was saved


def test_markdown_preview_is_for_staff_only(client, learner):
    client.force_login(learner)

    response = client.post(url("lessons_lesson_preview"), {"body": "x"})

    assert response.status_code == 302
    assert response.url.startswith(url("login"))


def test_change_pages_link_to_the_site_and_to_the_learner_preview(client, ines, mine):
    client.force_login(ines)
    lesson = mine.lessons.first()
    module = mine.modules.get()

    lesson_page = client.get(url("lessons_lesson_change", lesson.pk)).content.decode()
    course_page = client.get(url("lessons_course_change", mine.pk)).content.decode()
    module_page = client.get(url("lessons_module_change", module.pk)).content.decode()

    assert f'href="{lesson.get_absolute_url()}?preview=1"' in lesson_page
    assert f'href="{mine.get_absolute_url()}?preview=1"' in course_page
    for page in (lesson_page, course_page, module_page):
        assert "View on site" in page


# --- Removing content --------------------------------------------------------------------------


def test_deleting_a_lesson_without_history_deletes_it(client, ines, mine):
    client.force_login(ines)
    lesson = mine.lessons.first()

    confirm = client.get(url("lessons_lesson_delete", lesson.pk))
    assert "Are you sure" in confirm.content.decode()
    client.post(url("lessons_lesson_delete", lesson.pk), {"post": "yes"})

    assert not Lesson.objects.filter(pk=lesson.pk).exists()


def test_deleting_a_lesson_learners_completed_archives_it_after_saying_so(
    client, ines, mine, learner, now
):
    lesson = mine.lessons.first()
    enrollment_create(learner=learner, course=mine)
    lesson_complete(learner=learner, lesson=lesson, now=now)
    client.force_login(ines)

    confirm = client.get(url("lessons_lesson_delete", lesson.pk)).content.decode()
    assert "cannot be deleted: 1 lesson completion points at it" in confirm
    assert "Archive it" in confirm

    response = client.post(url("lessons_lesson_delete", lesson.pk), {"post": "yes"}, follow=True)

    lesson.refresh_from_db()
    assert lesson.status == Status.ARCHIVED
    assert LessonCompletion.objects.filter(lesson=lesson, learner=learner).exists()
    assert "was archived, not deleted" in response.content.decode()
    again = client.get(url("lessons_lesson_delete", lesson.pk)).content.decode()
    assert "It is already archived" in again
    assert "Archive it" not in again


def test_deleting_a_module_with_lessons_archives_it(client, ines, mine):
    client.force_login(ines)
    module = mine.modules.get()

    confirm = client.get(url("lessons_module_delete", module.pk)).content.decode()
    assert "2 lessons point at it" in confirm
    client.post(url("lessons_module_delete", module.pk), {"post": "yes"})

    module.refresh_from_db()
    assert module.status == Status.ARCHIVED
    assert module.lessons.count() == 2


def test_bulk_delete_refuses_content_with_records_and_says_why(client, ines, mine, learner, now):
    lesson = mine.lessons.first()
    enrollment_create(learner=learner, course=mine)
    lesson_complete(learner=learner, lesson=lesson, now=now)
    client.force_login(ines)
    ids = list(mine.lessons.values_list("pk", flat=True))

    response = client.post(
        url("lessons_lesson_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert "1 lesson completion points at it; archive it instead" in response.content.decode()
    assert mine.lessons.count() == 2


# --- History -----------------------------------------------------------------------------------


def test_history_shows_who_changed_what(client, ines, mine):
    client.force_login(ines)
    lesson = mine.lessons.first()
    page = client.get(url("lessons_lesson_change", lesson.pk))
    client.post(url("lessons_lesson_change", lesson.pk), form_data(page) | {"title": "Renamed"})

    history = client.get(url("lessons_lesson_history", lesson.pk)).content.decode()

    assert "ines" in history
    assert "Renamed" in history
    latest = lesson.history.first()
    assert (latest.history_user, latest.title) == (ines, "Renamed")


# --- Query counts ------------------------------------------------------------------------------


def query_count(client, path: str) -> int:
    client.get(path)  # warm the caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["lessons_course_changelist", "lessons_lesson_changelist"])
def test_changelist_query_count_does_not_grow_with_content(client, ines, name):
    client.force_login(ines)

    def add_course():
        course = CourseFactory()
        course.instructors.add(ines)
        LessonFactory(module=ModuleFactory(course=course))

    add_course()
    small = query_count(client, url(name))
    for _ in range(5):
        add_course()

    assert query_count(client, url(name)) == small


def test_module_page_query_count_does_not_grow_with_lessons(client, ines, mine):
    client.force_login(ines)
    module = mine.modules.get()
    small = query_count(client, url("lessons_module_change", module.pk))
    for position in range(3, 9):
        LessonFactory(module=module, position=position)

    assert query_count(client, url("lessons_module_change", module.pk)) == small


# --- Size limits ---------------------------------------------------------------------------


def test_the_lesson_form_refuses_a_lesson_over_the_size_limit_and_saves_nothing(
    client, ines, mine
):
    client.force_login(ines)
    lesson = mine.lessons.first()
    before = lesson.body
    data = form_data(client.get(url("lessons_lesson_change", lesson.pk)))

    response = client.post(
        url("lessons_lesson_change", lesson.pk), {**data, "body": "[" * (MAX_LESSON_CHARS + 1)}
    )

    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors["body"]
    assert errors == [
        f"This lesson is {MAX_LESSON_CHARS + 1:,} characters long, more than the "
        f"{MAX_LESSON_CHARS:,} a lesson may hold: split it into several lessons."
    ]
    lesson.refresh_from_db()
    assert lesson.body == before


def test_a_new_lesson_over_the_size_limit_is_not_added(client, ines, mine):
    client.force_login(ines)
    lessons_before = Lesson.objects.count()

    response = client.post(
        url("lessons_lesson_add"),
        {
            "module": mine.modules.first().pk,
            "title": "Too long",
            "slug": "too-long",
            "status": "draft",
            "position": 3,
            "body": "x" * (MAX_LESSON_CHARS + 1),
        },
    )

    assert response.status_code == 200
    assert "split it into several lessons" in response.context["adminform"].form.errors["body"][0]
    assert Lesson.objects.count() == lessons_before


def test_the_size_limit_counts_line_ends_as_they_are_saved(client, ines, mine):
    # Browsers send CRLF; the body is saved with LF, so the limit counts it that way.
    client.force_login(ines)
    lesson = mine.lessons.first()
    data = form_data(client.get(url("lessons_lesson_change", lesson.pk)))
    body = "a\r\n" * (MAX_LESSON_CHARS // 2)

    response = client.post(url("lessons_lesson_change", lesson.pk), {**data, "body": body})

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert len(lesson.body) <= MAX_LESSON_CHARS


@pytest.mark.parametrize("htmx", [True, False])
def test_the_preview_refuses_a_body_over_the_size_limit_with_a_message(client, ines, mine, htmx):
    client.force_login(ines)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = client.post(
        url("lessons_lesson_preview"), {"body": "[" * (MAX_LESSON_CHARS + 1)}, **headers
    )

    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps in only successful answers
    assert "split it into several lessons" in html
    assert "[[[[" not in html  # the body was not rendered


def test_saving_a_lesson_flags_figures_without_alt_text_or_not_stored(
    client, ines, mine, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(ines)
    lesson = mine.lessons.first()
    figure_path = tmp_path / "figures" / str(mine.pk) / "map.png"
    figure_path.parent.mkdir(parents=True)
    figure_path.write_bytes(b"stored")
    data = form_data(client.get(url("lessons_lesson_change", lesson.pk)))
    body = "Intro.\n\n![](media/map.png)\n\n![A grid](media/grid.png)\n\n![The map](media/map.png)"

    response = client.post(
        url("lessons_lesson_change", lesson.pk), {**data, "body": body}, follow=True
    )

    shown = as_read(response.context["messages"])
    assert (
        "Line 3 of the body: the figure media/map.png has no alt text: say what it shows, "
        "for readers who cannot see it."
    ) in shown
    assert any(m.startswith("Line 5 of the body: media/grid.png is not among") for m in shown)
    assert not any("Line 7" in m for m in shown)  # stored, with its alt text
    lesson.refresh_from_db()
    assert lesson.body == body  # flagged, not refused


def test_the_preview_shows_the_figures_of_the_course_the_lesson_is_in(client, ines, mine, theirs):
    client.force_login(ines)
    body = "![A map](media/map.png)"

    def preview(module) -> str:
        data = {"body": body, "module": module.pk}
        return client.post(
            url("lessons_lesson_preview"), data, HTTP_HX_REQUEST="true"
        ).content.decode()

    assert f'<img src="/media/figures/{mine.pk}/map.png" alt="A map">' in preview(
        mine.modules.first()
    )
    # Another instructor's module names no course: its figures are not looked up.
    assert "<img" not in preview(theirs.modules.first())
