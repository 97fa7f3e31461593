"""The intake's rules on small documents: what is a heading, a list, a notice, debris, and
how lessons are grouped. Whole documents of each kind are read in tests/test_course_drafts.py."""

import io

import docx
import pytest
from PIL import Image

from lessons.course_folder import module_markdown
from lessons.intake import DocumentError, course_draft_from_bytes
from lessons.intake.outline import balanced_groups
from lessons.markdown import MAX_LESSON_CHARS, render_markdown


def draft_text(text: str, name: str = "notes.txt"):
    return course_draft_from_bytes(text.encode(), name=name)


def bodies(spec) -> list[str]:
    return [lesson.body for module in spec.modules for lesson in module.lessons]


def test_plain_text_headings_are_short_lines_alone_that_do_not_end_as_sentences():
    spec, _ = draft_text(
        "Field Notes\n\nIntro text.\n\nFirst Part\n\nIt ends with a full stop.\n\n"
        "Is this a heading?\n\n“A quotation that ends.”\n\nSecond Part\n\nMore text.\n"
    )
    assert spec.title == "Field Notes"
    lessons = [lesson.title for m in spec.modules for lesson in m.lessons]
    assert lessons == ["Introduction", "First Part", "Second Part"]
    assert bodies(spec)[1] == (
        "It ends with a full stop.\n\nIs this a heading?\n\n“A quotation that ends.”"
    )


def test_plain_text_lists_keep_their_items_and_wrapped_lines_and_end_at_the_margin():
    spec, report = draft_text(
        "Title\n\nText.\n\n"
        "• one\n  still one\n• two\nSee also: another page\n\n"
        "1. first\n2. second\n\n- again\n- and again\n"
    )
    [body] = bodies(spec)
    assert body == (
        "Text.\n\n- one\n  still one\n- two\n\n1. first\n2. second\n\n* again\n* and again"
    )
    html = render_markdown(body).html
    # Three lists, not one: a list after a list of its kind takes other markers.
    assert html.count("<ul") == 2 and html.count("<ol") == 1
    assert "<li>one\nstill one</li>" in html
    assert [item.text for item in report.left_out] == ["See also: another page"]


def test_lists_in_a_row_alternate_their_markers_so_each_stays_a_list_of_its_own():
    spec, _ = draft_text("Title\n\n1. a\n\n2. b\n\n3. c\n\n- d\n\n- e\n")
    [body] = bodies(spec)
    assert body == "1. a\n\n2) b\n\n3. c\n\n- d\n\n* e"
    assert render_markdown(body).html.count("<li>") == 5
    assert render_markdown(body).passage_count == 5


def test_lists_that_only_debris_separates_stay_two_lists():
    spec, report = draft_text("Title\n\nText.\n\n- a\n- b\n\nSee also: another page\n\n- c\n")
    [body] = bodies(spec)
    assert body == "Text.\n\n- a\n- b\n\n* c"
    assert render_markdown(body).passage_count == 3
    assert [item.text for item in report.left_out] == ["See also: another page"]


def test_plain_text_that_markdown_would_read_as_markup_is_escaped_to_show_as_written():
    text = "# is no heading, > no quote.\nA *star* and <b>tag</b> & a_b [not a link](x)."
    spec, _ = draft_text(f"Title\n\n{text}\n")
    [body] = bodies(spec)
    rendered = render_markdown(body).html
    assert "<h1" not in rendered and "<blockquote" not in rendered and "<em>" not in rendered
    assert "<b>" not in rendered and "<a" not in rendered
    assert "# is no heading, &gt; no quote." in rendered
    assert "*star* and &lt;b&gt;tag&lt;/b&gt; &amp; a_b [not a link](x)." in rendered


@pytest.mark.parametrize(
    "line,reason",
    [
        ("Skip to main content", "skip to content"),
        ("See also  The next article", "see also"),
        ("Related articles", "other articles"),
        ("Read more: the follow-up", "other articles"),
        ("Share this: Facebook Twitter LinkedIn", "share buttons"),
        ("We use cookies. By continuing to browse you agree to their use.", "cookie"),
        ("Back to top ↑", "back to top"),
        ("Advertisement", "advertisement"),
    ],
)
def test_page_debris_is_left_out_and_listed(line, reason):
    spec, report = draft_text(f"Title\n\nText.\n\n{line}\n\nMore text.\n")
    assert bodies(spec) == ["Text.\n\nMore text."]
    [left_out] = report.left_out
    assert (left_out.text, left_out.line) == (line, 5)
    assert reason in left_out.reason


def test_text_that_mentions_debris_words_is_kept():
    paragraph = "Share this insight with your section: see also the annex, and read more at night."
    spec, report = draft_text(f"Title\n\n{paragraph}\n")
    assert bodies(spec) == [paragraph]
    assert report.left_out == []


