"""Question banks between Moodle and Courseware through the database: the commands, the
admin, and the whole shipped course through Moodle XML and GIFT."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.course_io import (
    course_export,
    course_import,
    course_moodle_xml,
    gift_question,
    quiz_category,
    quiz_questions_import_moodle_xml,
)
from assessments.gift import parse_gift
from assessments.models import Question, Quiz
from assessments.moodle_xml import parse_moodle_xml
from assessments.tests.test_gift_commands import run
from assessments.tests.test_moodle_xml import EXAMPLES
from lessons.tests.test_admin import as_read
from tests.factories import course_with_modules

pytestmark = pytest.mark.django_db

COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"


@pytest.fixture
def course():
    return course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)


def test_import_moodle_xml_fills_the_module_quiz_with_everything_moodle_wrote(course):
    module = course.modules.get()

    out = run("import_moodle_xml", str(EXAMPLES), "--course", course.slug, "--module", module.slug)

    quiz = Quiz.objects.get(module=module)
    assert "Created" in out and "7 questions" in out and quiz.status == "draft"
    single = quiz.questions.get(title="Name of question")
    assert (single.text_format, single.idnumber, single.tags) == (
        "html",
        "mc-1",
        ["documented", "multiple choice"],
    )
    assert single.category == "$course$/top/Default for Documented examples"
    thirds = quiz.questions.get(title="Three right of four")
    assert [c.weight for c in thirds.choices.order_by("position")] == [
        Decimal("33.33333"),
        Decimal("33.33333"),
        Decimal("33.33334"),
        Decimal(-100),
    ]
    assert thirds.points == 2
    grant = quiz.questions.get(title="Grant's birth")
    assert [(c.numeric_value, c.tolerance) for c in grant.choices.order_by("position")] == [
        (1822, 0),
        (1822, 2),
        (None, 0),
    ]
    # Written back, it reads as the same questions.
    written = run("export_moodle_xml", course.slug, "-")
    assert [
        replace(q, category=q.category.removeprefix(quiz_category(quiz) + "/"))
        for q in parse_moodle_xml(written.encode())
    ] == parse_moodle_xml(EXAMPLES.read_bytes())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE quiz [<!ENTITY a 'aaaa'>]><quiz/>", "the file declares a document type"),
        (b"<quiz><question type='essay'>", "not valid XML at line 1"),
        (
            EXAMPLES.read_bytes().replace(b'type="numerical"', b'type="calculatedsimple"'),
            "question 5 “Grant's birth”: Courseware has no “calculatedsimple” questions",
        ),
    ],
)
def test_a_bad_file_names_the_problem_and_writes_nothing(tmp_path, course, content, message):
    path = tmp_path / "bank.xml"
    path.write_bytes(content)
    module = course.modules.get()

    with pytest.raises(CommandError, match=f"{path}: {message}"):
        run("import_moodle_xml", str(path), "--course", course.slug, "--module", module.slug)

    assert not Quiz.objects.filter(course=course).exists()
    assert not Question.objects.exists()


# --- The shipped course ----------------------------------------------------------------------


@pytest.fixture
def shipped():
    course, _ = course_import(COURSE_FOLDER)
    return course


def meaning(question):
    return replace(question, lesson="", line=0)


def questions_in_folder() -> int:
    return sum(len(parse_gift(gift.read_text())) for gift in COURSE_FOLDER.glob("quizzes/*.gift"))


def filed_under(category: str, questions: list) -> list:
    """The ``questions`` Moodle XML files in a quiz's ``category``, each with the category it
    has in the quiz: the part of its Moodle category below the quiz's."""
    return [
        replace(q, category=q.category.removeprefix(category).removeprefix("/"))
        for q in questions
        if q.category == category or q.category.startswith(category + "/")
    ]


def test_the_shipped_course_through_moodle_xml_and_gift_finds_the_same_questions(shipped):
    from_xml = parse_moodle_xml(course_moodle_xml(shipped).encode())

    quizzes = list(shipped.quizzes.order_by("module__position"))
    by_quiz = {quiz_category(quiz): quiz for quiz in quizzes}
    for category, quiz in by_quiz.items():
        in_db = [meaning(gift_question(q)) for q in quiz.questions.all()]
        from_gift = parse_gift((COURSE_FOLDER / "quizzes" / f"{quiz.slug}.gift").read_text())
        assert [meaning(q) for q in from_gift] == in_db, quiz.slug
        assert filed_under(category, from_xml) == in_db, quiz.slug
    # Each question is filed under its quiz's category, none outside them.
    assert sum(len(filed_under(category, from_xml)) for category in by_quiz) == len(from_xml)
    assert len(from_xml) == Question.objects.filter(quiz__course=shipped).count()
    assert len(from_xml) == questions_in_folder()


