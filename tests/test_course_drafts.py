"""Course drafts from documents: each kind of file, read paragraph by paragraph against
the draft once imported, and bad files refused with nothing written."""

import io
import zipfile
from pathlib import Path

import docx
import lxml.html
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from assessments.course_io import course_import
from lessons.figures import figure_references
from lessons.intake import report_path
from lessons.markdown import render_markdown
from lessons.models import Course, Lesson, Status
from tests.faithfulness import SEED, article_blocks, lesson_units, text_units

pytestmark = pytest.mark.django_db

DOCUMENTS = Path(__file__).with_name("documents")


def draft(source: Path, folder: Path, *args) -> str:
    """Run draft_course and return what it printed."""
    out = io.StringIO()
    call_command("draft_course", str(source), str(folder), *args, stdout=out)
    return out.getvalue()


def lessons_in_order(course: Course) -> list[Lesson]:
    return list(Lesson.objects.filter(course=course).order_by("module__position", "position"))


def outline(course: Course) -> list[tuple[str, list[str]]]:
    return [
        (module.title, [lesson.title for lesson in module.lessons.order_by("position")])
        for module in course.modules.order_by("position")
    ]


# The shipped course's source ------------------------------------------------


def test_the_seed_article_becomes_a_draft_of_its_sections_holding_every_paragraph_once(
    tmp_path,
):
    folder = tmp_path / "draft"
    printed = draft(SEED, folder)
    course, _ = course_import(folder)

    title, *sections = article_blocks()[0]
    _, content, debris, disclaimer = article_blocks()
    lessons = lessons_in_order(course)
    assert len(sections) == 17 and len(content) == 68
    # Every paragraph and list item, verbatim, in the article's order, once; nothing added.
    assert lesson_units(lesson.body for lesson in lessons) == content
    for paragraph in content:
        assert sum(paragraph in lesson.body for lesson in lessons) == 1, paragraph[:60]
    # The text before the first section is the introduction; then a lesson per section.
    assert [lesson.title for lesson in lessons] == ["Introduction", *sections]
    assert course.title == title
    assert [course.notice] == disclaimer
    assert course.status == Status.DRAFT
    # One level of headings: modules of two to four lessons, named after their first.
    modules = outline(course)
    assert 5 <= len(modules) <= 7
    assert all(2 <= len(lessons) <= 4 and module == lessons[0] for module, lessons in modules)
    # Debris is in no lesson, and the report names each line of it.
    assert not any(line in lesson.body for line in debris for lesson in lessons)
    report = report_path(folder).read_text(encoding="utf-8")
    assert report in printed
    for line in debris:
        assert " ".join(line.split())[:60] in report
    assert "Left out (4)" in report


# A saved web page -------------------------------------------------------------


def test_a_saved_web_page_gives_the_article_without_the_site_around_it(tmp_path):
    page = DOCUMENTS / "web-page.html"
    folder = tmp_path / "draft"
    draft(page, folder)
    course, _ = course_import(folder)

    # What the article says, read from the page itself (not by the extractor).
    article = lxml.html.parse(str(page)).getroot().find_class("entry-content")[0]
    notice = article.find_class("ai-notice")[0]
    see_also = article.find_class("see-also")[0]
    text = [
        e for e in article if e.tag not in ("h2", "h3", "figure") and e not in (notice, see_also)
    ]
    headings = [(e.tag, e.text_content()) for e in article if e.tag in ("h2", "h3")]

    lessons = lessons_in_order(course)
    assert lesson_units(lesson.body for lesson in lessons) == text_units(text)
    assert course.title == "Planning Casualty Evacuation in Multinational Exercises"
    assert course.notice == " ".join(notice.text_content().split())
    # Two levels of headings: a module per h2, a lesson per h3 after the h2's own text.
    assert outline(course) == [
        ("Introduction", ["Introduction"]),
        ("Why Evacuation Planning Comes First", ["Why Evacuation Planning Comes First"]),
        (
            "The Evacuation Chain",
            [
                "The Evacuation Chain",
                "Point of Injury and First Response",
                "Casualty Collection Points",
            ],
        ),
        ("Agreeing the Plan with Partners", ["Agreeing the Plan with Partners"]),
        ("Rehearsing and Reviewing", ["Rehearsing and Reviewing"]),
    ]
    assert [title for _, title in headings] == [
        lesson.title for lesson in lessons if lesson.title != "Introduction"
    ]
    # The numbered list stays numbered, the table a table, the link whole.
    bodies = "\n".join(render_markdown(lesson.body).html for lesson in lessons)
    assert bodies.count("<ol") == 1 and bodies.count("<table") == 1
    assert 'href="https://defence-review.example/first-aid-standards/"' in bodies
    # The site around the article is listed as left out, and is in no lesson.
    report = report_path(folder).read_text(encoding="utf-8")
    for chrome in (
        "Skip to content",
        "We use cookies",
        "Share on Facebook",
        "Related articles",
        "Subscribe to our newsletter",
        "© 2025 Defence Review Online",
        "See also: Medical Rules of Eligibility",
        "“Layout of a casualty collection point",
    ):
        assert chrome in report
        assert chrome not in bodies


