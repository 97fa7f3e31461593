"""Hostile input: bad files get a clear error and write nothing; hostile content is made
harmless on the pages learners see.

Content attacks are asserted on the rendered pages (lesson, quiz attempt, result), by
walking every element of the HTML a learner's browser would get.
"""

import io
import re
import stat
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import course_io
from assessments.course_io import course_import, course_zip_extract, quiz_questions_import
from assessments.gift import GiftAnswer, GiftError, GiftQuestion, dump_gift, parse_gift
from assessments.models import Attempt, Choice, Question, Quiz
from lessons.course_folder import MAX_TEXT_BYTES, CourseFormatError, read_course_folder
from lessons.markdown import (
    MAX_LESSON_CHARS,
    MAX_RAW_HTML_TAGS,
    render_markdown,
    validate_lesson_body,
)
from lessons.models import Course, Lesson, Module
from lessons.tests.test_admin import as_read
from progress.services import enrollment_create, quiz_attempt_start
from tests.factories import (
    QuizFactory,
    UserFactory,
    essay_question,
    matching_question,
    short_question,
    single_question,
)

pytestmark = pytest.mark.django_db

# --- Building course folders and zips ---------------------------------------------------

COURSE_YAML = "slug: hostile\ntitle: Hostile course\nmodules:\n  - basics\n"
MODULE_MD = "---\ntitle: Basics\n---\n\n# Welcome {#welcome}\n\nHello.\n"