def test_a_notice_before_the_first_section_is_the_course_notice_and_a_note_in_a_section_is_text():
    spec, report = draft_text(
        "Title\n\nNote: Training use only.\n\nText.\n\nPart\n\nNote: this part is short.\n\n"
        "Disclaimer: Views are the author's.\n\nNote: Training use only.\n"
    )
    assert spec.notice == report.notice == "Note: Training use only."
    assert bodies(spec) == [
        "Text.",
        "Note: this part is short.\n\nDisclaimer: Views are the author's.",
    ]
    assert [(item.text, item.reason) for item in report.left_out] == [
        ("Note: Training use only.", "repeats the course notice")
    ]


def test_one_level_of_headings_gives_modules_of_balanced_length():
    sections = "".join(f"Part {n}\n\n{'Words. ' * (10 * n)}\n\n" for n in range(1, 10))
    spec, _ = draft_text(f"Title\n\n{sections}")
    sizes = [len(module.lessons) for module in spec.modules]
    assert sizes == [4, 3, 2]  # the later parts are longer: fewer of them in a module
    assert [module.title for module in spec.modules] == ["Part 1", "Part 5", "Part 8"]


def test_balanced_groups_even_out_lengths_within_one_of_an_even_share():
    assert balanced_groups([10] * 18, 6) == [3] * 6
    assert balanced_groups([1, 1, 1, 1, 1, 30], 2) == [4, 2]
    assert balanced_groups([5], 3) == [1]


def test_a_section_longer_than_a_lesson_may_be_is_split_between_paragraphs():
    paragraph = "A sentence of some length that fills the lesson up. " * 40
    count = MAX_LESSON_CHARS // len(paragraph) + 5
    spec, report = draft_text("Title\n\nLong Part\n\n" + "\n\n".join([paragraph.strip()] * count))
    lessons = [lesson for module in spec.modules for lesson in module.lessons]
    assert [lesson.title for lesson in lessons] == ["Long Part", "Long Part (part 2)"]
    assert all(len(lesson.body) <= MAX_LESSON_CHARS for lesson in lessons)
    assert sum(lesson.body.count("A sentence") for lesson in lessons) == 40 * count
    assert "split into 2 lessons" in report.warnings[0]


def test_headings_with_the_same_title_get_slugs_of_their_own():
    spec, _ = draft_text("Title\n\nSummary\n\nOne.\n\nSummary\n\nTwo.\n")
    slugs = [lesson.slug for module in spec.modules for lesson in module.lessons]
    assert slugs == ["summary", "summary-2"]
    assert "{#summary-2}" in module_markdown(spec.modules[0])


def test_markdown_in_two_levels_gives_a_module_per_first_level_heading():
    spec, _ = draft_text(
        "## A\n\nA's own text.\n\n### A1\n\nText.\n\n## B\n\n### B1\n\nText.\n\n### B2\n\nText.\n",
        name="notes.md",
    )
    assert [(m.title, [lesson.title for lesson in m.lessons]) for m in spec.modules] == [
        ("A", ["A", "A1"]),
        ("B", ["B1", "B2"]),
    ]
    assert spec.title == "Notes"  # no title in the file: its name


def test_a_bad_slug_is_refused():
    with pytest.raises(DocumentError, match="may hold only lower-case"):
        course_draft_from_bytes(b"Title\n\nText.\n", name="notes.txt", slug="Not A Slug")


def word_file_with_picture(image_format: str, description: str) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 90, 0)).save(picture, image_format)
    picture.seek(0)
    document = docx.Document()
    document.add_heading("Maps", level=1)
    document.add_paragraph("A map shows the ground from above.")
    document.add_picture(picture)
    document.paragraphs[-1].runs[0]._r.xpath(".//wp:docPr")[0].set("descr", description)
    document.add_paragraph("Figure 1. A green field.", style="Caption")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_files_picture_is_kept_checked_and_re_encoded_in_media():
    spec, report = course_draft_from_bytes(
        word_file_with_picture("JPEG", "A green field"), name="maps.docx"
    )
    [figure] = spec.figures.values()
    assert figure.name == "figure-1.jpg"
    assert Image.open(io.BytesIO(figure.data)).format == "JPEG"
    [body] = bodies(spec)
    assert "![A green field](media/figure-1.jpg)" in body
    assert "A green field" not in str(report)  # nothing left out


def test_a_word_picture_courseware_cannot_show_is_left_out_with_its_caption_and_why():
    spec, report = course_draft_from_bytes(
        word_file_with_picture("BMP", "A green field"), name="maps.docx"
    )
    assert spec.figures == {}
    [body] = bodies(spec)
    assert "media/" not in body and "Figure 1." not in body
    listed = str(report)
    assert "“A green field”" in listed and "a picture of type image/bmp" in listed
    assert "Figure 1. A green field." in listed