def test_each_quiz_imported_from_its_moodle_xml_changes_nothing(shipped, tmp_path):
    for quiz in shipped.quizzes.all():
        xml = course_moodle_xml(shipped, quizzes=Quiz.objects.filter(pk=quiz.pk))

        report = quiz_questions_import_moodle_xml(quiz, xml.encode(), source="bank.xml")

        assert str(report) == "nothing changed", quiz.slug
    # The course folder it exports is the one shipped, byte for byte: lessons linked,
    # formats, weights and all.
    course_export(shipped, tmp_path)
    for path in COURSE_FOLDER.rglob("*.gift"):
        assert (tmp_path / path.relative_to(COURSE_FOLDER)).read_bytes() == path.read_bytes()


# --- The admin -------------------------------------------------------------------------------


def test_an_instructor_imports_and_exports_moodle_xml_on_the_quiz_page(client, ines):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    course.instructors.add(ines)
    quiz = Quiz.objects.get(course=course)
    client.force_login(ines)
    page = client.get(reverse("admin:assessments_quiz_change", args=[quiz.pk])).content.decode()
    assert reverse("admin:assessments_quiz_import_moodle_xml", args=[quiz.pk]) in page

    response = client.post(
        reverse("admin:assessments_quiz_import_moodle_xml", args=[quiz.pk]),
        {"file": SimpleUploadedFile("bank.xml", EXAMPLES.read_bytes())},
        follow=True,
    )

    assert "Imported bank.xml: 7 questions" in response.content.decode()
    exported = client.get(reverse("admin:assessments_quiz_export_moodle_xml", args=[quiz.pk]))
    assert exported["Content-Disposition"].endswith(f'{course.slug}-{quiz.slug}.xml"')
    assert len(parse_moodle_xml(exported.content)) == 7


def test_a_hostile_upload_shows_why_and_changes_nothing(client, ines):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    course.instructors.add(ines)
    quiz = Quiz.objects.get(course=course)
    before = list(quiz.questions.values_list("pk", "title"))
    client.force_login(ines)

    response = client.post(
        reverse("admin:assessments_quiz_import_moodle_xml", args=[quiz.pk]),
        {"file": SimpleUploadedFile("bank.xml", b"<!DOCTYPE q [<!ENTITY a 'b'>]><quiz/>")},
    )

    assert response.status_code == 200
    assert "bank.xml: the file declares a document type" in " ".join(
        as_read(response.context["form"].errors["file"])
    )
    assert list(quiz.questions.values_list("pk", "title")) == before


def test_the_course_action_exports_the_whole_bank(client, ines, shipped):
    shipped.instructors.add(ines)
    client.force_login(ines)

    response = client.post(
        reverse("admin:lessons_course_changelist"),
        {"action": "export_moodle_xml", "_selected_action": [shipped.pk]},
    )

    assert response["Content-Disposition"].endswith('military-diplomacy-questions.xml"')
    assert len(parse_moodle_xml(response.content)) == questions_in_folder()


def test_exporting_a_bank_costs_the_same_queries_whatever_its_size(client, ines, shipped):
    small = course_with_modules(modules=1, lessons=1, final_exam=False)
    Question.objects.filter(quiz__course=small).update(lesson=small.lessons.get())
    for course in (small, shipped):
        course.instructors.add(ines)
    client.force_login(ines)

    def queries(course) -> int:
        action = {"action": "export_moodle_xml", "_selected_action": [course.pk]}
        path = reverse("admin:lessons_course_changelist")
        client.post(path, action)  # warm the caches (content types, permissions)
        with CaptureQueriesContext(connection) as captured:
            assert client.post(path, action).status_code == 200
        return len(captured)

    # 1 quiz of 1 question, and the shipped course's whole bank.
    assert queries(small) == queries(shipped)
