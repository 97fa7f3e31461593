"""Re-importing an edited course folder updates it in place and keeps learners' history."""

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.course_io import course_export, course_import
from assessments.models import Attempt, Question, Quiz
from lessons.course_folder import CourseFormatError
from lessons.models import Lesson, Previews, Status
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


def line_starting(path: Path, start: str) -> tuple[int, str]:
    """The number (from 1, as an import reports it) and text of the first line of ``path``
    that starts with ``start``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, start=1) if line.startswith(start))
    return number, lines[number - 1]


def questions_by_category(gift: Path) -> Counter[str]:
    """How many questions each ``$CATEGORY`` of a GIFT file holds, counted from its lines:
    every question of the shipped course opens with its ``::title::``."""
    counts, category = Counter(), ""
    for line in gift.read_text(encoding="utf-8").split("\n"):
        if line.startswith("$CATEGORY: "):
            category = line.removeprefix("$CATEGORY: ")
        elif line.startswith("::"):
            counts[category] += 1
    return counts


def questions_on(folder: Path, reference: str) -> list[tuple[str, str]]:
    """The quiz and title of every question whose ``// lesson:`` line names ``reference``."""
    found = []
    for gift in sorted((folder / "quizzes").glob("*.gift")):
        lines = gift.read_text(encoding="utf-8").split("\n")
        for n, line in enumerate(lines):
            if line == f"// lesson: {reference}":
                question = next(text for text in lines[n:] if text.startswith("::"))
                found.append((gift.stem, question.split("::")[1]))
    return found


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
    assert "1 lesson deleted" in str(report)


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


def test_open_previews_round_trip_byte_for_byte_in_either_marker_order(folder, tmp_path):
    module = folder / "modules" / "foundations.md"
    number, _ = line_starting(module, "# ")
    second = next(
        line for line in module.read_text().split("\n")[number:] if line.startswith("# ")
    )
    slug = re.search(r"\{#([\w-]+)\}", second)[1]
    edit(module, second, second.replace("}", " .preview}"))

    course, _ = course_import(folder)
    assert list(course.lessons.filter(is_preview=True).values_list("slug", flat=True)) == [slug]
    exported = tmp_path / "exported"
    course_export(course, exported)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        assert (exported / path.relative_to(folder)).read_bytes() == path.read_bytes(), path

    # Written in another order, the markers read the same and export in the canonical one.
    edit(module, f"{{#{slug} .preview}}", f"{{#{slug} .preview .draft}}")
    course, _ = course_import(folder)
    lesson = course.lessons.get(slug=slug)
    assert (lesson.is_preview, lesson.status) == (True, Status.DRAFT)
    course_export(course, exported)
    assert f"{{#{slug} .draft .preview}}" in (exported / "modules" / "foundations.md").read_text()


def test_a_course_that_opens_only_its_marked_lessons_round_trips_byte_for_byte(folder, tmp_path):
    edit(folder / "course.yaml", "sequential: true\n", "sequential: true\npreviews: marked\n")

    course, _ = course_import(folder)
    assert course.previews == Previews.MARKED
    exported = tmp_path / "exported"
    course_export(course, exported)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        assert (exported / path.relative_to(folder)).read_bytes() == path.read_bytes(), path

    # Left out again, the key means the first lesson opens, as before.
    edit(folder / "course.yaml", "previews: marked\n", "")
    course, _ = course_import(folder)
    assert course.previews == Previews.FIRST
    course_export(course, exported)
    assert "previews" not in (exported / "course.yaml").read_text()


def test_a_previews_setting_the_folder_does_not_know_is_refused_with_its_line(folder):
    edit(folder / "course.yaml", "sequential: true\n", "sequential: true\npreviews: none\n")

    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert str(error.value).endswith("course.yaml:6: 'previews' must be one of first, marked")
    assert not Lesson.objects.exists()


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


# Mistakes in a hand-written folder are named in the folder's own words, with file and line.


def test_a_pass_mark_above_100_is_refused_with_its_line_and_nothing_written(folder):
    edit(folder / "modules" / "foundations.md", "  pass_mark: 70\n", "  pass_mark: 170\n")

    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert str(error.value) == (
        f"{folder / 'modules' / 'foundations.md'}:9: "
        "pass_mark: Ensure this value is less than or equal to 100."
    )
    assert not Quiz.objects.exists()


