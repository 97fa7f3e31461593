"""Figures in lessons: a course folder's media/ imported, checked, shown, served and exported."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from PIL import Image

from assessments.course_io import course_export, course_import, course_zip_extract, courses_zip
from lessons.course_folder import CourseFormatError
from lessons.figures import figure_clean
from lessons.models import Course, Lesson
from progress.services import enrollment_create

pytestmark = pytest.mark.django_db

COURSE_YAML = (
    "slug: maps\ntitle: Reading maps\nsequential: false\nstatus: published\nmodules:\n- basics\n"
)


def module_text(figure_line: str) -> str:
    return (
        "---\ntitle: Basics\n---\n\n"
        "# Scales {#scales}\n\n"
        "A scale says how far one centimetre of map goes on the ground.\n\n"
        f"{figure_line}\n\n"
        "The figure above is a scale bar.\n"
    )


FIGURE_LINE = 9  # of module_text: the line of the figure


def picture(image_format: str = "PNG", size=(40, 30), **options) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    for x in range(size[0]):
        image.putpixel((x, x % size[1]), (0, 0, 255))
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    return settings.MEDIA_ROOT


def make_folder(root: Path, figure_line: str, files: dict[str, bytes]) -> Path:
    folder = root / "maps"
    (folder / "modules").mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE_YAML)
    (folder / "modules" / "basics.md").write_text(module_text(figure_line))
    if files:
        (folder / "media").mkdir()
        for name, data in files.items():
            (folder / "media" / name).write_bytes(data)
    return folder


def import_committed(folder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return course_import(folder)


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in Path(media_root).rglob("*") if p.is_file())


def test_a_figure_is_shown_with_its_alt_text_and_served_from_the_site(
    tmp_path, client, learner, django_capture_on_commit_callbacks
):
    folder = make_folder(
        tmp_path, "![A scale bar of 0 to 5 km](media/scale-bar.png)", {"scale-bar.png": picture()}
    )
    course, report = import_committed(folder, django_capture_on_commit_callbacks)
    assert report.warnings == []
    assert report.counts["figures", "stored"] == 1
    lesson = Lesson.objects.get(slug="scales")
    # The figure is a passage of its own, between the two paragraphs.
    assert lesson.passage_count == 3
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    page = client.get(lesson.get_absolute_url()).content.decode()
    url = f"/media/figures/{course.pk}/scale-bar.png"
    assert f'<p id="passage-2"><img src="{url}" alt="A scale bar of 0 to 5 km"></p>' in page
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    data = b"".join(served.streaming_content)
    assert Image.open(io.BytesIO(data)).size == (40, 30)
    # The page's policy lets the browser load it: images from the site itself.
    policy = client.get(lesson.get_absolute_url())["Content-Security-Policy"]
    assert "img-src 'self'" in policy


def test_images_from_other_hosts_are_not_loaded(tmp_path, learner, client):
    folder = make_folder(
        tmp_path,
        '![A tracker](https://tracker.example/pixel.png) <img src="https://tracker.example/p.gif">',
        {},
    )
    course_import(folder)
    html = Lesson.objects.get(slug="scales").body_html
    assert "tracker.example" not in html
    assert "A tracker" in html  # its alt text stands in its place


def test_a_figure_without_alt_text_is_imported_and_reported_with_its_line(
    tmp_path, django_capture_on_commit_callbacks
):
    folder = make_folder(tmp_path, "![](media/scale-bar.png)", {"scale-bar.png": picture()})
    _, report = import_committed(folder, django_capture_on_commit_callbacks)
    assert report.warnings == [
        f"modules/basics.md, line {FIGURE_LINE}: the figure media/scale-bar.png has no alt "
        "text: say what it shows, for readers who cannot see it"
    ]
    assert report.counts["figures", "stored"] == 1


def test_the_import_command_prints_the_warning(tmp_path, capsys):
    folder = make_folder(tmp_path, "![](media/scale-bar.png)", {"scale-bar.png": picture()})
    call_command("import_course", str(folder))
    assert "media/scale-bar.png has no alt text" in capsys.readouterr().out


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 30_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``side`` × ``side`` grey pixels."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + (_png_chunk(b"IEND", b""))
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("scale-bar.png", b"<script>alert(1)</script>", "not an image Courseware shows"),
        # Past Pillow's own limit, and past ours only.
        ("scale-bar.png", png_bomb(), "pixels a figure may have"),
        ("scale-bar.png", png_bomb(6_000), "6000 × 6000 pixels: more than the 25,000,000"),
        ("scale-bar.png", picture()[:60], "a damaged image"),
        ("scale-bar.png", SVG, "not an image Courseware shows"),
        ("scale-bar.svg", SVG, "ending .png, .jpg, .jpeg, .gif or .webp"),
        ("scale-bar.png", b"x" * (5 * 2**20 + 1), "larger than 5 MB"),
    ],
)
def test_a_file_that_is_not_a_usable_image_is_refused_with_file_and_line_and_nothing_written(
    tmp_path, media_root, name, data, problem
):
    folder = make_folder(tmp_path, f"![A scale bar](media/{name})", {name: data})
    with pytest.raises(CourseFormatError) as refused:
        course_import(folder)
    assert refused.value.path == folder / "modules" / "basics.md"
    assert refused.value.line == FIGURE_LINE
    assert refused.value.message.startswith(f"media/{name}")
    assert problem in refused.value.message
    assert not Course.objects.exists()
    assert stored_files(media_root) == []


def test_a_missing_figure_is_refused_with_file_and_line(tmp_path, media_root):
    folder = make_folder(tmp_path, "![A scale bar](media/scale-bar.png)", {})
    with pytest.raises(CourseFormatError) as refused:
        course_import(folder)
    assert (refused.value.line, refused.value.message) == (
        FIGURE_LINE,
        "media/scale-bar.png does not exist",
    )
    assert not Course.objects.exists()


def test_a_figure_name_reaching_outside_media_is_refused(tmp_path):
    folder = make_folder(tmp_path, "![Keys](media/../course.yaml)", {})
    with pytest.raises(CourseFormatError, match="no subfolder"):
        course_import(folder)


def test_what_a_hostile_image_carries_beside_its_pixels_is_not_stored(
    tmp_path, media_root, django_capture_on_commit_callbacks
):
    image = Image.new("RGB", (20, 20), (10, 20, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret camera note"  # ImageDescription
    image.save(out, "JPEG", exif=exif)
    hostile = out.getvalue() + b"<script>alert(document.cookie)</script>"
    assert b"secret camera note" in hostile
    folder = make_folder(tmp_path, "![A square](media/square.jpg)", {"square.jpg": hostile})
    import_committed(folder, django_capture_on_commit_callbacks)
    [stored] = stored_files(media_root)
    data = stored.read_bytes()
    assert b"<script>" not in data and b"secret camera note" not in data
    assert Image.open(io.BytesIO(data)).size == (20, 20)


def test_a_png_with_a_script_after_its_end_is_stored_without_it():
    cleaned = figure_clean(picture() + b"<script>alert(1)</script>")
    assert b"<script>" not in cleaned
    assert cleaned == figure_clean(cleaned)  # a PNG re-encodes to itself


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_export_writes_figures_back_and_a_second_round_trip_is_byte_identical(
    tmp_path, image_format, django_capture_on_commit_callbacks
):
    name = f"scale-bar.{image_format.lower()}"
    folder = make_folder(
        tmp_path / "a", f"![A scale bar](media/{name})", {name: picture(image_format)}
    )
    course, _ = import_committed(folder, django_capture_on_commit_callbacks)
    stored = default_storage.open(f"figures/{course.pk}/{name}").read()
    course_export(course, tmp_path / "b")
    assert (tmp_path / "b" / "media" / name).read_bytes() == stored
    # Imported again (no change) and exported: every file byte for byte.
    _, report = import_committed(tmp_path / "b", django_capture_on_commit_callbacks)
    assert report.counts["figures", "unchanged"] == 1 and not report.changed
    course_export(course, tmp_path / "c")
    first = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
    }
    second = {
        p.relative_to(tmp_path / "c"): p.read_bytes()
        for p in (tmp_path / "c").rglob("*")
        if p.is_file()
    }
    assert first == second
    assert Path("media", name) in first


def test_a_course_zip_carries_its_figures(
    tmp_path, media_root, django_capture_on_commit_callbacks
):
    folder = make_folder(
        tmp_path, "![A scale bar](media/scale-bar.png)", {"scale-bar.png": picture()}
    )
    course, _ = import_committed(folder, django_capture_on_commit_callbacks)
    stored = default_storage.open(f"figures/{course.pk}/scale-bar.png").read()
    archive = tmp_path / "maps.zip"
    archive.write_bytes(courses_zip(courses=[course]))
    # Into a fresh site: the figure comes back from the zip alone.
    Lesson.objects.all().delete()
    course.modules.all().delete()
    course.delete()
    default_storage.delete(f"figures/{course.pk}/scale-bar.png")
    root = course_zip_extract(archive, tmp_path / "unzipped")
    again, _ = import_committed(root, django_capture_on_commit_callbacks)
    assert default_storage.open(f"figures/{again.pk}/scale-bar.png").read() == stored


def test_an_import_rolled_back_by_its_caller_stores_no_figure(
    tmp_path, media_root, django_capture_on_commit_callbacks
):
    # As the admin's zip import does when the course exists and the instructor does not
    # teach it: the import succeeded, then the caller's transaction is rolled back.
    folder = make_folder(
        tmp_path, "![A scale bar](media/scale-bar.png)", {"scale-bar.png": picture()}
    )
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        course_import(folder)
        raise RuntimeError("refused after the import")
    assert stored_files(media_root) == []
    assert not Course.objects.exists()


def test_format_course_writes_figures_and_checks_them(tmp_path):
    folder = make_folder(
        tmp_path, "![A scale bar](media/scale-bar.png)", {"scale-bar.png": picture()}
    )
    call_command("format_course", str(folder))
    call_command("format_course", str(folder), "--check")  # nothing left to change
    assert (
        figure_clean((folder / "media" / "scale-bar.png").read_bytes())
        == (folder / "media" / "scale-bar.png").read_bytes()
    )
    (folder / "media" / "scale-bar.png").write_bytes(b"not a picture")
    with pytest.raises(CommandError, match=r"media/scale-bar\.png"):
        call_command("format_course", str(folder), "--check")


def test_media_is_not_served_for_a_missing_file_or_outside_media_root(client, media_root):
    assert client.get(reverse("media", kwargs={"path": "figures/1/none.png"})).status_code == 404
    assert client.get("/media/../courseware/settings.py").status_code == 400


def test_the_admin_imports_a_zip_with_figures_and_shows_the_warnings(
    tmp_path, client, ines, django_capture_on_commit_callbacks
):
    folder = make_folder(tmp_path, "![](media/scale-bar.png)", {"scale-bar.png": picture()})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    upload = SimpleUploadedFile("maps.zip", buffer.getvalue(), content_type="application/zip")
    client.force_login(ines)

    plan = client.post(reverse("admin:lessons_course_import"), {"archive": upload})
    assert "media/scale-bar.png has no alt text" in plan.content.decode()
    assert not Course.objects.filter(slug="maps").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:lessons_course_import_apply"),
            {"token": plan.context["token"]},
            follow=True,
        )

    course = Course.objects.get(slug="maps")
    shown = [str(message) for message in response.context["messages"]]
    assert any("media/scale-bar.png has no alt text" in message for message in shown)
    assert default_storage.exists(f"figures/{course.pk}/scale-bar.png")


def test_a_records_backup_carries_the_figures_and_its_restore_brings_them_back(
    tmp_path, django_capture_on_commit_callbacks
):
    from progress.records import course_records_import, course_records_zip

    folder = make_folder(
        tmp_path, "![A scale bar](media/scale-bar.png)", {"scale-bar.png": picture()}
    )
    course, _ = import_committed(folder, django_capture_on_commit_callbacks)
    stored_at = f"figures/{course.pk}/scale-bar.png"
    stored = default_storage.open(stored_at).read()
    backup = tmp_path / "backup.zip"
    backup.write_bytes(course_records_zip(course=course))
    default_storage.delete(stored_at)  # the media folder lost

    with django_capture_on_commit_callbacks(execute=True):
        course_records_import(backup)

    assert default_storage.open(stored_at).read() == stored


def test_the_import_plan_counts_the_figures_says_what_to_check_and_stores_nothing(
    tmp_path, media_root, capsys, django_capture_on_commit_callbacks
):
    folder = make_folder(tmp_path, "![](media/scale-bar.png)", {"scale-bar.png": picture()})

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_course", str(folder), "--plan")

    printed = capsys.readouterr().out
    assert "1 figure stored" in printed
    assert "To check\n  modules/basics.md, line 9: the figure media/scale-bar.png has no alt" in (
        printed
    )
    assert stored_files(media_root) == []
    assert not Course.objects.exists()


def test_a_figure_in_a_table_cell_is_imported_alt_checked_and_shown(
    tmp_path, django_capture_on_commit_callbacks
):
    table = (
        "| Sign | Meaning |\n| --- | --- |\n"
        "| ![A church](media/church.png) | a church |\n| ![](media/well.png) | a well |"
    )
    folder = make_folder(
        tmp_path, table, {"church.png": picture(), "well.png": picture(size=(20, 20))}
    )
    course, report = import_committed(folder, django_capture_on_commit_callbacks)

    assert report.counts["figures", "stored"] == 2
    assert report.warnings == [
        f"modules/basics.md, line {FIGURE_LINE + 3}: the figure media/well.png has no alt "
        "text: say what it shows, for readers who cannot see it"
    ]
    html = Lesson.objects.get(slug="scales").body_html
    assert f'<td><img src="/media/figures/{course.pk}/church.png" alt="A church"></td>' in html
    assert f'<td><img src="/media/figures/{course.pk}/well.png" alt=""></td>' in html
