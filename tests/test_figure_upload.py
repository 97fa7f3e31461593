"""A figure uploaded on a lesson's admin page: checked as an imported figure is, stored for
the lesson's course, named in the body, shown to learners, and carried by the course's
export and import."""

import html
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assessments.course_io import course_export, course_import
from lessons.models import Course, Lesson
from lessons.tests.test_admin import as_read, form_data
from progress.services import enrollment_create
from tests.factories import CourseFactory, LessonFactory, ModuleFactory
from tests.test_lesson_figures import SVG, media_root, picture, png_bomb, stored_files

pytestmark = pytest.mark.django_db

__all__ = ["media_root"]  # the fixture: every file stored goes to a folder of the test's own


@pytest.fixture
def lesson(ines):
    course = CourseFactory(slug="maps", title="Reading maps")
    course.instructors.add(ines)
    module = ModuleFactory(course=course, slug="basics")
    return LessonFactory(module=module, slug="scales", body="A scale says how far.")


def change_url(lesson) -> str:
    return reverse("admin:lessons_lesson_change", args=[lesson.pk])


def upload(client, lesson, data: bytes, *, name="scale-bar.png", alt="A scale bar of 0 to 5 km"):
    """The lesson's page sent back as it was, with a figure and its alt text."""
    fields = form_data(client.get(change_url(lesson)))
    figure = SimpleUploadedFile(name, data, content_type="image/png")
    return client.post(
        change_url(lesson), {**fields, "figure": figure, "figure_alt": alt}, follow=True
    )


def figure_errors(response) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: as_read(form.errors.get(name, [])) for name in ("figure", "figure_alt")}


@pytest.mark.parametrize(
    ("name", "image_format", "stored_as"),
    [("scale-bar.png", "PNG", "scale-bar.png"), ("Scale bar (2).JPEG", "JPEG", "Scale-bar-2.jpg")],
)
def test_an_uploaded_figure_is_stored_named_in_the_body_and_shown_with_its_alt_text(
    client, ines, learner, lesson, media_root, django_capture_on_commit_callbacks,
    name, image_format, stored_as,
):  # fmt: skip
    client.force_login(ines)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, lesson, picture(image_format), name=name)

    shown = as_read(response.context["messages"])
    markdown = f"![A scale bar of 0 to 5 km](media/{stored_as})"
    assert shown == [
        f"The figure {stored_as} is stored and named at the end of the body as {markdown}: "
        "move that line to where the figure belongs.",
        f"The lesson “{lesson.title}” was changed successfully.",
    ]
    lesson.refresh_from_db()
    assert lesson.body == f"A scale says how far.\n\n{markdown}"
    stored = default_storage.open(f"figures/{lesson.course_id}/{stored_as}").read()
    assert Image.open(io.BytesIO(stored)).format == image_format
    enrollment_create(learner=learner, course=lesson.course)
    client.force_login(learner)
    page = client.get(lesson.get_absolute_url()).content.decode()
    url = f"/media/figures/{lesson.course_id}/{stored_as}"
    assert f'<p id="passage-2"><img src="{url}" alt="A scale bar of 0 to 5 km"></p>' in page
    assert client.get(url).status_code == 200


def test_a_figure_without_alt_text_is_refused_and_nothing_is_stored(
    client, ines, lesson, media_root, django_capture_on_commit_callbacks
):
    client.force_login(ines)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, lesson, picture(), alt="   ")

    assert figure_errors(response)["figure_alt"] == [
        "Say what the figure shows: a figure is added with its alt text."
    ]
    assert stored_files(media_root) == []
    lesson.refresh_from_db()
    assert lesson.body == "A scale says how far."


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (SVG, "not an image Courseware shows (PNG, JPEG, GIF, WebP)"),
        (b"<script>alert(1)</script>", "not an image Courseware shows"),
        (png_bomb(), "pixels a figure may have"),
        (png_bomb(6_000), "6000 × 6000 pixels: more than the 25,000,000"),
        (picture()[:60], "a damaged image"),
        (b"x" * (5 * 2**20 + 1), "larger than 5 MB"),
    ],
)
def test_a_file_that_cannot_be_a_figure_is_a_form_error_and_nothing_is_stored(
    client, ines, lesson, media_root, django_capture_on_commit_callbacks, data, problem
):
    client.force_login(ines)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, lesson, data)

    assert response.status_code == 200
    [error] = figure_errors(response)["figure"]
    assert error.startswith("scale-bar.png cannot be a figure: ")
    assert problem in error
    assert stored_files(media_root) == []
    lesson.refresh_from_db()
    assert lesson.body == "A scale says how far."


