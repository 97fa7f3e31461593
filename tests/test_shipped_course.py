"""The shipped military-diplomacy course: faithful to its source, and round-tripping as code."""

import random
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from markdown_it import MarkdownIt

from assessments.course_io import course_export, course_fixture, course_import
from assessments.models import Question, Quiz
from assessments.selectors import quiz_question_count
from assessments.services import attempt_start
from lessons.course_folder import CourseFormatError
from lessons.models import Course, Lesson
from progress.services import enrollment_create
from tests.factories import UserFactory
from tests.faithfulness import article_blocks

pytestmark = pytest.mark.django_db

COURSE_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"
FIXTURE_FILE = Path(settings.BASE_DIR) / "fixtures" / "military_diplomacy.json"
# What the course team adds to a lesson (a note on the source, a glossary) is a quote block
# that opens with this line, so a learner and this test tell it from the article's text.
COURSE_NOTE = "> **Course team’s note, not part of the article.**"


def course_notes(body: str) -> list[str]:
    """The course team's notes in a lesson body: its top-level quote blocks that open with
    ``COURSE_NOTE``."""
    lines = body.split("\n")
    blocks = MarkdownIt("commonmark").parse(body)
    quotes = ["\n".join(lines[t.map[0] : t.map[1]]) for t in blocks if t.type == "blockquote_open"]
    return [quote for quote in quotes if quote.startswith(COURSE_NOTE)]


def article_part(body: str) -> str:
    """A lesson body without the course team's notes: the article's own text."""
    for note in course_notes(body):
        body = body.replace(note, "")
    return body


@pytest.fixture
def course() -> Course:
    course, _ = course_import(COURSE_FOLDER)
    return course


def test_every_paragraph_and_list_item_of_the_article_is_in_exactly_one_lesson(course):
    headings, content, debris, disclaimer = article_blocks()
    lessons = list(Lesson.objects.filter(course=course).values_list("body", flat=True))
    bodies = [article_part(body) for body in lessons]
    notes = [note for body in lessons for note in course_notes(body)]
    assert len(content) > 60

    for paragraph in content:
        holders = [body for body in bodies if paragraph in body]
        assert len(holders) == 1, f"in {len(holders)} lessons: {paragraph[:70]}…"
    for line in debris + disclaimer:
        assert not any(line in body for body in bodies), f"not lesson content: {line}"
    # The course team's notes hold none of the article: they are added, never mixed in.
    for paragraph in content:
        assert not any(paragraph in note for note in notes), f"in a note: {paragraph[:70]}…"

    assert notes, "the course team's note in the Introduction is recognised as added"
    # Nothing else was added: strip the article's text and only Markdown list marks remain.
    leftover = "\n".join(bodies)
    for paragraph in sorted(content, key=len, reverse=True):
        leftover = leftover.replace(paragraph, "")
    assert set(leftover) <= {"\n", "-", " "}

    # The title names the course, the disclaimer is its notice, every section a lesson.
    title, *sections = headings
    assert course.title == title
    assert [course.notice] == disclaimer
    lesson_titles = list(Lesson.objects.filter(course=course).values_list("title", flat=True))
    for section in sections:
        assert lesson_titles.count(section) == 1, section


def test_course_is_organised_into_modules_with_objectives_quizzes_and_a_final_exam(course):
    modules = list(course.modules.prefetch_related("lessons"))
    assert 5 <= len(modules) <= 7
    for module in modules:
        assert 2 <= module.lessons.count() <= 4, module
        assert 2 <= len(module.objectives) <= 3, module
        assert module.quiz.questions.count() >= 5, module

    final = Quiz.objects.get(course=course, kind=Quiz.Kind.FINAL)
    # Balanced: three from each module's part of the bank, eighteen questions an attempt.
    assert (final.draw_per, final.draw_count) == (Quiz.DrawPer.MODULE, 3)
    assert quiz_question_count(quiz=final, bank_size=final.questions.count()) == 18
    assert final.questions.count() >= 30

    questions = Question.objects.filter(quiz__course=course)
    # Every kind but numerical: the article's only numbers are counts, which make trivia (and
    # one of them, ASEAN's members, has changed since it was written).
    assert set(questions.values_list("kind", flat=True)) == set(Question.Kind.values) - {
        "numerical"
    }
    # Every question links what answers it: its passage, or its lesson when it draws on several
    # passages (tests/test_shipped_assessment.py checks which).
    assert not questions.filter(lesson__isnull=True).exists()
    # Every question explains its answer: a graded one to the learner, an essay to whoever
    # reads it, through its rubric.
    assert not questions.exclude(kind="essay").filter(explanation="").exists()
    assert not questions.filter(kind="essay", rubric="").exists()