@pytest.mark.parametrize(
    ("draw_per", "message"),
    [
        ("", "draw: {draw} questions, but quizzes/foundations.gift holds {held}"),
        (
            "category",
            "draw: {draw} questions from each category, "
            "but quizzes/foundations.gift holds at most {held}",
        ),
    ],
)
def test_a_draw_larger_than_the_bank_is_refused_with_its_line(folder, draw_per, message):
    # One more than the bank holds, or than its largest category when drawing per category.
    categories = questions_by_category(folder / "quizzes" / "foundations.gift")
    held = max(categories.values()) if draw_per else sum(categories.values())
    module = folder / "modules" / "foundations.md"
    draw_line = line_starting(module, "  pass_mark: ")[0] + 1
    settings = f"  draw: {held + 1}\n" + (f"  draw_per: {draw_per}\n" if draw_per else "")
    edit(module, "  pass_mark: 70\n", f"  pass_mark: 70\n{settings}")

    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert error.value.path.name == "foundations.md"
    assert error.value.line == draw_line
    assert message.format(draw=held + 1, held=held) in error.value.message
    assert not Quiz.objects.exists()


def test_a_draw_option_is_named_as_the_folder_names_it(folder):
    edit(folder / "course.yaml", "  draw: 3\n", "")

    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert error.value.message == "draw: Say how many questions to draw from each module."
    assert "draw_count" not in str(error.value)
    # No 'draw' line to point at: the line of the settings it is missing from.
    assert (error.value.path.name, error.value.line) == ("course.yaml", 14)


def test_a_folder_saved_with_windows_line_endings_imports_as_it_is_written(folder, tmp_path):
    course, _ = course_import(folder)
    for path in folder.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))

    _, report = course_import(folder)

    assert str(report) == "nothing changed"
    course_export(course, tmp_path / "exported")
    for path in (tmp_path / "exported").rglob("*"):
        if path.is_file():
            assert b"\r" not in path.read_bytes()


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("33.333333333", "answer weight 33.333333333% has more than 7 decimal places"),
        ("33.33333", None),  # as Moodle writes a third
        ("1e2", None),
    ],
)
def test_an_answer_weight_courseware_cannot_keep_is_named_with_its_line(folder, weight, message):
    gift = folder / "quizzes" / "foundations.gift"
    line, answer = line_starting(gift, "\t~%50%")
    edit(gift, answer, answer.replace("%50%", f"%{weight}%", 1))

    if message is None:  # the same value written otherwise is fine
        course_import(folder)
        return
    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert (error.value.path.name, error.value.line) == ("foundations.gift", line)
    assert error.value.message.startswith(message)
    assert "Ensure" not in error.value.message and "digits" not in error.value.message
    assert not Quiz.objects.exists()


def test_points_courseware_cannot_keep_are_named_with_their_line(folder):
    gift = folder / "quizzes" / "foundations.gift"
    line, points = line_starting(gift, "// points: ")
    edit(gift, points + "\n", "// points: 1.125\n")

    with pytest.raises(CourseFormatError) as error:
        course_import(folder)

    assert (error.value.path.name, error.value.line) == ("foundations.gift", line)
    assert "points 1.125 have more than 2 decimal places" in error.value.message


# The plan: what an import would change, before anything is written.


def all_rows() -> dict[str, list[dict]]:
    """Every row of every table the app's models hold, in id order."""
    from django.apps import apps

    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
    }


def test_the_plan_lists_each_change_with_the_learners_it_touches_and_writes_nothing(
    folder, learner, take_quiz, now, capsys
):
    course, _ = course_import(folder)
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=Lesson.objects.get(slug="introduction"), now=now)
    lesson_complete(
        learner=learner, lesson=Lesson.objects.get(slug="historical-evolution"), now=now
    )
    take_quiz(learner, course.modules.get(slug="foundations").quiz, now=now)

    foundations = folder / "modules" / "foundations.md"
    # A paragraph before the introduction's first: what questions name there moves down.
    edit(foundations, "# Introduction {#introduction}\n\n",
         "# Introduction {#introduction}\n\nA new opening paragraph.\n\n")  # fmt: skip
    # The historical evolution lesson leaves the course; a new lesson arrives.
    text = foundations.read_text(encoding="utf-8")
    start = text.index("# Historical Evolution")
    foundations.write_text(text[:start] + "# Looking ahead {#looking-ahead}\n\nText.\n",
                           encoding="utf-8")  # fmt: skip
    repoint(folder, ["historical-evolution"], "looking-ahead")
    # The learner was asked every question of the quiz: reword the first one and its answer.
    gift = folder / "quizzes" / "foundations.gift"
    _, question = line_starting(gift, "::")
    title = question.split("::")[1]
    edit(gift, question, question.replace(f"::{title}::", f"::{title}::In short: ", 1))
    _, answer = line_starting(gift, "\t=")
    edit(gift, answer, answer.replace("\t=", "\t=In short, ", 1))
    # The questions on the introduction's first paragraph, which is now its second.
    moved = questions_on(folder, "introduction#passage-1")
    assert moved
    before = all_rows()

    call_command("import_course", str(folder), "--plan")

    assert all_rows() == before  # nothing written
    plan = capsys.readouterr().out
    assert "Plan for military-diplomacy. Nothing has been written." in plan
    assert (
        "  changed  introduction (body) — touches 1 learner: read it; their reading is kept"
        in plan
    )
    assert (
        "  archived historical-evolution — touches 1 learner: read it; their reading is kept"
        in plan
    )
    assert (
        "  added    looking-ahead — touches 1 learner: read lessons of its module, which gets "
        "one more to read" in plan
    )
    assert (
        f"  changed  {title} (text, answers) — touches 1 learner: were asked it; "
        "their attempts keep it as they saw it" in plan
    )
    for quiz, question in moved:
        assert (
            f"{quiz}: “{question}” → introduction#passage-1: its passage is now passage 2" in plan
        )

    # The import does what the plan said, change for change.
    _, report = course_import(folder)
    assert f"In all: {report}." in plan