def test_what_a_polyglot_carries_beside_its_pixels_is_not_stored(
    client, ines, lesson, media_root, django_capture_on_commit_callbacks
):
    client.force_login(ines)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, lesson, picture() + b"<script>alert(document.cookie)</script>")

    [stored] = stored_files(media_root)
    assert b"<script>" not in stored.read_bytes()
    assert Image.open(stored).size == (40, 30)


def test_another_courses_instructor_cannot_upload_a_figure_to_this_course(
    client, ines, otto, lesson, media_root, django_capture_on_commit_callbacks
):
    client.force_login(otto)
    figure = SimpleUploadedFile("scale-bar.png", picture(), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(change_url(lesson), {"figure": figure, "figure_alt": "A bar"})
        figure.seek(0)
        added = client.post(
            reverse("admin:lessons_lesson_add"),
            {"module": lesson.module_id, "title": "Mine", "slug": "mine", "position": 9,
             "status": "published", "body": "", "figure": figure, "figure_alt": "A bar"},
        )  # fmt: skip

    assert changed.status_code == 302  # to the admin's index: no such lesson for Otto
    assert "module" in added.context["adminform"].form.errors  # not a module Otto may use
    assert stored_files(media_root) == []
    assert Lesson.objects.filter(course=lesson.course).count() == 1


def test_a_figure_uploaded_again_under_a_taken_name_replaces_nothing_learners_have_read(
    client, ines, lesson, media_root, django_capture_on_commit_callbacks
):
    client.force_login(ines)
    first, second = picture(size=(40, 30)), picture(size=(60, 20))
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, lesson, first)
    stored_first = default_storage.open(f"figures/{lesson.course_id}/scale-bar.png").read()
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, lesson, second, alt="A longer scale bar")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, lesson, first, alt="The same bar again")

    lesson.refresh_from_db()
    assert lesson.body.split("\n\n")[1:] == [
        "![A scale bar of 0 to 5 km](media/scale-bar.png)",
        "![A longer scale bar](media/scale-bar-2.png)",
        "![The same bar again](media/scale-bar.png)",  # the same bytes: the same file
    ]
    # The version of the lesson before the second upload still shows its own figure.
    assert default_storage.open(f"figures/{lesson.course_id}/scale-bar.png").read() == (
        stored_first
    )
    assert Image.open(
        default_storage.open(f"figures/{lesson.course_id}/scale-bar-2.png")
    ).size == (
        60,
        20,
    )
    assert len(stored_files(media_root)) == 2


def test_an_uploaded_figure_survives_export_and_import(
    client, ines, lesson, media_root, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(ines)
    alt = "A *bar* [0–5 km] & <a> \\ of x_y"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, lesson, picture(), name="bar.png", alt=alt)
    course = Course.objects.get(pk=lesson.course_id)  # as the database holds it
    stored = default_storage.open(f"figures/{course.pk}/bar.png").read()
    course_export(course, tmp_path / "maps")
    assert (tmp_path / "maps" / "media" / "bar.png").read_bytes() == stored

    # Into a fresh site: the lesson and its figure come back from the folder alone.
    lesson.delete()
    course.modules.all().delete()
    course.delete()
    default_storage.delete(f"figures/{course.pk}/bar.png")
    with django_capture_on_commit_callbacks(execute=True):
        again, report = course_import(tmp_path / "maps")

    assert report.warnings == []
    assert default_storage.open(f"figures/{again.pk}/bar.png").read() == stored
    shown = again.lessons.get(slug="scales").body_html
    assert f'alt="{html.escape(alt, quote=True)}"' in shown


def test_a_new_lesson_is_written_with_its_figure(
    client, ines, lesson, media_root, django_capture_on_commit_callbacks
):
    client.force_login(ines)
    figure = SimpleUploadedFile("grid.png", picture(), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:lessons_lesson_add"),
            {"module": lesson.module_id, "title": "Grids", "slug": "grids", "position": 2,
             "status": "published", "body": "", "figure": figure, "figure_alt": "A grid"},
        )  # fmt: skip

    added = Lesson.objects.get(slug="grids")
    assert added.body == "![A grid](media/grid.png)"
    assert default_storage.exists(f"figures/{added.course_id}/grid.png")