def write_folder(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def small_course(**overrides) -> dict[str, str | bytes]:
    return {"course.yaml": COURSE_YAML, "modules/basics.md": MODULE_MD, **overrides}


def zip_bytes(
    members: list[tuple[zipfile.ZipInfo | str, bytes]], compression=zipfile.ZIP_DEFLATED
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def course_zip(**extra: bytes) -> list[tuple[str, bytes]]:
    files = [(name, text.encode()) for name, text in small_course().items()]
    return files + list(extra.items())


def upload(data: bytes, name: str = "course.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def row_counts() -> dict[str, int]:
    models = (Course, Module, Lesson, Quiz, Question, Choice, Attempt)
    return {model.__name__: model.objects.count() for model in models}


# --- Walking rendered HTML ---------------------------------------------------------------

SAFE_SCHEMES = ("http:", "https:", "mailto:")


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each <script>."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def dangers(page: str, marker: str = "pwned") -> list[str]:
    """What in ``page`` would run or restyle the hostile content marked with ``marker``."""
    found = []
    parsed = Elements(page)
    for tag, attrs in parsed.tags:
        if tag in ("iframe", "svg", "math", "object", "embed", "base", "style") or (
            tag in ("img", "form", "meta") and marker in str(attrs)
        ):
            found.append(f"<{tag} {attrs}>")
        if tag == "script" and marker in attrs.get("src", ""):
            found.append(f"<script src={attrs['src']}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                scheme = "".join(value.split()).lower()
                if ":" in scheme.split("/")[0] and not scheme.startswith(SAFE_SCHEMES):
                    found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"position|url\(|expression|behavior", value):
                found.append(f"<{tag} style={value!r}>")
    found += [f"<script>{text}</script>" for text in parsed.scripts if marker in text]
    return found


def between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


# Each carries "pwned" so what survives can be told apart from the site's own markup.
ATTACKS = [
    "<script>alert('pwned')</script>",
    '<iframe src="https://evil.example/pwned"></iframe>',
    "<img src=x onerror=\"alert('pwned')\">",
    "<svg onload=\"alert('pwned')\"><circle r=9 /></svg>",
    "<svg><a xlink:href=\"javascript:alert('pwned')\"><text>svg link</text></a></svg>",
    "<a href=\"javascript:alert('pwned')\">js link</a>",
    "<a href=\"&#106;avascript:alert('pwned')\">entity link</a>",
    "<a href=\"jav&#x09;ascript:alert('pwned')\">tab link</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgncHduZWQnKTwvc2NyaXB0Pg==">data link</a>',
    "<a href=\"vbscript:msgbox('pwned')\">vb link</a>",
    '<a href="https://example.org/" onclick="alert(\'pwned\')">handler link</a>',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%">pwned cover</p>',
    '<table><tr><td style="position:fixed;inset:0">pwned cell</td></tr></table>',
    "<div onmouseover=\"alert('pwned')\">hover</div>",
    "<form action=\"javascript:alert('pwned')\"><button>go</button></form>",
    '<object data="https://evil.example/pwned.swf"></object>',
    "<style>body { display: none } /* pwned */</style>",
    "[md js](javascript:alert('pwned'))",
    "[md entity](&#106;avascript:alert('pwned'))",
    "[md vb](VBScript:msgbox('pwned'))",
    "[md data](data:text/html;base64,cHduZWQ=)",
    "![md image](javascript:alert('pwned'))",
    "![md svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+cHduZWQ8L3N2Zz4=)",
    "| pwned | table |\n|:--|--:|\n| a | b |",
]


def test_every_attack_is_made_harmless_by_the_renderer():
    for attack in ATTACKS:
        rendered = render_markdown(attack).html
        assert dangers(rendered) == [], attack
    # Markdown's own table alignment still works, as classes: no style is kept at all.
    table = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |").html
    assert '<td class="text-start">1</td>' in table
    assert '<td class="text-end">2</td>' in table
    assert "style=" not in "".join(render_markdown(attack).html for attack in ATTACKS)
    # A harmless link keeps its address.
    assert 'href="https://example.org/"' in render_markdown("[ok](https://example.org/)").html


def test_the_dangers_check_catches_unsanitised_html():
    # The check itself must see what it is there to see.
    for attack in ATTACKS[:15]:
        assert dangers(attack) != [], attack


# --- Hostile content through an import, on the learner's pages ----------------------------


def hostile_gift() -> str:
    text = " ".join(ATTACKS[:5])
    return dump_gift(
        [
            GiftQuestion(
                kind="single",
                title="Pick",
                text=f"Which is safe? {text}",
                explanation=f"Because {ATTACKS[6]} {ATTACKS[11]}",
                answers=[
                    GiftAnswer(f"Right {ATTACKS[0]}", Decimal(100), f"Yes {ATTACKS[2]}"),
                    GiftAnswer(f"Wrong {ATTACKS[3]}", Decimal(0), f"No {ATTACKS[5]}"),
                ],
            ),
            GiftQuestion(
                kind="short",
                title="Type",
                text=f"Type it {ATTACKS[7]}",
                answers=[GiftAnswer("safe", Decimal(100), f"Fine {ATTACKS[10]}")],
            ),
        ]
    )


@pytest.fixture
def hostile_course(tmp_path):
    lesson = "\n\n".join(ATTACKS)
    module = (
        "---\ntitle: Basics <script>alert('pwned')</script>\n"
        "quiz:\n  title: Check <img src=x onerror=alert('pwned')>\n  pass_mark: 100\n"
        # Keys, feedback and explanations on every result page, to see them escaped.
        "  review: after_each_attempt\n---\n\n"
        f"# Welcome <script>alert('pwned')</script> {{#welcome}}\n\n{lesson}\n"
    )
    course_yaml = (
        "slug: hostile\ntitle: \"Hostile <script>alert('pwned')</script>\"\n"
        "summary: <img src=x onerror=alert('pwned')>\n"
        "notice: <iframe src=https://evil.example/pwned></iframe>\n"
        "modules:\n  - basics\n"
    )
    folder = write_folder(
        tmp_path,
        {
            "course.yaml": course_yaml,
            "modules/basics.md": module,
            "quizzes/basics.gift": hostile_gift(),
        },
    )
    course, _ = course_import(folder)
    return course


def test_hostile_lesson_renders_harmless_on_the_lesson_page(client, learner, hostile_course):
    enrollment_create(learner=learner, course=hostile_course)
    client.force_login(learner)
    page = client.get(reverse("lesson_detail", args=["hostile", "welcome"])).content.decode()

    assert dangers(page) == []
    body = between(page, '<div class="lesson-body" lang="en">', "</article>")
    assert "hover" in body and "js link" in body  # the text is kept, the behaviour is not
    # Titles and the notice are shown as text.
    assert "Welcome &lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "&lt;iframe src=https://evil.example/pwned&gt;" in page


def test_hostile_gift_text_is_shown_as_text_on_the_quiz_and_result_pages(
    client, learner, hostile_course
):
    enrollment_create(learner=learner, course=hostile_course)
    quiz = hostile_course.quizzes.get()
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    client.force_login(learner)

    page = client.get(reverse("attempt_detail", args=[attempt.pk])).content.decode()
    assert dangers(page) == []
    assert "Which is safe? &lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "Right &lt;script&gt;" in page and "Wrong &lt;svg onload=" in page

    wrong = attempt.responses.get(slot=1).shown["choices"][1]["token"]
    posted = {"answers": "1", "q1": wrong, "q2": "unsafe", "confirm": "1"}
    response = client.post(reverse("attempt_submit", args=[attempt.pk]), posted, follow=True)
    result = response.content.decode()

    assert response.redirect_chain[-1][0] == reverse("attempt_result", args=[attempt.pk])
    assert dangers(result) == []
    # Feedback and the explanation reach the learner, escaped.
    assert "No &lt;a href=&quot;javascript:alert(" in result
    assert "Because &lt;a href=&quot;&amp;#106;avascript:" in result


# --- Zips ----------------------------------------------------------------------------------


def link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def encrypted_first(members: list[tuple[str, bytes]]) -> bytes:
    """A zip whose first member is marked encrypted (zipfile cannot write one)."""
    data = bytearray(zip_bytes(members))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + flags_at] |= 0x1
    return bytes(data)


@pytest.mark.parametrize(
    ("members", "error"),
    [
        (course_zip(**{"../evil.txt": b"x"}), "evil.txt: unsafe file name in the zip"),
        (course_zip(**{"modules/../../evil.txt": b"x"}), "evil.txt: unsafe file name"),
        (course_zip(**{"/tmp/evil.txt": b"x"}), "evil.txt: unsafe file name"),
        (course_zip(**{"C:/evil.txt": b"x"}), "evil.txt: unsafe file name"),
        (course_zip(**{"C:\\evil.txt": b"x"}), "unsafe file name"),
        ([*course_zip(), link("modules/extra.md", "/etc/passwd")], "extra.md: a link in the zip"),
        (encrypted_first(course_zip()), "course.yaml: encrypted"),
    ],
)
def test_unsafe_zip_entries_are_refused_before_anything_is_written(tmp_path, members, error):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    data = members if isinstance(members, bytes) else zip_bytes(members)
    with pytest.raises(CourseFormatError, match=error.replace(".", r"\.")):
        course_zip_extract(upload(data), folder)
    assert list(folder.rglob("*")) == []
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bombs_are_refused_by_ratio_size_total_and_count(tmp_path, monkeypatch):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    zeros = b"\0" * (1024 * 1024)  # a megabyte of zeros deflates to about a kilobyte
    with pytest.raises(CourseFormatError, match="compressed more than 100 times"):
        course_zip_extract(upload(zip_bytes(course_zip(**{"bomb.md": zeros}))), folder)

    big = bytes(range(256)) * (course_io.ZIP_MAX_FILE_BYTES // 256 + 1)
    stored = zip_bytes(course_zip(**{"big.md": big}), zipfile.ZIP_STORED)
    with pytest.raises(CourseFormatError, match=r"big\.md: larger than 5 MB unpacked"):
        course_zip_extract(upload(stored), folder)

    # The total and the count, with the limits made small so the test stays small.
    monkeypatch.setattr(course_io, "ZIP_MAX_UNPACKED_BYTES", 100)
    with pytest.raises(CourseFormatError, match="more than 0 MB unpacked"):
        course_zip_extract(upload(zip_bytes(course_zip())), folder)
    monkeypatch.undo()
    monkeypatch.setattr(course_io, "ZIP_MAX_MEMBERS", 1)
    with pytest.raises(CourseFormatError, match="more than 1 files"):
        course_zip_extract(upload(zip_bytes(course_zip())), folder)
    assert list(folder.rglob("*")) == []
    assert course_io.ZIP_MAX_UNPACKED_BYTES == 20 * 1024 * 1024  # restored: the real limit


def test_an_oversized_upload_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(course_io, "ZIP_MAX_BYTES", 10)
    with pytest.raises(CourseFormatError, match="larger than 0 MB"):
        course_zip_extract(upload(zip_bytes(course_zip())), tmp_path)


def test_damaged_and_non_zip_files_get_a_clear_message(tmp_path):
    good = zip_bytes(course_zip())
    with pytest.raises(CourseFormatError, match="not a zip file, or a damaged one"):
        course_zip_extract(upload(b"PK\x03\x04 this is not really a zip"), tmp_path)
    with pytest.raises(CourseFormatError, match="not a zip file, or a damaged one"):
        course_zip_extract(upload(good[: len(good) // 2]), tmp_path)
    # A changed byte inside a file's data: the checksum notices.
    stored = zip_bytes(course_zip(), zipfile.ZIP_STORED)
    at = stored.index(b"slug: hostile")
    damaged = stored[:at] + b"X" + stored[at + 1 :]
    with pytest.raises(CourseFormatError, match="cannot unpack: Bad CRC-32"):
        course_zip_extract(upload(damaged), tmp_path / "x")
    # A compression method zipfile does not know (found by tests/test_fuzz.py).
    unknown = bytearray(good)
    for signature, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        unknown[unknown.index(signature) + method_at] = 99
    with pytest.raises(CourseFormatError, match=r"cannot unpack: .*compression method"):
        course_zip_extract(upload(bytes(unknown)), tmp_path / "y")


def test_admin_refuses_a_zip_slip_upload_with_a_message_and_writes_nothing(client, ines):
    client.force_login(ines)
    before = row_counts()
    archive = upload(zip_bytes(course_zip(**{"../../evil.txt": b"x"})))
    response = client.post(reverse("admin:lessons_course_import"), {"archive": archive})

    assert response.status_code == 200
    assert as_read(response.context["form"].errors["archive"]) == [
        "evil.txt: unsafe file name in the zip"
    ]
    assert row_counts() == before


# --- Course files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            small_course(**{"modules/basics.md": MODULE_MD.encode() + b"\n\xff\xfe oops\n"}),
            r"basics\.md:9: not UTF-8 text \(invalid start byte at byte \d+\)",
        ),
        (
            small_course(**{"modules/basics.md": MODULE_MD + "Null\0here\n"}),
            r"basics\.md:8: contains a NUL character",
        ),
        (
            small_course(**{"modules/basics.md": MODULE_MD + "x" * MAX_TEXT_BYTES}),
            r"basics\.md: larger than 2 MB",
        ),
        (
            small_course(
                **{
                    "course.yaml": COURSE_YAML
                    + 'summary: &a ["lol", "lol"]\nnotice: &b [*a, *a, *a, *a, *a]\n'
                }
            ),
            r"course\.yaml:6: YAML aliases \(\*name\) are not allowed",
        ),
        (
            small_course(**{"course.yaml": COURSE_YAML + "summary: " + "[" * 50_000}),
            r"course\.yaml:\d+: invalid YAML: .*nesting depth",
        ),
        (
            small_course(**{"course.yaml": COURSE_YAML + "summary: " + "9" * 5000}),
            r"course\.yaml: invalid YAML: Exceeds the limit",
        ),
        (
            small_course(**{"course.yaml": COURSE_YAML + 'summary: "a\\0b"\n'}),
            r"course\.yaml: a value contains a NUL character",
        ),
        (
            small_course(
                **{"course.yaml": "slug: hostile\ntitle: T\nmodules:\n  - ../../secret\n"}
            ),
            r"course\.yaml:3: module slug '\.\./\.\./secret' may hold only",
        ),
        (
            small_course(
                **{
                    "modules/basics.md": MODULE_MD.replace(
                        "title: Basics", "title: Basics\nquiz:\n  title: Q\n  pass_mark: .inf"
                    ),
                    "quizzes/basics.gift": "Q{T}\n",
                }
            ),
            r"basics\.md: inf is not a usable number",
        ),
        (
            small_course(
                **{
                    "modules/basics.md": MODULE_MD
                    + "\n# Long {#long}\n\n"
                    + "word " * (MAX_LESSON_CHARS // 5 + 1)
                }
            ),
            rf"basics\.md:9: This lesson is {MAX_LESSON_CHARS + 5:,} characters long, more than "
            rf"the {MAX_LESSON_CHARS:,} a lesson may hold: split it into several lessons",
        ),
    ],
    ids=[
        "invalid-utf8",
        "nul",
        "huge-file",
        "yaml-aliases",
        "yaml-nesting",
        "huge-integer",
        "yaml-nul-escape",
        "module-slug-traversal",
        "infinite-number",
        "huge-lesson",
    ],
)
def test_bad_course_files_are_refused_with_file_and_line_and_write_nothing(tmp_path, files, error):
    folder = write_folder(tmp_path / "course", files)
    (tmp_path / "secret.md").write_text("---\ntitle: Secret\n---\n")
    before = row_counts()
    with pytest.raises(CourseFormatError, match=error):
        course_import(folder)
    assert row_counts() == before


def test_deeply_nested_markdown_renders_without_crashing():
    quotes = render_markdown("> " * 100_000 + "deep")
    lists = render_markdown("\n".join("  " * depth + "- item" for depth in range(3000)))
    emphasis = render_markdown("*" * 50_000 + "x" + "*" * 50_000)

    assert quotes.html.count("<blockquote") <= 25  # markdown-it stops nesting at 20
    assert "<li>" in lists.html
    assert "x" in emphasis.html


def at_the_limit(unit: str) -> str:
    return (unit * (MAX_LESSON_CHARS // len(unit) + 1))[:MAX_LESSON_CHARS]


def table(columns: int) -> str:
    row = "|" + "a|" * columns + "\n"
    return at_the_limit(row + "|" + "-|" * columns + "\n" + row * 1000)


# The costliest Markdown found for its length; their render times at the limit are in
# docs/security.md ("Bad input").
HOSTILE_AT_THE_LIMIT = {
    "brackets": at_the_limit("["),
    "image-brackets": at_the_limit("!["),
    "open-links": at_the_limit("[]("),
    "bracket-emphasis": at_the_limit("[*"),
    "emphasis-pairs": at_the_limit("*a"),
    "emphasis-run": at_the_limit("*" * (MAX_LESSON_CHARS // 2 - 1) + "x" + "*" * MAX_LESSON_CHARS),
    "backticks": at_the_limit("`"),
    "angle-brackets": at_the_limit("<"),
    "entities": at_the_limit("&#"),
    "nested-quotes": at_the_limit("> "),
    "nested-lists": at_the_limit("".join("  " * depth + "- item\n" for depth in range(400))),
    "flat-list": at_the_limit("- a\n"),
    "headings": at_the_limit("# a\n"),
    "link-definitions": at_the_limit("[pwned]: javascript:alert(1)\n[pwned] "),
    "table-columns": table(columns=2000),
    "table-rows": table(columns=2),
    "raw-html": at_the_limit('<a href="javascript:pwned()" onclick="pwned()">'),
}


@pytest.mark.parametrize("body", HOSTILE_AT_THE_LIMIT.values(), ids=HOSTILE_AT_THE_LIMIT.keys())
def test_hostile_markdown_at_the_size_limit_is_accepted_and_renders_harmless(body):
    assert len(body) == MAX_LESSON_CHARS
    validate_lesson_body(body)  # at the limit: accepted

    rendered = render_markdown(body)

    assert rendered.html.strip()
    assert dangers(rendered.html) == []


def test_masses_of_raw_html_are_shown_as_text_rather_than_sanitised():
    # Sanitising tens of thousands of nested tags takes seconds; past the limit the raw
    # HTML is escaped instead, which is as safe and fast.
    nested = render_markdown("<div>" * (MAX_RAW_HTML_TAGS + 1) + "pwned")
    assert nested.html.startswith('<p id="passage-1">&lt;div&gt;&lt;div&gt;')
    assert dangers(nested.html) == []
    few = render_markdown("<abbr title='Hypertext'>HTML</abbr> is fine")
    assert "<abbr" in few.html


def test_a_module_file_with_a_large_dense_lesson_body_is_read(tmp_path):
    body = "<b>x</b> " * (MAX_LESSON_CHARS // 10)  # dense markup, under the lesson limit
    folder = write_folder(
        tmp_path, small_course(**{"modules/basics.md": MODULE_MD + "\n" + body + "\n"})
    )
    spec = read_course_folder(folder)
    assert spec.modules[0].lessons[0].body.rstrip().endswith("<b>x</b>")


# --- GIFT ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Q {=a ~b\n", r"3: '\{' is not closed"),
        ("Q =a ~b}\n", r"3: '\}' without an opening '\{'"),
        ("Q {=a {~b}}\n", r"3: a question has one answer block"),
        ("Q {#" + "9" * 50 + "e9999}\n", r"3: numerical answer .* is not a number"),
        ("Q {@weird}\n", r"3: unexpected '@weird' in the answer block"),
        ("Q {~%500%a =b}\n", r"3: answer weight 500% is outside -100\.\.100"),
        ("Q {~%x%a ~b}\n", r"3: answer weight 'x' is not a number"),
        ("::Q\n{T}\n", r"3: the title is not closed"),
    ],
)
def test_bad_gift_is_refused_with_its_line(text, error):
    with pytest.raises(GiftError, match=error):
        parse_gift("// a comment\n\n" + text, source="quiz.gift")


@pytest.mark.parametrize(
    "text",
    [
        "// points: " + "9" * 40 + "\nQ {T}\n",
        "Q {#" + "9" * 40 + "}\n",
        "Q {#1:" + "9" * 40 + "}\n",
        "Q {#1e999}\n",
    ],
)
def test_gift_numbers_no_column_holds_are_refused_and_write_nothing(text):
    quiz = QuizFactory()
    single_question(quiz=quiz)
    before = row_counts()
    with pytest.raises(CourseFormatError, match=r"quiz\.gift"):
        quiz_questions_import(quiz, text, source="quiz.gift")
    assert row_counts() == before


def test_admin_gift_upload_that_is_not_utf8_names_the_line_and_changes_nothing(client, ines):
    quiz = QuizFactory()
    quiz.course.instructors.add(ines)
    single_question(quiz=quiz, text="Kept")
    client.force_login(ines)
    before = row_counts()
    data = b"Q1 {T}\n\nQ2 {F}\n\nQ3 " + "É {T}\n".encode("latin-1")
    response = client.post(
        reverse("admin:assessments_quiz_import_gift", args=[quiz.pk]),
        {"file": SimpleUploadedFile("quiz.gift", data)},
    )
    (message,) = as_read(response.context["form"].errors["file"])
    assert message.startswith(
        "quiz.gift, line 5: not UTF-8 text (invalid continuation byte at byte"
    )
    assert row_counts() == before
    assert quiz.questions.get().text == "Kept"


# --- Control characters in what people type -----------------------------------------------
# PostgreSQL refuses NUL in text; the other controls (bell, escape, DEL, C1) are invisible
# and break exports. Everywhere a learner or an instructor types, they get a form error.

CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]
REFUSED = "remove the invisible control character"


@pytest.fixture
def typed_answers_quiz():
    quiz = QuizFactory(max_attempts=None)
    short_question(quiz=quiz, position=1)
    essay_question(quiz=quiz, position=2)
    matching_question(quiz=quiz, position=3)
    return quiz


@pytest.fixture
def answering(client, learner, typed_answers_quiz):
    enrollment_create(learner=learner, course=typed_answers_quiz.course)
    client.force_login(learner)
    return quiz_attempt_start(learner=learner, quiz=typed_answers_quiz)


def saved_answers(attempt) -> list:
    return list(attempt.responses.order_by("slot").values_list("answer", flat=True))


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_a_typed_answer_with_a_control_character_gets_a_form_error_and_is_not_saved(
    client, answering, control
):
    attempt = answering
    # The page names the item by its token.
    (helsinki,) = [c["token"] for c in attempt.responses.get(slot=3).shown["choices"][:1]]
    typed = f"Hel{control}sinki"
    save, page = (
        reverse("response_save", args=[attempt.pk, 1]),
        reverse("attempt_detail", args=[attempt.pk]),
    )

    autosaved = client.post(save, {"q1": typed}, headers={"HX-Request": "true"})
    essay = client.post(
        reverse("response_save", args=[attempt.pk, 2]),
        {"q2": typed},
        headers={"HX-Request": "true"},
    )
    no_js = client.post(save, {"q1": typed}, follow=True)
    whole_page = client.post(
        page, {"answers": "1", "q1": typed, "q2": typed, f"q3-{helsinki}": f"Fin{control}land"}
    )

    assert REFUSED in autosaved.content.decode().lower()
    assert REFUSED in essay.content.decode().lower()
    assert any(REFUSED in str(m).lower() for m in no_js.context["messages"])
    assert whole_page.status_code == 200
    assert whole_page.content.decode().lower().count(REFUSED) == 2
    assert "Pick an answer from the list" in whole_page.content.decode()
    assert saved_answers(attempt) == [None, None, None]


@pytest.fixture
def teaching(client):
    from tests.factories import CourseFactory, make_instructor

    course = CourseFactory()
    instructor = make_instructor("teacher")
    course.instructors.add(instructor)
    enrollment_create(learner=UserFactory(first_name="Ada"), course=course)
    client.force_login(instructor)
    return course


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_the_learner_search_with_a_control_character_says_so_and_lists_nobody(
    client, teaching, control
):
    response = client.get(reverse("teach_course", args=[teaching.slug]), {"q": f"A{control}da"})

    assert response.status_code == 200
    assert REFUSED in response.content.decode().lower()
    assert "No learners match." in response.content.decode()


SIGNUP = {
    "username": "amara",
    "first_name": "Amara",
    "last_name": "Okafor",
    "email": "amara@example.org",
    "password1": "a long passphrase 2026",
    "password2": "a long passphrase 2026",
}


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
@pytest.mark.parametrize("field", ["username", "first_name", "last_name", "email"])
def test_sign_up_with_a_control_character_gets_a_form_error_and_makes_no_account(
    client, field, control
):
    response = client.post(
        "/accounts/signup/", {**SIGNUP, field: SIGNUP[field][:3] + control + SIGNUP[field][3:]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not get_user_model().objects.filter(email__startswith="ama").exists()


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_login_and_password_reset_with_a_control_character_get_a_form_error(client, control):
    UserFactory(username="amara", email="amara@example.org")

    login = client.post(reverse("login"), {"username": f"ama{control}ra", "password": "x"})
    reset = client.post(reverse("password_reset"), {"email": f"ama{control}ra@example.org"})

    assert login.status_code == 200 and login.context["form"].errors
    assert reset.status_code == 200 and reset.context["form"].errors["email"]


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_the_admin_refuses_a_control_character_in_a_form_and_its_inlines(
    client, admin_user, control
):
    from lessons.tests.test_admin import form_data
    from tests.factories import CourseFactory, ModuleFactory

    course = CourseFactory(title="Negotiation")
    ModuleFactory(course=course, title="Basics", position=1)
    last_name = admin_user.last_name
    client.force_login(admin_user)
    change = reverse("admin:lessons_course_change", args=[course.pk])
    data = form_data(client.get(change))

    in_form = client.post(change, {**data, "title": f"Nego{control}tiation"})
    in_inline = client.post(change, {**data, "modules-0-title": f"Ba{control}sics"})
    account = reverse("admin:auth_user_change", args=[admin_user.pk])
    in_account = client.post(
        account, {**form_data(client.get(account)), "last_name": f"Love{control}lace"}
    )

    for response in (in_form, in_inline, in_account):
        assert response.status_code == 200
        assert REFUSED in response.content.decode().lower()
    course.refresh_from_db()
    assert course.title == "Negotiation"
    assert course.modules.get().title == "Basics"
    admin_user.refresh_from_db()
    assert admin_user.last_name == last_name


def every_admin_form(request):
    """The add and change forms of every model registered in the admin, and of its inlines."""
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        for obj in (None, model_admin.get_queryset(request).first()):
            yield model.__name__, model_admin.get_form(request, obj)
            for inline in model_admin.get_inline_instances(request, obj):
                form = inline.get_formset(request, obj).form
                yield f"{model.__name__} inline {inline.model.__name__}", form


def test_every_text_field_of_every_admin_form_refuses_control_characters(rf, admin_user):
    from django import forms
    from django.core.exceptions import ValidationError

    from tests.factories import LessonFactory

    single_question(quiz=QuizFactory(), lesson=LessonFactory())  # a change form of each
    request = rf.get("/admin/")
    request.user = admin_user
    checked = []
    for name, form in every_admin_form(request):
        for field_name, field in form.base_fields.items():
            # Passwords are hashed, never stored as text: any character may be in one.
            if not isinstance(field, forms.CharField) or isinstance(
                field.widget, forms.PasswordInput
            ):
                continue
            checked.append(f"{name}.{field_name}")
            with pytest.raises(ValidationError):
                field.clean("x\x07y")
    assert "Course.title" in checked and "Question inline Choice.feedback" in checked
    assert "User.first_name" in checked and "Group.name" in checked


@pytest.mark.parametrize(
    ("control", "message", "listed"),
    [
        # Django's own search form drops a search with NUL, says so, and lists everything.
        ("\x00", "null characters are not allowed", 1),
        ("\x07", REFUSED, 0),
        ("\x85", REFUSED, 0),
    ],
)
def test_the_admin_search_with_a_control_character_says_so(
    client, admin_user, control, message, listed
):
    from tests.factories import CourseFactory

    CourseFactory(title="Negotiation")
    client.force_login(admin_user)

    response = client.get(reverse("admin:lessons_course_changelist"), {"q": f"Ne{control}go"})

    assert response.status_code == 200
    assert message in response.content.decode().lower()
    assert response.context["cl"].result_count == listed
