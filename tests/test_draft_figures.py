"""Figures in drafts from a Markdown file or a saved web page: the pictures beside the
document are carried into the draft's media/, checked and re-encoded; the others are listed."""

import html
import io
import stat
import zipfile
from pathlib import Path

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assessments.course_io import course_import
from lessons.figures import figure_references
from lessons.intake import course_draft_from_bytes, draft_course_folder, report_path
from lessons.markdown import render_markdown
from lessons.models import Course, Lesson
from tests.faithfulness import lesson_units

pytestmark = pytest.mark.django_db


def picture(path: Path, kind: str = "PNG", colour: str = "navy", trailing: bytes = b"") -> bytes:
    """A real image file, with whatever a hostile file might carry after its pixels."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue() + trailing)
    return out.getvalue()


def bodies(course) -> list[str]:
    lessons = Lesson.objects.filter(course=course).order_by("module__position", "position")
    return [lesson.body for lesson in lessons]


def test_a_markdown_file_brings_the_pictures_beside_it_and_lists_the_others(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    notes = tmp_path / "notes"
    picture(notes / "images" / "map.png", trailing=b"<script>alert(1)</script>")
    picture(notes / "images" / "grid.jpg", "JPEG")
    (notes / "images" / "fake.png").write_bytes(b"<?php echo 'not a picture'; ?>")
    picture(tmp_path / "secret.png")  # a real picture, but outside the document's folder
    (notes / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    source = notes / "notes.md"
    source.write_text(
        "# Map Reading\n\n"
        "## The Map\n\n"
        "A map shows the ground from above.\n\n"
        "![A map of the training area](images/map.png)\n\n"
        "Its grid names every square.\n\n"
        "![](images/grid.jpg)\n\n"
        "## Hazards\n\n"
        "Some files are not what they say, like ![this one](images/lost.png) here.\n\n"
        "![A fake picture](images/fake.png)\n\n"
        "![A missing picture](images/gone.png)\n\n"
        "![A secret](../secret.png)\n\n"
        f"![An absolute path]({tmp_path / 'secret.png'})\n\n"
        "![A link out](images/link.png)\n\n"
        "![The map again](images/map.png)\n\n"
        "The end of the notes.\n",
        encoding="utf-8",
    )
    folder = tmp_path / "draft"
    draft_course_folder(source, folder)
    with django_capture_on_commit_callbacks(execute=True):
        course, _ = course_import(folder)

    # Paragraph by paragraph: the text and the pictures kept (shown by their alt text
    # outside a course), in order; the pictures refused are in no lesson.
    assert lesson_units(bodies(course)) == [
        "A map shows the ground from above.",
        "A map of the training area",
        "Its grid names every square.",
        "",  # the picture without alt text: kept, and reported
        "Some files are not what they say, like this one here.",
        "The map again",
        "The end of the notes.",
    ]
    body = "\n".join(bodies(course))
    assert [(f.name, f.alt) for f in figure_references(body)] == [
        ("figure-1.png", "A map of the training area"),
        ("figure-2.jpg", ""),
        ("figure-1.png", "The map again"),  # the same file, carried once
    ]
    # Re-encoded: the picture's pixels, not what was written after them.
    kept = (folder / "media" / "figure-1.png").read_bytes()
    assert b"<script>" not in kept
    assert Image.open(io.BytesIO(kept)).size == (40, 30)
    assert Image.open(folder / "media" / "figure-2.jpg").format == "JPEG"
    assert sorted(p.name for p in (folder / "media").iterdir()) == ["figure-1.png", "figure-2.jpg"]
    stored = settings.MEDIA_ROOT / "figures" / str(course.pk) / "figure-1.png"
    assert stored.read_bytes() == kept

    report = report_path(folder).read_text(encoding="utf-8")
    assert "“A fake picture” (images/fake.png) (a figure: not an image" in report
    assert "“A missing picture” (images/gone.png) (a figure: no such file" in report
    assert "“A secret” (../secret.png) (a figure: outside the document's folder" in report
    assert "“An absolute path” (" in report
    assert "“A link out” (images/link.png) (a figure: outside the document's folder" in report
    assert report.count("outside the document's folder") == 3
    assert "media/figure-2.jpg has no alt text" in report
    assert (
        "The picture images/lost.png stays in the text as written, shown as its alt text: no such file"
        in report
    )


PAGE = """<!doctype html>
<html><head><title>Field Hygiene</title>
<link rel="canonical" href="https://army-notes.example/field-hygiene/"></head>
<body>
<nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main><article>
<h1>Field Hygiene</h1>
<p>Disease has put more soldiers out of action than the enemy in most campaigns of the last
two centuries, and it still does wherever camps are crowded and water is short.</p>
<figure><img src="Field%20Hygiene_files/latrine.png" alt="A field latrine sited downhill of the camp"></figure>
<p>Latrines are dug downhill of the camp and at least ninety metres from any water source,
so that nothing seeps into what the soldiers drink or wash with.</p>
<figure><img src="Field%20Hygiene_files/tracker.gif" alt="A tracking pixel"></figure>
<p>Water is drawn upstream of the camp, treated before it is drunk, and tested every day by
the unit's hygiene officer, who keeps a written record of every test.</p>
<figure><img src="https://cdn.example/remote.png" alt="A remote picture"></figure>
<p>Hands are washed after the latrine and before every meal, with soap and running water
where there is any, and the stations are kept stocked by the duty section.</p>
</article></main>
<footer>© 2026 Army Notes</footer>
</body></html>
"""


def test_a_page_saved_complete_brings_its_pictures_from_its_folder(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    page = tmp_path / "Field Hygiene.html"
    page.write_text(PAGE, encoding="utf-8")
    saved = tmp_path / "Field Hygiene_files"
    picture(saved / "latrine.png", colour="olive")
    (saved / "tracker.gif").write_bytes(b"GIF89a" + b"\x00" * 10)  # a damaged picture
    folder = tmp_path / "draft"
    draft_course_folder(page, folder)
    with django_capture_on_commit_callbacks(execute=True):
        course, _ = course_import(folder)

    # Paragraph by paragraph: the article's text, and its one picture saved with the page.
    paragraphs = [" ".join(p.split("</p>")[0].split()) for p in PAGE.split("<p>")[1:]]
    assert lesson_units(bodies(course)) == [
        paragraphs[0],
        "A field latrine sited downhill of the camp",
        *paragraphs[1:],
    ]
    [figure] = figure_references("\n".join(bodies(course)))
    assert (figure.name, figure.alt) == (
        "figure-1.png",
        "A field latrine sited downhill of the camp",
    )
    assert Image.open(folder / "media" / "figure-1.png").getpixel((0, 0)) == (128, 128, 0)
    lesson = Lesson.objects.get(course=course, body__contains="media/figure-1.png")
    assert f'src="/media/figures/{course.pk}/figure-1.png"' in lesson.body_html

    report = report_path(folder).read_text(encoding="utf-8")
    assert "Field%20Hygiene_files/tracker.gif) (a figure: not an image Courseware shows" in report
    assert (
        "“A remote picture” (https://cdn.example/remote.png) (a figure: a picture elsewhere"
        in report
    )


# Uploaded in the admin: a zip of the document and its pictures ------------------------


def zip_of(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def draft_upload(client, name: str, data: bytes):
    document = SimpleUploadedFile(name, data, content_type="application/zip")
    return client.post(reverse("admin:lessons_course_from_document"), {"document": document})


NOTES = (
    "# Map Reading\n\n"
    "A map shows the ground from above.\n\n"
    "![A map of the training area](images/map.png)\n\n"
    "| Sign | Meaning |\n| --- | --- |\n| ![A church](images/church.png) | a church |\n\n"
    "![A secret](../secret.png)\n"
)


def test_a_zip_of_a_markdown_file_and_its_pictures_brings_them_into_the_draft(
    client, ines, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    map_png = picture(tmp_path / "map.png", trailing=b"<script>alert(1)</script>")
    church = picture(tmp_path / "church.png", colour="white")
    archive = zip_of(
        {
            "notes/notes.md": NOTES.encode(),
            "notes/images/map.png": (tmp_path / "map.png").read_bytes(),
            "notes/images/church.png": church,
            "__MACOSX/notes/._notes.md": b"resource fork",
        }
    )
    client.force_login(ines)

    with django_capture_on_commit_callbacks(execute=True):
        response = draft_upload(client, "notes.zip", archive)

    assert response.status_code == 200
    course = Course.objects.get()
    assert list(course.instructors.all()) == [ines]
    body = "\n".join(bodies(course))
    assert [(f.name, f.alt) for f in figure_references(body)] == [
        ("figure-1.png", "A map of the training area"),
        ("figure-2.png", "A church"),  # in a table cell
    ]
    stored = settings.MEDIA_ROOT / "figures" / str(course.pk)
    assert (stored / "figure-1.png").read_bytes() == map_png  # re-encoded: no script
    lesson = Lesson.objects.get(course=course, body__contains="figure-2.png")
    assert f'<td><img src="/media/figures/{course.pk}/figure-2.png" alt="A church"></td>' in (
        lesson.body_html
    )
    # The picture outside the document's folder is listed as left out, as draft_course lists it.
    [report] = lxml.html.fromstring(response.content.decode()).find_class("draft-report")
    assert "“A secret” (../secret.png) (a figure: outside the document" in report.text_content()


def test_a_zip_of_a_page_saved_complete_brings_its_pictures(
    client, ines, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    latrine = picture(tmp_path / "latrine.png", colour="olive")
    archive = zip_of(
        {
            "Field Hygiene.html": PAGE.encode(),
            "Field Hygiene_files/latrine.png": latrine,
            "Field Hygiene_files/frame.html": b"<html><body>An advert</body></html>",
        }
    )
    client.force_login(ines)

    with django_capture_on_commit_callbacks(execute=True):
        draft_upload(client, "hygiene.zip", archive)

    course = Course.objects.get(title="Field Hygiene")
    [figure] = figure_references("\n".join(bodies(course)))
    assert figure.alt == "A field latrine sited downhill of the camp"
    stored = settings.MEDIA_ROOT / "figures" / str(course.pk) / figure.name
    assert Image.open(stored).getpixel((0, 0)) == (128, 128, 0)


def _link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"notes.md": b"# A\n\nText.\n", "../evil.png": b"x"}, "evil.png: unsafe file name"),
        ({"notes.md": b"# A\n\nText.\n", "/etc/evil.png": b"x"}, "unsafe file name in the zip"),
        (
            {"notes.md": b"# A\n\nText.\n", "images/bomb.png": bytes(5 * 2**20)},
            "bomb.png: compressed more than 100 times: not a document or a picture",
        ),
        (
            {"notes.md": b"# A\n\nText.\n", **{f"i/{n}.png": b"x" for n in range(500)}},
            "notes.zip: more than 500 files",
        ),
        (
            {"notes.md": b"# A\n\nText.\n", "other.txt": b"B\n\nText.\n"},
            "this one holds notes.md, other.txt",
        ),
        ({"images/map.png": b"x"}, "notes.zip: a zip holds one document"),
        (
            {"notes.md": "# A\n\nDéfense\n".encode("latin-1")},
            "notes.zip/notes.md, line 3: not UTF-8",
        ),
    ],
)
def test_a_bad_zip_is_a_form_error_and_creates_nothing(
    client, ines, tmp_path, settings, files, message
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    client.force_login(ines)

    response = draft_upload(client, "notes.zip", zip_of(files))

    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not Course.objects.exists()
    assert not settings.MEDIA_ROOT.exists()


def test_a_zip_with_a_link_or_that_is_no_zip_is_refused(client, ines):
    client.force_login(ines)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.md", "# A\n\n![x](images/key.png)\n")
        archive.writestr(*_link("images/key.png", "/etc/ssh/ssh_host_rsa_key"))

    linked = draft_upload(client, "notes.zip", buffer.getvalue())
    damaged = draft_upload(client, "notes.zip", b"PK\x03\x04 not really a zip")

    assert "key.png: a link in the zip" in html.unescape(linked.content.decode())
    assert "notes.zip: not a zip file, or a damaged one" in html.unescape(damaged.content.decode())
    assert not Course.objects.exists()


def word_file(tmp_path, build) -> bytes:
    """A Word file ``build(document, add_picture)`` writes; ``add_picture(run, alt)`` puts
    a picture with its description in a run."""
    import docx
    from docx.shared import Cm

    def add_picture(run, alt: str) -> None:
        shape = run.add_picture(io.BytesIO(picture(tmp_path / "p.png")), width=Cm(1))
        shape._inline.docPr.set("descr", alt)

    document = docx.Document()
    build(document, add_picture)
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


def test_the_pictures_in_a_word_tables_cells_stay_pictures_with_their_alt_text(tmp_path):
    def build(document, add_picture):
        document.add_paragraph("Map signs are drawn small: learn them before going out.")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Sign", "Meaning"
        add_picture(table.cell(1, 0).paragraphs[0].add_run(), "A church")
        table.cell(1, 1).text = "a church with a tower"

    spec, report = course_draft_from_bytes(word_file(tmp_path, build), name="signs.docx")

    [lesson] = [lesson for module in spec.modules for lesson in module.lessons]
    assert "| ![A church](media/figure-1.png) | a church with a tower |" in lesson.body
    assert list(spec.figures) == ["figure-1.png"]
    html_ = render_markdown(lesson.body, course_id=7).html
    assert '<td><img src="/media/figures/7/figure-1.png" alt="A church"></td>' in html_
    assert report.warnings == []


def test_a_picture_no_lesson_can_show_is_listed_as_left_out_not_kept(tmp_path):
    def build(document, add_picture):
        add_picture(document.add_heading("Signs ", 1).add_run(), "A sign")
        document.add_paragraph("Map signs are drawn small: learn them before going out.")

    spec, report = course_draft_from_bytes(word_file(tmp_path, build), name="signs.docx")

    assert spec.figures == {}  # not stored for nothing
    assert "  - media/figure-1.png (a picture where a lesson shows none" in str(report)