def test_import_then_export_reproduces_the_folder_byte_for_byte(course, tmp_path):
    course_export(course, tmp_path)

    source = sorted(p.relative_to(COURSE_FOLDER) for p in COURSE_FOLDER.rglob("*") if p.is_file())
    exported = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert exported == source
    for relative in source:
        assert (tmp_path / relative).read_bytes() == (COURSE_FOLDER / relative).read_bytes(), (
            relative
        )


def test_importing_twice_writes_nothing(course):
    with CaptureQueriesContext(connection) as queries:
        _, report = course_import(COURSE_FOLDER)

    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"])]
    assert writes == []
    assert str(report) == "nothing changed"


def test_the_fixture_is_generated_from_the_folder(course):
    assert FIXTURE_FILE.read_text(encoding="utf-8") == course_fixture(course), (
        "fixtures/military_diplomacy.json is out of date: regenerate it with "
        "export_course military-diplomacy fixtures/military-diplomacy "
        "--fixture fixtures/military_diplomacy.json"
    )


def test_loaddata_loads_the_same_course_as_the_folder(tmp_path):
    call_command("loaddata", "military_diplomacy", verbosity=0)

    course_export(Course.objects.get(slug="military-diplomacy"), tmp_path)
    for path in COURSE_FOLDER.rglob("*"):
        if path.is_file():
            assert (tmp_path / path.relative_to(COURSE_FOLDER)).read_bytes() == path.read_bytes()


def test_a_malformed_gift_file_is_reported_with_file_and_line_and_nothing_is_written(tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(COURSE_FOLDER, folder)
    gift = folder / "quizzes" / "outlook.gift"
    lines = gift.read_text(encoding="utf-8").split("\n")
    broken = next(n for n, line in enumerate(lines) if line.startswith("\t~"))
    lines[broken] = "\t~%120%" + lines[broken][2:]
    gift.write_text("\n".join(lines), encoding="utf-8")

    with pytest.raises(CourseFormatError) as raised:
        course_import(folder)

    assert f"outlook.gift:{broken + 1}: " in str(raised.value)
    assert "120" in str(raised.value)
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


def test_every_attempt_at_the_final_exam_covers_every_module(course, now):
    exam = course.quizzes.get(kind=Quiz.Kind.FINAL)
    modules = set(course.modules.values_list("slug", flat=True))
    bank = Counter(exam.questions.values_list("lesson__module__slug", flat=True))
    assert set(bank) == modules, "every module has questions in the final exam's bank"
    assert min(bank.values()) >= exam.draw_count, "no module's bank is smaller than the draw"

    seen = set()
    for seed in range(50):
        attempt = attempt_start(learner=UserFactory(), quiz=exam, now=now, rng=random.Random(seed))
        asked = Counter(r.shown["drawn_from"]["group"] for r in attempt.responses.all())
        assert asked == dict.fromkeys(modules, exam.draw_count)
        assert attempt.responses.count() == quiz_question_count(quiz=exam, bank_size=len(bank))
        seen.update(r.question_id for r in attempt.responses.all())
    # The draw varies within each module: over 50 attempts most of the bank is asked.
    assert len(seen) > 0.9 * exam.questions.count()


def test_a_module_quizs_written_answer_is_given_its_result_and_listed_to_read(
    course, client, take_quiz, now
):
    """Each module quiz ends with a reflection worth no points, with a rubric: the learner's
    result is given at once, and the instructor finds the answer in the queue to comment."""
    quiz = course.quizzes.get(module__slug="foundations")
    reflection = quiz.questions.get(kind=Question.Kind.ESSAY)
    learner = UserFactory(first_name="Rhea", last_name="Reader")
    enrollment_create(learner=learner, course=course)
    attempt = take_quiz(learner, quiz, now=now)
    assert attempt.passed is True

    instructor = UserFactory(is_staff=True)
    course.instructors.add(instructor)
    client.force_login(instructor)
    page = client.get(reverse("teach_grading", args=[course.slug]), {"quiz": quiz.slug})

    assert f"Rhea Reader: question {attempt.responses.get(question=reflection).slot}" in (
        page.content.decode()
    )
    assert "Read and comment — worth no points" in page.content.decode()
    assert page.content.decode().count("Save comment") == 1