# A Word file ------------------------------------------------------------------


def word_document_parts(path: Path):
    """The Word file read with python-docx (not mammoth): its title, notice, headings,
    text units (paragraphs, list items, table cells) and the figure's caption."""
    document = docx.Document(str(path))
    title = notice = caption = ""
    headings, units = [], []
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}tbl"):
            table = docx.table.Table(element, document)
            units.extend(cell.text for row in table.rows for cell in row.cells)
            continue
        if not element.tag.endswith("}p"):
            continue
        paragraph = docx.text.paragraph.Paragraph(element, document)
        style = paragraph.style.name
        # A picture: its lesson shows it, with its description as the alt text.
        units.extend(element.xpath(".//wp:docPr/@descr"))
        if style == "Title":
            title = paragraph.text
        elif style.startswith("Heading"):
            headings.append((int(style.split()[-1]), paragraph.text))
        elif style == "Caption":
            caption = paragraph.text
            units.append(caption)  # shown under its picture
        elif paragraph.text.startswith("Disclaimer:"):
            notice = paragraph.text
        elif paragraph.text:
            units.append(paragraph.text)
    return title, notice, headings, units, caption


def test_a_word_file_gives_its_headings_lists_table_and_figure(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    path = DOCUMENTS / "word-document.docx"
    folder = tmp_path / "draft"
    draft(path, folder)
    with django_capture_on_commit_callbacks(execute=True):
        course, _ = course_import(folder)

    title, notice, headings, units, caption = word_document_parts(path)
    lessons = lessons_in_order(course)
    assert lesson_units(lesson.body for lesson in lessons) == units
    assert (course.title, course.notice) == (title, notice)
    # Heading 1 opens a module, Heading 2 a lesson in it.
    assert outline(course) == [
        ("Introduction", ["Introduction"]),
        ("Principles", ["Principles", "Brevity", "Security"]),
        ("Voice Procedure in Practice", ["Voice Procedure in Practice"]),
    ]
    assert [text for _, text in headings] == [lesson.title for lesson in lessons[1:]]
    bodies = "\n".join(render_markdown(lesson.body).html for lesson in lessons)
    assert bodies.count("<ol") == 1 and bodies.count("<ul") == 1
    assert bodies.count("<table") == 1 and "<th>Procedure word</th>" in bodies
    # The picture is a figure of its lesson, with its description and its caption.
    report = report_path(folder).read_text(encoding="utf-8")
    assert "Left out: nothing." in report
    picture = folder / "media" / "figure-1.png"
    assert Image.open(picture).format == "PNG"
    [lesson] = [lesson for lesson in lessons if "<img" in lesson.body_html]
    url = f"/media/figures/{course.pk}/figure-1.png"
    assert f'<img src="{url}" alt="Two radio stations joined by a single channel">' in (
        lesson.body_html
    )
    assert (settings.MEDIA_ROOT / "figures" / str(course.pk) / "figure-1.png").read_bytes() == (
        picture.read_bytes()
    )
    assert caption in lesson.body_html


def test_the_word_file_is_the_one_its_script_writes(tmp_path, monkeypatch):
    """tests/documents/word-document.docx is generated: the same text comes out again."""
    import tests.documents.make_word_document as script

    monkeypatch.setattr(script, "OUT", tmp_path / "again.docx")
    script.main()
    again = word_document_parts(tmp_path / "again.docx")
    assert again == word_document_parts(DOCUMENTS / "word-document.docx")


# A Markdown file ----------------------------------------------------------------


def test_a_markdown_file_gives_its_sections_with_their_text_as_written(tmp_path):
    path = DOCUMENTS / "lecture-notes.md"
    folder = tmp_path / "draft"
    draft(path, folder)
    course, _ = course_import(folder)

    # The whole file rendered as one page: every unit but the title, the lesson headings,
    # the notice, the figure and the "See also" line is in the lessons, in order.
    source = path.read_text(encoding="utf-8")
    page = lxml.html.fragment_fromstring(render_markdown(source).html, create_parent="div")
    left_out = ("Important:", "See also:")
    # Outside a course a figure is shown as its alt text: the draft leaves figures out.
    figures = {figure.alt for figure in figure_references(source)}
    text = [
        e
        for e in page
        if e.tag not in ("h1", "h2", "h3", "hr")
        and not e.text_content().startswith(left_out)
        and e.text_content() not in figures
    ]
    lessons = lessons_in_order(course)
    assert lesson_units(lesson.body for lesson in lessons) == text_units(text)
    # Verbatim: each block is in its lesson as the file writes it.
    assert "*eastings first, then northings*" in lessons[1].body
    assert "```\nSquare 4571, point 455 713 → 455713\n```" in lessons[3].body
    # A fourth-level heading stays inside its lesson, as that lesson's heading.
    assert "\n## Checking a Reference\n" in lessons[3].body
    assert outline(course) == [
        ("Introduction", ["Introduction"]),
        (
            "Grid References",
            ["Grid References", "Four-Figure References", "Six-Figure References"],
        ),
        ("Relief and Contours", ["Relief and Contours"]),
        ("Orienting the Map", ["Orienting the Map"]),
    ]
    assert course.title == "Map Reading for Junior Leaders"
    assert course.notice.startswith("Important: These notes support")
    report = report_path(folder).read_text(encoding="utf-8")
    assert "line 33: See also: Using the protractor" in report
    assert "line 41: “Contour lines drawn over a hill with a steep north face”" in report


def test_title_and_slug_can_be_given(tmp_path):
    folder = tmp_path / "draft"
    draft(DOCUMENTS / "lecture-notes.md", folder, "--slug", "maps", "--title", "Maps 101")
    course, _ = course_import(folder)
    assert (course.slug, course.title) == ("maps", "Maps 101")


# Numbered headings in plain text ---------------------------------------------------


NUMBERED = """Regional Security Cooperation

1. Introduction

Cooperation between the armed forces of the region has grown over the last decade.

2. Regional Forums

Forums meet each year, and their agendas are agreed months ahead.

2.3 Standing Committees

A reference is written in four steps:

1. Find the square
2. Read the easting
3. Read the northing

The steps again, spaced out:

1. Find the square

2. Read the easting

1. Only the text of a sentence that ends.

3. Conclusion

The forums and committees have made cooperation routine.
"""


def test_numbered_lines_alone_are_headings_and_numbered_lists_stay_lists(tmp_path):
    source = tmp_path / "regional.txt"
    source.write_text(NUMBERED, encoding="utf-8")
    folder = tmp_path / "draft"
    draft(source, folder)
    course, _ = course_import(folder)

    lessons = lessons_in_order(course)
    assert [lesson.title for lesson in lessons] == [
        "1. Introduction",
        "2. Regional Forums",
        "2.3 Standing Committees",
        "3. Conclusion",
    ]
    # Paragraph by paragraph: every paragraph and list item once, in order.
    assert lesson_units(lesson.body for lesson in lessons) == [
        "Cooperation between the armed forces of the region has grown over the last decade.",
        "Forums meet each year, and their agendas are agreed months ahead.",
        "A reference is written in four steps:",
        *["Find the square", "Read the easting", "Read the northing"],
        "The steps again, spaced out:",
        *["Find the square", "Read the easting"],
        "Only the text of a sentence that ends.",
        "The forums and committees have made cooperation routine.",
    ]
    # The consecutive numbered lines, and the spaced-out ones, are lists, not headings.
    html = render_markdown(lessons[2].body).html
    assert html.count("<ol") == 4 and "<h" not in html
    assert "Left out: nothing." in report_path(folder).read_text(encoding="utf-8")


# Bad files ----------------------------------------------------------------------


def _word_file_without(part: str) -> bytes:
    data = io.BytesIO()
    with (
        zipfile.ZipFile(DOCUMENTS / "word-document.docx") as source,
        zipfile.ZipFile(data, "w") as target,
    ):
        for member in source.infolist():
            if member.filename != part:
                target.writestr(member.filename, source.read(member))
    return data.getvalue()


def _word_file_with_broken_text() -> bytes:
    data = io.BytesIO()
    with (
        zipfile.ZipFile(DOCUMENTS / "word-document.docx") as source,
        zipfile.ZipFile(data, "w") as target,
    ):
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "word/document.xml":
                content = content[: len(content) // 2]
            target.writestr(member.filename, content)
    return data.getvalue()


BAD_FILES = {
    "a PDF": ("notes.pdf", b"%PDF-1.7\n", "not a kind of document a course is drafted from"),
    "too large": ("notes.txt", b"A line of text.\n" * 200_000, "larger than 2 MB"),
    "not UTF-8 text": ("notes.txt", "Défense\n".encode("latin-1"), "notes.txt:1: not UTF-8"),
    "not UTF-8 page": ("page.html", "<p>Défense</p>".encode("latin-1"), "not UTF-8"),
    "a page without text": (
        "page.html",
        b"<html><head><title>Home</title></head><body><script>go()</script></body></html>",
        "no article found in the page",
    ),
    "an empty text": ("notes.txt", b"\n\n", "holds no text to make lessons of"),
    "headings alone": ("notes.md", b"# Title\n\n## One\n\n## Two\n", "holds no text"),
    "binary junk as a page": ("page.html", bytes(range(256)) * 10, "not UTF-8"),
    "an encrypted Word file": (
        "locked.docx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000),
        "a Word file with a password",
    ),
    "not a zip": ("notes.docx", b"Just some text", "not a Word file"),
    "a truncated Word file": (
        "cut.docx",
        (DOCUMENTS / "word-document.docx").read_bytes()[:3000],
        "a damaged Word file",
    ),
    "a Word file without its text": (
        "empty.docx",
        _word_file_without("word/document.xml"),
        "not a Word file (no word/document.xml inside)",
    ),
    "a Word file with malformed XML": (
        "broken.docx",
        _word_file_with_broken_text(),
        "a damaged Word file",
    ),
}


@pytest.mark.parametrize("name,data,message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_written(
    tmp_path, name, data, message
):
    source = tmp_path / name
    source.write_bytes(data)
    folder = tmp_path / "draft"

    with pytest.raises(CommandError) as raised:
        draft(source, folder)

    assert message in str(raised.value)
    assert name in str(raised.value)
    assert not folder.exists()
    assert not report_path(folder).exists()


def test_a_folder_that_holds_files_is_not_written_over(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "course.yaml").write_text("slug: mine\n", encoding="utf-8")

    with pytest.raises(CommandError, match="not an empty folder"):
        draft(DOCUMENTS / "lecture-notes.md", folder)

    assert [p.name for p in folder.iterdir()] == ["course.yaml"]
    assert (folder / "course.yaml").read_text(encoding="utf-8") == "slug: mine\n"


# "New course from a document" in the admin ------------------------------------------


FROM_DOCUMENT = "admin:lessons_course_from_document"


def upload(client, name: str, data: bytes, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse(FROM_DOCUMENT), {"document": SimpleUploadedFile(name, data), **fields}
    )


@pytest.mark.parametrize("courses", [0, 20])
def test_the_upload_form_costs_the_same_few_queries_however_many_courses(
    client, ines, courses, django_assert_num_queries
):
    for number in range(courses):
        Course.objects.create(slug=f"c{number}", title=f"C{number}").instructors.add(ines)
    client.force_login(ines)
    # The session, the user, their permissions (two), the ids of the courses they teach.
    with django_assert_num_queries(5):
        response = client.get(reverse(FROM_DOCUMENT))
    assert response.status_code == 200
    assert "New course from a document" in response.content.decode()
    changelist = client.get(reverse("admin:lessons_course_changelist")).content.decode()
    assert f'href="{reverse(FROM_DOCUMENT)}"' in changelist


def test_an_instructor_drafts_a_course_from_a_word_file_and_reads_the_report(
    client, ines, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(ines)
    data = (DOCUMENTS / "word-document.docx").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "radio.docx", data)

    assert response.status_code == 200
    page = response.content.decode()
    course = Course.objects.get()
    assert course.title == "Radio Discipline for Section Commanders"
    assert course.status == Status.DRAFT
    assert list(course.instructors.all()) == [ines]
    assert [lesson.title for lesson in lessons_in_order(course)] == [
        "Introduction", "Principles", "Brevity", "Security", "Voice Procedure in Practice"
    ]  # fmt: skip
    # The report: the outline and what was left out, and where to go next.
    assert "3 modules, 5 lessons" in page
    # The picture is kept, so not listed as left out.
    assert "Two radio stations joined by a single channel" not in page
    assert Image.open(tmp_path / "figures" / str(course.pk) / "figure-1.png").format == "PNG"
    assert reverse("admin:lessons_course_change", args=[course.pk]) in page
    assert course.get_absolute_url() in page
    # The instructor teaches it: its page opens for them.
    assert client.get(reverse("admin:lessons_course_change", args=[course.pk])).status_code == 200


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("notes.pdf", b"%PDF-1.7\n", "notes.pdf: not a kind of document"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "with a password"),
        ("notes.txt", "Défense\n".encode("latin-1"), "notes.txt, line 1: not UTF-8"),
        ("page.html", b"<html><body><script>go()</script></body></html>", "no article"),
        ("big.md", b"x" * (3 * 2**20), "larger than 2 MB"),
    ],
)
def test_a_bad_document_is_a_form_error_and_creates_nothing(client, ines, name, data, message):
    client.force_login(ines)

    response = upload(client, name, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Course.objects.exists()


def test_a_document_whose_course_slug_is_taken_changes_nothing(client, ines):
    client.force_login(ines)
    upload(client, "notes.md", (DOCUMENTS / "lecture-notes.md").read_bytes(), slug="maps")
    course = Course.objects.get()

    response = upload(client, "other.txt", b"Other\n\nText.\n", slug="maps")

    assert "a course with the slug &#x27;maps&#x27; exists already" in response.content.decode()
    assert list(Course.objects.all()) == [course]
    assert Course.objects.get().title == "Map Reading for Junior Leaders"


def test_the_report_speaks_the_readers_language_and_marks_what_it_quotes(client, ines):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(ines)
    document = "# Radio\n\nSkip to content\n\n## Brevity\n\nSay it once.\n\n## Security\n"

    response = client.post(
        reverse(FROM_DOCUMENT),
        {"document": SimpleUploadedFile("radio.md", document.encode())},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    page = response.content.decode()
    [report] = lxml.html.fromstring(page).find_class("draft-report")
    assert report.text_content().split("\n")[:9] == [
        "Brouillon «\xa0Radio\xa0» tiré de radio.md (Markdown)\xa0: 1 module, 1 leçon, 1 passage.",
        "Avis du cours\xa0: aucun trouvé.",
        "",
        "Modules et leurs leçons\xa0:",
        "  1. Brevity",
        "     - Brevity",
        "",
        "Écartés (2)\xa0: vérifiez que rien de cela n’est du texte du document.",
        "  - ligne 3\xa0: Skip to content (un lien «\xa0aller au contenu\xa0»)",
    ]
    # What it quotes, the document's words, is marked as English.
    assert '<span lang="en">Skip to content</span>' in page
