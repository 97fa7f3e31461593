from pathlib import Path

import pytest

from lessons.course_folder import (
    CourseFormatError,
    CourseSpec,
    LessonSpec,
    ModuleSpec,
    read_course_folder,
    write_course_folder,
)

COURSE_YAML = """\
slug: demo
title: Demo course
sequential: true
status: published
modules:
- basics
"""
BASICS_MD = """\
---
title: Basics
objectives:
- Explain the basics.
---

# Welcome {#welcome}

First paragraph.

```
# not a lesson heading: inside a code block
```

# Second lesson {#second .draft}

Text.

# Third lesson {#third .preview}

Open to visitors.
"""


def make_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_reads_modules_and_lessons_from_headings(tmp_path):
    folder = make_folder(tmp_path, {"course.yaml": COURSE_YAML, "modules/basics.md": BASICS_MD})

    spec = read_course_folder(folder)

    assert spec.slug == "demo"
    assert spec.sequential is True
    [module] = spec.modules
    assert module.slug == "basics"
    assert module.objectives == ["Explain the basics."]
    assert [
        (lesson.slug, lesson.title, lesson.status, lesson.is_preview) for lesson in module.lessons
    ] == [
        ("welcome", "Welcome", "published", False),
        ("second", "Second lesson", "draft", False),
        ("third", "Third lesson", "published", True),
    ]
    assert "# not a lesson heading" in module.lessons[0].body


def test_written_folder_reads_back_equal_and_rewrites_identically(tmp_path):
    spec = CourseSpec(
        slug="demo",
        title="Demo: a course “with” quotes",
        summary="A summary long enough to be folded by the YAML writer " * 3,
        notice="⚠️ Check your sources.",
        modules=[
            ModuleSpec(
                slug="basics",
                title="Basics",
                objectives=["One.", "Two: with a colon."],
                quiz={"title": "Basics quiz", "pass_mark": 70},
                lessons=[
                    LessonSpec(slug="a", title="A", body="Para.\n\n- item"),
                    LessonSpec(slug="b", title="B", body="", status="draft"),
                    LessonSpec(slug="c", title="C", body="Open.", is_preview=True),
                    LessonSpec(slug="d", title="D", body="", status="draft", is_preview=True),
                ],
            )
        ],
    )
    first = tmp_path / "first"
    write_course_folder(spec, first)
    (first / "quizzes").mkdir()
    (first / "quizzes" / "basics.gift").write_text("Q{T}\n")

    basics = (first / "modules" / "basics.md").read_text()
    assert "# C {#c .preview}\n" in basics and "# D {#d .draft .preview}\n" in basics
    again = read_course_folder(first)
    again.quiz_files = {}
    assert again == spec

    second = tmp_path / "second"
    write_course_folder(read_course_folder(first), second)
    for path in first.rglob("*"):
        if path.is_file():
            assert (second / path.relative_to(first)).read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    ("files", "where", "message"),
    [
        ({"course.yaml": "slug: demo\ntitle: [unclosed\n"}, "course.yaml:2", "invalid YAML"),
        ({"course.yaml": "slug: demo\ntitle: D\ncolour: red\n"}, "course.yaml:3", "colour"),
        ({"course.yaml": COURSE_YAML}, "course.yaml:5", "modules/basics.md does not exist"),
        (
            {"course.yaml": COURSE_YAML, "modules/basics.md": "---\ntitle: B\n---\n\nStray.\n"},
            "basics.md:5",
            "text before the first lesson heading",
        ),
        (
            {
                "course.yaml": COURSE_YAML,
                "modules/basics.md": "---\ntitle: B\n---\n\n# A {#a}\n\n# B {#a}\n",
            },
            "basics.md:7",
            "lesson slug 'a' is already used",
        ),
        (
            {
                "course.yaml": COURSE_YAML,
                "modules/basics.md": "---\ntitle: B\n---\n\n# A {#a .open}\n",
            },
            "basics.md:5",
            "unknown lesson marker .open (known: .draft, .preview)",
        ),
        (
            {"course.yaml": COURSE_YAML, "modules/basics.md": "---\ntitle: B\nquiz: 3\n---\n"},
            "basics.md:3",
            "'quiz' must be a mapping",
        ),
        (
            {
                "course.yaml": COURSE_YAML,
                "modules/basics.md": "---\ntitle: B\n---\n",
                "quizzes/basics.gift": "Q{T}\n",
            },
            "basics.gift",
            "quiz file has no settings",
        ),
        (
            {
                "course.yaml": COURSE_YAML,
                "modules/basics.md": "---\ntitle: B\n---\n",
                "modules/extra.md": "---\ntitle: E\n---\n",
            },
            "extra.md",
            "not listed under 'modules'",
        ),
        (
            {
                "course.yaml": COURSE_YAML.replace("sequential", "language: French\nsequential"),
                "modules/basics.md": "---\ntitle: B\n---\n",
            },
            "course.yaml:3",
            "'language' must be a language tag",
        ),
    ],
)
def test_malformed_folders_name_the_file_and_line(tmp_path, files, where, message):
    folder = make_folder(tmp_path, files)

    with pytest.raises(CourseFormatError) as raised:
        read_course_folder(folder)

    assert where in str(raised.value)
    assert message in str(raised.value)


def test_the_course_language_is_read_and_written_only_when_not_english(tmp_path):
    english = make_folder(
        tmp_path / "en", {"course.yaml": COURSE_YAML, "modules/basics.md": BASICS_MD}
    )
    french_yaml = COURSE_YAML.replace("sequential", "language: fr\nsequential")
    french = make_folder(
        tmp_path / "fr", {"course.yaml": french_yaml, "modules/basics.md": BASICS_MD}
    )

    assert read_course_folder(english).language == "en"
    spec = read_course_folder(french)
    assert spec.language == "fr"
    write_course_folder(spec, tmp_path / "out-fr")
    write_course_folder(read_course_folder(english), tmp_path / "out-en")
    assert "language: fr\n" in (tmp_path / "out-fr" / "course.yaml").read_text(encoding="utf-8")
    assert "language" not in (tmp_path / "out-en" / "course.yaml").read_text(encoding="utf-8")
