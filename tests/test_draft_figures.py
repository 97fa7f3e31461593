"""Figures in drafts from a Markdown file or a saved web page: the pictures beside the
document are carried into the draft's media/, checked and re-encoded; the others are listed."""

import io
from pathlib import Path

import pytest
from PIL import Image

from assessments.course_io import course_import
from lessons.figures import figure_references
from lessons.intake import draft_course_folder, report_path
from lessons.models import Lesson
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