# The canonical layout: format_course writes what export_course would.


def hand_write(folder: Path) -> None:
    """Write the shipped folder as a person might: same course, another layout."""
    course_yaml = folder / "course.yaml"
    text = course_yaml.read_text(encoding="utf-8")
    modules = re.search(r"modules:\n((?:- .*\n)+)", text)
    slugs = ", ".join(line[2:] for line in modules[1].splitlines())
    text = text.replace(modules[0], f"# the order learners take them in\nmodules: [{slugs}]\n")
    course_yaml.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    module = folder / "modules" / "foundations.md"
    edit(module, "# Introduction {#introduction}\n", "\n\n# Introduction\n")
    # The quiz's settings after its title in another order, with defaults spelled out.
    settings = re.search(r"^quiz:\n  title: .*\n((?:  .*\n)+)", module.read_text(), re.M)[1]
    assert "review:" not in settings and "shuffle_questions:" not in settings
    edit(module, settings, "  review: retake_safe\n" + "".join(reversed(settings.splitlines(True)))
         + "  shuffle_questions: false\n")  # fmt: skip
    gift = folder / "quizzes" / "foundations.gift"
    _, weight = line_starting(gift, "\t~%50%")
    edit(gift, weight, weight.replace("%50%", "%50.000%", 1))
    reference = re.search(r"^(// lesson: .*#passage-)(\d+)$", gift.read_text(), re.M)
    edit(gift, reference[0], f"{reference[1]}0{reference[2]}")
    edit(gift, "\n\n// lesson: ", "\n\n\n\n// lesson: ")


def test_format_course_check_lists_a_hand_written_folders_files_and_changes_nothing(folder):
    hand_write(folder)
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}

    with pytest.raises(CommandError) as error:
        call_command("format_course", str(folder), "--check")

    assert error.value.returncode == 1
    listed = str(error.value)
    assert f"3 of {len(before)} files are not in the canonical layout" in listed
    for name in ("course.yaml", "foundations.md", "foundations.gift"):
        assert name in listed
    assert "outlook" not in listed
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before


def test_format_course_writes_what_export_course_writes_after_importing_the_folder(
    folder, tmp_path
):
    hand_write(folder)
    course, _ = course_import(folder)
    exported = tmp_path / "exported"
    course_export(course, exported)

    call_command("format_course", str(folder), verbosity=0)

    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(exported) for p in exported.rglob("*") if p.is_file())
    for relative in files:
        assert (folder / relative).read_bytes() == (exported / relative).read_bytes(), relative
        # And the canonical layout is the shipped folder's, which was hand-written above.
        assert (folder / relative).read_bytes() == (SHIPPED / relative).read_bytes(), relative
    call_command("format_course", str(folder), "--check", verbosity=0)


def test_format_course_refuses_a_folder_the_import_would_refuse_and_writes_nothing(folder):
    edit(folder / "modules" / "outlook.md", "title: Outlook\n", "title: [Outlook\n")
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}

    with pytest.raises(CommandError, match=r"outlook\.md:2: invalid YAML"):
        call_command("format_course", str(folder))

    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before


def test_an_import_does_not_look_up_again_the_rows_it_has_just_written():
    """Validating a choice, a question or a lesson asked the database whether its question,
    quiz, lesson or module existed, though the import had written it a moment before: a
    query per row (620 for this course). A parent named only by its id is still checked."""
    with CaptureQueriesContext(connection) as queries:
        course_import(SHIPPED)
    lookups = Counter(
        match["table"]
        for query in queries.captured_queries
        if (match := re.match(r'SELECT 1 AS "a" FROM "(?P<table>\w+)"', query["sql"]))
    )
    assert not {"assessments_question", "assessments_quiz", "lessons_lesson"} & set(lookups)
    assert sum(lookups.values()) <= Quiz.objects.count(), lookups
