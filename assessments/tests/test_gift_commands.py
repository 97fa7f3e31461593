"""The import_gift and export_gift commands."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from assessments.course_io import course_import
from assessments.models import Quiz
from lessons.models import Status
from tests.factories import course_with_modules

pytestmark = pytest.mark.django_db

COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"

GIFT = """$CATEGORY: capitals

// lesson: lesson-1#passage-2
// points: 2
::Capital::Capital of Finland?{
\t=Helsinki
\t~Turku#Once, but not now.
}

::Sure::Helsinki is a capital.{T}

::Pairs::Match them.{
\t=Helsinki -> Finland
\t=Tallinn -> Estonia
}
"""


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def course():
    """One module of two lessons (slugs lesson-1, lesson-2 when created first), no quizzes."""
    return course_with_modules(modules=1, lessons=2, module_quizzes=False, final_exam=False)


@pytest.fixture
def gift_file(tmp_path, course):
    lesson = course.lessons.order_by("position").first()
    path = tmp_path / "capitals.gift"
    path.write_text(GIFT.replace("lesson-1", lesson.slug), encoding="utf-8")
    return path


def test_import_gift_creates_the_module_quiz_as_a_draft(course, gift_file):
    module = course.modules.get()

    out = run("import_gift", str(gift_file), "--course", course.slug, "--module", module.slug)

    quiz = Quiz.objects.get(module=module)
    assert (quiz.kind, quiz.slug, quiz.status) == ("module", module.slug, Status.DRAFT)
    assert f"Created “{module.title} quiz” (draft) in {course.slug}" in out
    assert "3 questions: 1 single choice, 1 true/false, 1 matching" in out
    assert "publish it when it is ready" in out
    capital = quiz.questions.get(title="Capital")
    assert (capital.category, capital.points, capital.passage) == ("capitals", 2, 2)
    assert capital.lesson == course.lessons.order_by("position").first()
    assert [c.feedback for c in capital.choices.all()] == ["", "Once, but not now."]


def test_import_gift_again_updates_questions_in_place(course, gift_file):
    module = course.modules.get()
    run("import_gift", str(gift_file), "--course", course.slug, "--module", module.slug)
    quiz = Quiz.objects.get(module=module)
    ids = dict(quiz.questions.values_list("title", "pk"))
    gift_file.write_text(
        gift_file.read_text().replace("Capital of Finland?", "Which city is the capital?"),
        encoding="utf-8",
    )

    out = run("import_gift", str(gift_file), "--course", course.slug, "--module", module.slug)

    assert f"Updated “{quiz.title}” (draft)" in out
    assert "1 question updated" in out
    assert dict(quiz.questions.values_list("title", "pk")) == ids
    assert quiz.questions.get(title="Capital").text == "Which city is the capital?"


def test_import_gift_without_a_module_makes_the_final_exam(course, gift_file):
    out = run("import_gift", str(gift_file), "--course", course.slug)

    exam = course.quizzes.get(kind=Quiz.Kind.FINAL)
    assert (exam.slug, exam.title, exam.module) == ("final-exam", "Final exam", None)
    assert exam.questions.count() == 3
    assert "Created “Final exam” (draft)" in out


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("::A::Fine?{T}\n\n::B::Broken{=\n", ":3: '{' is not closed"),
        ("::A::Fine?{T}\n\n// lesson: nowhere\n::B::Q?{T}\n", ":4: no lesson 'nowhere'"),
        ("::A::Q?{=one}\n\n::B::Q{~a ~b}\n", ":3: "),
    ],
)
def test_a_bad_file_names_file_and_line_and_writes_nothing(course, tmp_path, text, error):
    path = tmp_path / "bad.gift"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        run(
            "import_gift",
            str(path),
            "--course",
            course.slug,
            "--module",
            course.modules.get().slug,
        )

    assert str(raised.value).startswith(f"{path}{error}")
    assert not Quiz.objects.exists()


def test_a_bad_file_leaves_an_existing_quiz_as_it_was(course, gift_file, tmp_path):
    run("import_gift", str(gift_file), "--course", course.slug)
    exam = course.quizzes.get()
    before = list(exam.questions.values_list("pk", "title", "text", "position"))
    bad = tmp_path / "bad.gift"
    bad.write_text("::New::One?{T}\n\n::Broken::Q{=\n", encoding="utf-8")

    with pytest.raises(CommandError):
        run("import_gift", str(bad), "--course", course.slug)

    assert list(exam.questions.values_list("pk", "title", "text", "position")) == before


def test_import_gift_refuses_unknown_course_module_or_file(course, gift_file, tmp_path):
    with pytest.raises(CommandError, match="No course with the slug 'nope'"):
        run("import_gift", str(gift_file), "--course", "nope")
    with pytest.raises(CommandError, match="No module with the slug 'nope'"):
        run("import_gift", str(gift_file), "--course", course.slug, "--module", "nope")
    with pytest.raises(CommandError, match=r"missing\.gift: cannot read it"):
        run("import_gift", str(tmp_path / "missing.gift"), "--course", course.slug)
    latin1 = tmp_path / "latin1.gift"
    latin1.write_bytes("::É::Q?{T}\n".encode("latin-1"))
    with pytest.raises(
        CommandError,
        match=r"latin1\.gift:1: not UTF-8 text \(invalid continuation byte at byte 3\)",
    ):
        run("import_gift", str(latin1), "--course", course.slug)


def test_export_gift_writes_the_quiz_back(course, gift_file, tmp_path):
    run(
        "import_gift",
        str(gift_file),
        "--course",
        course.slug,
        "--module",
        course.modules.get().slug,
    )
    target = tmp_path / "out.gift"

    out = run("export_gift", course.slug, "--module", course.modules.get().slug, str(target))

    assert out.strip() == f"Wrote 3 questions to {target}"
    assert target.read_text(encoding="utf-8") == gift_file.read_text(encoding="utf-8")
    assert run(
        "export_gift", course.slug, "-", "--module", course.modules.get().slug
    ) == GIFT.replace("lesson-1", course.lessons.order_by("position").first().slug)


def test_export_gift_refuses_a_missing_quiz(course, tmp_path):
    with pytest.raises(CommandError, match="No quiz for the final exam of the course"):
        run("export_gift", course.slug, str(tmp_path / "x.gift"))
    with pytest.raises(CommandError, match="No quiz for the module 'nope'"):
        run("export_gift", course.slug, "--module", "nope", str(tmp_path / "x.gift"))


def test_the_shipped_course_exports_to_gift_and_reimports_identically(tmp_path):
    course, _ = course_import(COURSE_FOLDER)
    for quiz in course.quizzes.select_related("module"):
        module = ["--module", quiz.module.slug] if quiz.module else []
        target = tmp_path / f"{quiz.slug}.gift"

        run("export_gift", course.slug, *module, str(target))
        out = run("import_gift", str(target), "--course", course.slug, *module)

        shipped = COURSE_FOLDER / "quizzes" / f"{quiz.slug}.gift"
        assert target.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
        assert out.rstrip().endswith("nothing changed"), out


MOODLE_BANK = """// question: 12  name: Thirds
// [id:thirds-1] [tag:fractions] [tag:moodle]
::Thirds::[html]Pick the <b>three</b> right ones.{
\t~%33.33333%one
\t~%33.33333%two
\t~%33.33334%[plain]three <for sure>#[markdown]*yes*
\t~%-100%four
\t####[moodle]Thirds add up.
}
"""


def test_a_bank_moodle_wrote_keeps_its_weights_formats_tags_and_idnumber(tmp_path, course):
    module = course.modules.get()
    path = tmp_path / "moodle.gift"
    path.write_text(MOODLE_BANK, encoding="utf-8")

    run("import_gift", str(path), "--course", course.slug, "--module", module.slug)

    question = Quiz.objects.get(module=module).questions.get()
    assert (question.idnumber, question.tags) == ("thirds-1", ["fractions", "moodle"])
    assert (question.text_format, question.explanation_format) == ("html", "moodle")
    assert [
        (c.weight, c.text_format, c.feedback_format) for c in question.choices.order_by("position")
    ] == [
        (Decimal("33.33333"), "", ""),
        (Decimal("33.33333"), "", ""),
        (Decimal("33.33334"), "plain", "markdown"),
        (Decimal(-100), "", ""),
    ]
    written = run("export_gift", course.slug, "-", "--module", module.slug)
    assert written == MOODLE_BANK.replace("// question: 12  name: Thirds\n", "").replace(
        "####[moodle]", "#### [moodle]"
    )


def test_a_weight_finer_than_moodle_keeps_names_the_file_and_line(tmp_path, course):
    module = course.modules.get()
    path = tmp_path / "fine.gift"
    path.write_text("Pick.{\n\t~%50%a\n\t~%33.333333333%b\n}\n", encoding="utf-8")

    with pytest.raises(CommandError, match=rf"{path}:3: answer weight 33\.333333333% has more"):
        run("import_gift", str(path), "--course", course.slug, "--module", module.slug)

    assert not Quiz.objects.filter(module=module).exists()
