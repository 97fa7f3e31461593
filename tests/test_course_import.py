"""Re-importing an edited course folder updates it in place and keeps learners' history."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from assessments.course_io import course_export, course_import
from assessments.models import Attempt, Question, Quiz
from lessons.course_folder import CourseFormatError
from lessons.models import Lesson, Status
from progress.models import LessonCompletion
from progress.services import enrollment_create, lesson_complete

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"


@pytest.fixture
def folder(tmp_path) -> Path:
    copy = tmp_path / "course"
    shutil.copytree(SHIPPED, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def repoint(folder: Path, slugs: list[str], to: str) -> None:
    """Point the questions on ``slugs`` (a passage or the whole lesson) at the first passage of
    lesson ``to`` instead."""
    pattern = re.compile(rf"// lesson: (?:{'|'.join(slugs)})(?:#passage-\d+)?$", re.MULTILINE)
    for gift in (folder / "quizzes").glob("*.gift"):
        gift.write_text(pattern.sub(f"// lesson: {to}#passage-1", gift.read_text()))


def test_edits_update_in_place_and_removed_content_with_history_is_archived(
    folder, learner, take_quiz, now
):
    course, _ = course_import(folder)
    enrollment_create(learner=learner, course=course)
    introduction = Lesson.objects.get(slug="introduction")
    lesson_complete(learner=learner, lesson=introduction, now=now)
    quiz = course.modules.get(slug="foundations").quiz
    for lesson in Lesson.objects.filter(module__slug="foundations"):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    attempt = take_quiz(learner, quiz, now=now, right=False)
    shown_before = list(attempt.responses.order_by("slot").values_list("shown", "score"))

    module = folder / "modules" / "foundations.md"
    edit(module, "# Introduction {#introduction}", "# Why this course {#introduction}")
    # Drop two lessons the learner has completed; their questions now point elsewhere.
    text = module.read_text(encoding="utf-8")
    start = text.index("# The Role of Military Diplomacy in Shaping")
    module.write_text(text[:start].rstrip("\n") + "\n", encoding="utf-8")
    repoint(folder, ["shaping-regional-security-dynamics", "historical-evolution"], "introduction")

    _, report = course_import(folder)

    introduction.refresh_from_db()
    assert introduction.title == "Why this course"  # same row, so its completion still counts
    assert LessonCompletion.objects.filter(learner=learner, lesson=introduction).exists()
    assert Lesson.objects.get(slug="historical-evolution").status == Status.ARCHIVED
    assert Lesson.objects.get(slug="shaping-regional-security-dynamics").status == Status.ARCHIVED
    assert "lessons archived" in str(report)
    # The recorded attempt is exactly as it was.
    attempt = Attempt.objects.get(pk=attempt.pk)
    assert list(attempt.responses.order_by("slot").values_list("shown", "score")) == shown_before

    # Archived lessons are kept for the records but are no longer in the course.
    exported = folder.parent / "exported"
    call_command("export_course", course.slug, str(exported), verbosity=0)
    assert "historical-evolution" not in (exported / "modules" / "foundations.md").read_text()


def test_a_lesson_nobody_has_read_is_deleted_when_removed(folder):
    course_import(folder)
    module = folder / "modules" / "outlook.md"
    text = module.read_text(encoding="utf-8")
    start = text.index("# Concluding Insights")
    module.write_text(text[:start].rstrip("\n") + "\n", encoding="utf-8")
    repoint(folder, ["concluding-insights"], "future-prospects")

    _, report = course_import(folder)

    assert not Lesson.objects.filter(slug="concluding-insights").exists()
    assert "1 lessons deleted" in str(report)


def first_question_on(gift: Path, lesson: str) -> tuple[str, int]:
    """The ``// lesson:`` line of the first question on ``lesson``, and the line number of that
    question (where an import reports a problem with it)."""
    lines = gift.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(f"// lesson: {lesson}#"))
    question = next(n for n in range(at, len(lines)) if not lines[n].startswith("//"))
    return lines[at], question + 1


def test_a_question_naming_an_unknown_lesson_is_refused_with_its_line(folder):
    gift = folder / "quizzes" / "outlook.gift"
    reference, line = first_question_on(gift, "future-prospects")
    edit(gift, reference, "// lesson: no-such-lesson#passage-1")

    with pytest.raises(CommandError, match=rf"outlook\.gift:{line}: no lesson 'no-such-lesson'"):
        call_command("import_course", str(folder))
    assert not Question.objects.exists()


def test_a_passage_beyond_the_lesson_is_refused(folder):
    gift = folder / "quizzes" / "outlook.gift"
    reference, line = first_question_on(gift, "future-prospects")
    edit(gift, reference, "// lesson: future-prospects#passage-99")

    with pytest.raises(
        CommandError, match=rf"outlook\.gift:{line}: lesson 'future-prospects' has 3"
    ):
        call_command("import_course", str(folder))


def test_import_command_prints_what_it_did_and_then_nothing(folder, capsys):
    call_command("import_course", str(folder))
    assert "18 lessons created" in capsys.readouterr().out

    call_command("import_course", str(folder))
    assert "nothing changed" in capsys.readouterr().out


def test_a_quiz_that_does_not_say_review_keeps_its_key_until_passed_or_out_of_attempts(folder):
    edit(folder / "course.yaml", "  review: after_passing\n", "")

    course, _ = course_import(folder)

    # No quiz of the folder says `review` now: module quizzes and the final exam alike.
    assert set(course.quizzes.values_list("review", flat=True)) == {Quiz.Review.RETAKE_SAFE}
    assert course.quizzes.count() == 7


@pytest.mark.parametrize("review", Quiz.Review.values)
def test_export_then_import_keeps_every_review_setting(folder, tmp_path, review):
    course, _ = course_import(folder)
    course.quizzes.update(review=review)
    exported = tmp_path / "exported"
    course_export(course, exported)
    other = next(value for value in Quiz.Review.values if value != review)
    course.quizzes.update(review=other)

    course, _ = course_import(exported)

    assert set(course.quizzes.values_list("review", flat=True)) == {review}
    # The default is left out of the files, like every other default.
    written = (exported / "course.yaml").read_text(encoding="utf-8")
    assert ("review:" in written) is (review != Quiz.Review.RETAKE_SAFE)


def test_a_module_quiz_drawn_per_category_round_trips_byte_for_byte(folder, tmp_path):
    edit(
        folder / "modules" / "foundations.md",
        "  pass_mark: 70\n",
        "  pass_mark: 70\n  draw: 1\n  draw_per: category\n",
    )
    gift = folder / "quizzes" / "foundations.gift"
    categories = set(re.findall(r"^\$CATEGORY: (.+)$", gift.read_text(), re.MULTILINE))
    assert len(categories) > 1

    course, _ = course_import(folder)
    quiz = course.quizzes.get(slug="foundations")
    assert (quiz.draw_per, quiz.draw_count) == (Quiz.DrawPer.CATEGORY, 1)
    assert set(quiz.questions.values_list("category", flat=True)) == categories
    exported = tmp_path / "exported"
    course_export(course, exported)

    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        assert (exported / path.relative_to(folder)).read_bytes() == path.read_bytes(), path
    course_import(exported)
    assert course.quizzes.get(slug="foundations").draw_per == Quiz.DrawPer.CATEGORY


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("  draw_per: module\n", "how many questions to draw from each module"),
        ("  draw: 2\n  draw_per: lesson\n", "'lesson' is not a valid choice"),
    ],
)
def test_a_draw_per_group_the_folder_cannot_hold_is_refused_and_nothing_written(
    folder, front_matter, message
):
    edit(
        folder / "modules" / "foundations.md",
        "  pass_mark: 70\n",
        f"  pass_mark: 70\n{front_matter}",
    )

    with pytest.raises(CourseFormatError, match=message) as error:
        course_import(folder)

    assert error.value.path.name == "foundations.md"
    assert not Quiz.objects.exists()
