"""Course-as-code: import a course folder into the database and export it back.

The lessons app reads and writes the folder's course and module files; this
module adds the quizzes (settings and GIFT question files) and runs the whole
import in one transaction, so a bad file anywhere writes nothing.
"""

import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.core import serializers
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessments.gift import (
    GiftAnswer,
    GiftError,
    GiftQuestion,
    dump_gift,
    own_format,
    parse_gift,
)
from assessments.kinds import kind_for
from assessments.models import Choice, Question, Quiz
from assessments.moodle_xml import TOP_CATEGORY, MoodleXmlError, dump_moodle_xml, parse_moodle_xml
from assessments.selectors import quiz_group_sizes
from assessments.services import quiz_attempts_close_follow
from courseware.events import Event, event_log
from lessons.course_folder import (
    COURSE_FILE,
    FINAL_EXAM_NAME,
    MAX_TEXT_BYTES,
    QUIZZES_DIR,
    CourseFormatError,
    CourseSpec,
    QuizFile,
    course_folder_files,
    read_course_folder,
    write_course_folder,
)
from lessons.figures import MAX_FIGURE_BYTES
from lessons.markdown import passage_sources
from lessons.models import Course, Lesson, Status
from lessons.selectors import course_spec
from lessons.services import (
    SyncReport,
    content_label,
    content_remove,
    course_figures_sync,
    course_prune,
    course_sync,
    instance_apply,
)
from lessons.zips import ZipLimits, zip_unpack

# Quiz settings as written in the folder → model field, in the order they are written.
QUIZ_SETTINGS = {
    "title": "title",
    "pass_mark": "pass_mark",
    "max_attempts": "max_attempts",
    "time_limit_minutes": "time_limit_minutes",
    "closes_at": "closes_at",
    "draw": "draw_count",
    "draw_per": "draw_per",
    "shuffle_questions": "shuffle_questions",
    "shuffle_choices": "shuffle_choices",
    "review": "review",
    "status": "status",
}
QUIZ_DEFAULTS = {
    "max_attempts": None,
    "time_limit_minutes": None,
    "closes_at": None,
    "draw": None,
    "draw_per": Quiz.DrawPer.BANK,
    "shuffle_questions": False,
    "shuffle_choices": False,
    "review": Quiz.Review.RETAKE_SAFE,
    "status": Status.PUBLISHED,
}
_LESSON_REFERENCE = re.compile(r"^(?P<slug>[-\w]+)(?:#passage-(?P<passage>\d+))?$")
# Course zips: generous for a text course, small enough that an upload cannot fill the
# disk or memory (lessons/zips.py checks them before anything is written).
ZIP_MAX_BYTES = 20 * 1024 * 1024  # the upload itself
ZIP_MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # all files together, unpacked
# Each file, unpacked: the largest text or figure a course reads.
ZIP_MAX_FILE_BYTES = max(MAX_TEXT_BYTES, MAX_FIGURE_BYTES)
ZIP_MAX_MEMBERS = 1000
# Text compresses about 3 to 10 times; a zip bomb thousands of times.
ZIP_MAX_RATIO = 100
# Timestamps in the generated fixture are fixed, so it only changes when the content does.
FIXTURE_TIMESTAMP = "2026-01-01T00:00:00Z"


# Import -------------------------------------------------------------------


def course_import(folder: Path | str) -> tuple[Course, SyncReport]:
    """Load a course folder; raises CourseFormatError (file and line) and writes nothing."""
    spec = read_course_folder(folder)
    questions = {name: _parse_quiz_file(quiz_file) for name, quiz_file in spec.quiz_files.items()}
    report = SyncReport()
    with transaction.atomic():
        passages_before = _referenced_passages(course_slug=spec.slug)
        course = course_sync(spec=spec, report=report)
        # Only lessons still in the folder may be named: the rest are about to be removed.
        slugs = {lesson.slug for module in spec.modules for lesson in module.lessons}
        lessons = {lesson.slug: lesson for lesson in course.lessons.filter(slug__in=slugs)}
        wanted = set()
        for module in course.modules.filter(slug__in=[m.slug for m in spec.modules]):
            module_spec = next(m for m in spec.modules if m.slug == module.slug)
            if module_spec.quiz is not None:
                quiz = _quiz_sync(
                    course=course,
                    slug=module.slug,
                    values={"kind": Quiz.Kind.MODULE, "module": module},
                    settings=module_spec.quiz,
                    settings_path=module_spec.path,
                    lines=module_spec.quiz_lines,
                    report=report,
                )
                _questions_sync(quiz, questions[module.slug], lessons, spec.quiz_files[module.slug],
                                report)  # fmt: skip
                _check_draw(quiz, quiz_file=spec.quiz_files[module.slug],
                            where={"path": module_spec.path,
                                   "line": module_spec.quiz_lines.get("draw")})  # fmt: skip
                wanted.add(quiz.pk)
        if spec.final_exam is not None:
            course_path = Path(spec.path or ".") / COURSE_FILE
            quiz = _quiz_sync(
                course=course,
                slug=FINAL_EXAM_NAME,
                values={"kind": Quiz.Kind.FINAL, "module": None},
                settings=spec.final_exam,
                settings_path=course_path,
                lines=spec.final_exam_lines,
                report=report,
            )
            _questions_sync(quiz, questions[FINAL_EXAM_NAME], lessons,
                            spec.quiz_files[FINAL_EXAM_NAME], report)  # fmt: skip
            _check_draw(quiz, quiz_file=spec.quiz_files[FINAL_EXAM_NAME],
                        where={"path": course_path, "line": spec.final_exam_lines.get("draw")})  # fmt: skip
            wanted.add(quiz.pk)
        for stale in course.quizzes.exclude(pk__in=wanted):
            content_remove(stale, report=report, kind="quizzes")
        course_prune(course=course, spec=spec, report=report)
        course_figures_sync(course=course, spec=spec, report=report)
        report.references = _references_moved(passages_before, course_slug=spec.slug)
        event_log(Event.IMPORT_APPLIED, what="course", course_id=course.pk, changes=str(report))
    return course, report


@dataclass(frozen=True)
class ReferenceChange:
    """A question whose ``// lesson:`` passage reads otherwise after an import: learners
    it sends back to re-read would find other text there."""

    quiz: str
    question: str
    reference: str  # as the folder now gives it: lesson-slug#passage-N
    problem: str

    def __str__(self) -> str:
        return f"{self.quiz}: “{self.question}” → {self.reference}: {self.problem}"


def _referenced_passages(*, course_slug: str) -> dict[int, tuple[str, Question]]:
    """The text of the passage each question of the course names, by question id."""
    questions = Question.objects.filter(
        quiz__course__slug=course_slug, lesson__isnull=False, passage__isnull=False
    ).select_related("lesson", "quiz")
    passages: dict[int, list[str]] = {}
    found = {}
    for question in questions:
        texts = passages.setdefault(question.lesson_id, passage_sources(question.lesson.body))
        text = texts[question.passage - 1] if question.passage <= len(texts) else ""
        found[question.pk] = (text, question)
    return found


def _references_moved(before: dict[int, tuple[str, Question]], *, course_slug: str):
    """The questions whose passage, as the import leaves it, no longer holds the text it
    held: moved to another passage of the lesson, or changed."""
    after = _referenced_passages(course_slug=course_slug)
    changes = []
    for pk, (text, question) in after.items():
        if pk not in before or before[pk][0] == text:
            continue
        old_text = before[pk][0]
        texts = passage_sources(question.lesson.body)
        if old_text in texts:
            problem = f"its passage is now passage {texts.index(old_text) + 1}"
        else:
            problem = "the passage's text changed"
        reference = f"{question.lesson.slug}#passage-{question.passage}"
        changes.append(ReferenceChange(question.quiz.slug, content_label(question), reference,
                                       problem))  # fmt: skip
    return changes


def quiz_questions_import(quiz: Quiz, text: str, *, source: str) -> SyncReport:
    """Make ``quiz``'s questions those of the GIFT ``text``, as a course import does.

    Questions are matched by title (untitled ones by order), so learners' statistics
    stay with them; questions not in the text are removed (attempts keep their own
    copy). ``// lesson:`` references name lessons of the quiz's course. Raises
    CourseFormatError (``source`` and line) and then writes nothing.
    """
    quiz_file = QuizFile(name=quiz.slug, text=text, path=Path(source))
    questions = _parse_quiz_file(quiz_file)
    lessons = {lesson.slug: lesson for lesson in quiz.course.lessons.all()}
    report = SyncReport()
    with transaction.atomic():
        _questions_sync(quiz, questions, lessons, quiz_file, report)
        event_log(
            Event.IMPORT_APPLIED,
            what="questions",
            course_id=quiz.course_id,
            quiz_id=quiz.pk,
            source=source,
            changes=str(report),
        )
    return report


def quiz_questions_import_moodle_xml(quiz: Quiz, data: bytes, *, source: str) -> SyncReport:
    """Make ``quiz``'s questions those of a Moodle XML file, matched as a GIFT import matches
    them; questions keep the lessons they link to (Moodle XML cannot name them). A category
    written for this quiz by ``course_moodle_xml`` reads back as the question's own.
    Raises CourseFormatError (``source``, the question and element) and writes nothing."""
    try:
        questions = parse_moodle_xml(data)
    except MoodleXmlError as error:
        raise CourseFormatError(str(error), path=Path(source)) from None
    prefix = quiz_category(quiz)
    for number, question in enumerate(questions, start=1):
        if question.category == prefix or question.category.startswith(prefix + "/"):
            question.category = question.category.removeprefix(prefix).removeprefix("/")
        for name in ("title", "category", "idnumber"):
            limit = Question._meta.get_field(name).max_length
            if len(getattr(question, name)) > limit:
                raise CourseFormatError(
                    f"question {number} “{question.title[:40]}”: its {name} is longer than "
                    f"the {limit} characters Courseware keeps",
                    path=Path(source),
                )
    report = SyncReport()
    with transaction.atomic():
        where = QuizFile(name=quiz.slug, text="", path=Path(source))
        _questions_sync(quiz, questions, {}, where, report, keep_lessons=True)
    return report


def _parse_quiz_file(quiz_file: QuizFile) -> list[GiftQuestion]:
    try:
        return parse_gift(quiz_file.text, source=str(quiz_file.path))
    except GiftError as error:
        raise CourseFormatError(error.message, path=quiz_file.path, line=error.line) from None


def _quiz_fields(settings: dict, *, where: dict, lines: dict) -> dict:
    """The quiz's fields from its settings as the folder gives them, defaults filled in;
    CourseFormatError for a setting the folder format does not know."""
    unknown = set(settings) - set(QUIZ_SETTINGS)
    if unknown:
        first = sorted(unknown)[0]
        raise CourseFormatError(
            f"unknown quiz setting '{first}' (expected one of: {', '.join(QUIZ_SETTINGS)})",
            **{**where, "line": lines.get(first, where["line"])},
        )
    if not settings.get("title"):
        raise CourseFormatError("a quiz needs a 'title'", **where)
    merged = {**QUIZ_DEFAULTS, **settings}
    merged["closes_at"] = _close_moment(
        merged["closes_at"], where={**where, "line": lines.get("closes_at", where["line"])}
    )
    return {QUIZ_SETTINGS[key]: value for key, value in merged.items()}


def _quiz_sync(*, course, slug, values, settings, settings_path, lines, report) -> Quiz:
    """The quiz with ``settings`` as the folder gives them; ``lines``: where each is given."""
    where = {"path": settings_path, "line": lines.get("")}
    fields = _quiz_fields(settings, where=where, lines=lines)
    quiz = Quiz.objects.filter(course=course, slug=slug).first() or Quiz(course=course, slug=slug)
    closed_before = quiz.closes_at if quiz.pk else None
    instance_apply(
        quiz,
        {**values, **fields},
        report=report,
        kind="quizzes",
        where=where,
        names=_SETTING_NAMES,
        lines={field: lines[key] for key, field in QUIZ_SETTINGS.items() if key in lines},
    )
    if quiz.closes_at != closed_before:
        quiz_attempts_close_follow(quiz=quiz)
    return quiz


# A quiz field as the folder names it, for messages: draw_count is 'draw'.
_SETTING_NAMES = {field: key for key, field in QUIZ_SETTINGS.items()}


def _check_draw(quiz: Quiz, *, quiz_file: QuizFile, where: dict) -> None:
    """Refuse a draw no attempt can make: more questions than the bank (or, drawing per
    module or category, than its largest group) holds."""
    if quiz.draw_count is None:
        return
    largest = max(quiz_group_sizes(quiz=quiz).values(), default=0)
    if quiz.draw_count <= largest:
        return
    bank = f"{QUIZZES_DIR}/{quiz_file.name}.gift"
    if quiz.draw_per:
        message = (
            f"draw: {quiz.draw_count} questions from each {quiz.draw_per}, but {bank} holds "
            f"at most {largest} in one {quiz.draw_per}"
        )
    else:
        message = f"draw: {quiz.draw_count} questions, but {bank} holds {largest}"
    raise CourseFormatError(f"{message}: draw fewer, or leave 'draw' out to ask them all", **where)


def _close_moment(value, *, where: dict) -> datetime | None:
    """A quiz's close as the folder writes it: a date and time with its offset from UTC
    (``2025-06-30T17:00:00+02:00``, or ``Z``), so that it is the same moment on every server
    the course is imported on. YAML reads one written plainly as a datetime already."""
    if value is None:
        return None
    moment = value
    if isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    if not isinstance(moment, datetime):
        raise CourseFormatError(
            f"'closes_at' must be a date and time such as 2025-06-30T17:00:00+02:00, "
            f"not {value!r}",
            **where,
        )
    if timezone.is_naive(moment):
        raise CourseFormatError(
            f"'closes_at' {value} needs its offset from UTC, such as +02:00 or Z: without "
            "one, the moment would depend on the server's time zone",
            **where,
        )
    return moment


def _question_keys(titles: list[str]) -> list[tuple[str, int]]:
    """Identity of each question: its title and which occurrence of that title it is.

    Questions without titles (common in Moodle files) are matched by order.
    """
    seen: dict[str, int] = {}
    keys = []
    for title in titles:
        seen[title] = seen.get(title, 0) + 1
        keys.append((title, seen[title]))
    return keys


def _questions_sync(quiz, gift_questions, lessons, quiz_file, report, *, keep_lessons=False):
    """Make the quiz's questions ``gift_questions``. ``keep_lessons``: the file cannot name
    lessons (Moodle XML), so a question matched keeps the lesson it links to."""
    existing = list(quiz.questions.order_by("position", "id").prefetch_related("choices"))
    by_key = dict(zip(_question_keys([q.title for q in existing]), existing, strict=True))
    new_keys = _question_keys([q.title for q in gift_questions])
    for position, (key, gift_question) in enumerate(zip(new_keys, gift_questions, strict=True), 1):
        where = {"path": quiz_file.path, "line": gift_question.line or None}
        lesson, passage = _lesson_reference(gift_question.lesson, lessons, where)
        question = by_key.pop(key, None) or Question(quiz=quiz)
        if keep_lessons:
            lesson, passage = question.lesson, question.passage
        instance_apply(
            question,
            {
                "position": position,
                "kind": gift_question.kind,
                "title": gift_question.title,
                "text": gift_question.text,
                "text_format": gift_question.text_format,
                "category": gift_question.category,
                "idnumber": gift_question.idnumber,
                "tags": gift_question.tags,
                "points": gift_question.points,
                "explanation": gift_question.explanation,
                "explanation_format": gift_question.explanation_format,
                "rubric": gift_question.rubric,
                "lesson": lesson,
                "passage": passage,
            },
            report=report,
            kind="questions",
            where=where,
        )
        _choices_sync(question, gift_question.answers, report, where)
    for stale in by_key.values():
        # Attempts keep their own copy of every question they showed, so
        # removing a question never changes a recorded result.
        pk = stale.pk
        stale.delete()
        report.record("questions", "deleted", stale, pk=pk)


def _choices_sync(question, answers: list[GiftAnswer], report, where) -> None:
    existing = list(question.choices.all()) if question.pk else []
    for position, answer in enumerate(answers, start=1):
        choice = existing[position - 1] if position <= len(existing) else Choice(question=question)
        instance_apply(
            choice,
            {
                "position": position,
                "text": answer.text,
                "text_format": answer.text_format,
                "weight": answer.weight,
                "feedback": answer.feedback,
                "feedback_format": answer.feedback_format,
                "match_text": answer.match,
                "numeric_value": answer.value,
                "tolerance": answer.tolerance,
            },
            report=report,
            kind="choices",
            where=where,
            parent_label=content_label(question),
        )
    for stale in existing[len(answers) :]:
        pk = stale.pk
        stale.delete()
        report.record("choices", "deleted", stale, pk=pk, parent_label=content_label(question))


def _lesson_reference(reference: str, lessons: dict[str, Lesson], where: dict):
    if not reference:
        return None, None
    match = _LESSON_REFERENCE.match(reference.strip())
    if not match:
        raise CourseFormatError(
            f"'// lesson: {reference}' should read '// lesson: <lesson-slug>#passage-<n>'", **where
        )
    lesson = lessons.get(match["slug"])
    if lesson is None:
        raise CourseFormatError(f"no lesson '{match['slug']}' in this course", **where)
    passage = int(match["passage"]) if match["passage"] else None
    if passage is not None and not 1 <= passage <= lesson.passage_count:
        raise CourseFormatError(
            f"lesson '{lesson.slug}' has {lesson.passage_count} passages, not {passage}", **where
        )
    return lesson, passage


def course_zip_extract(archive, folder: Path) -> Path:
    """Unpack a course zip (a path, or an uploaded file) into ``folder``, checked as
    ``zip_unpack`` checks every zip, within the limits above; returns the folder holding
    course.yaml."""
    limits = ZipLimits(
        upload_bytes=ZIP_MAX_BYTES,
        unpacked_bytes=ZIP_MAX_UNPACKED_BYTES,
        file_bytes=ZIP_MAX_FILE_BYTES,
        members=ZIP_MAX_MEMBERS,
        ratio=ZIP_MAX_RATIO,
        kind="a course file",
    )
    zip_unpack(archive, folder, limits)
    if (folder / COURSE_FILE).is_file():
        return folder
    subfolders = [child for child in folder.iterdir() if child.is_dir()]
    if len(subfolders) == 1 and (subfolders[0] / COURSE_FILE).is_file():
        return subfolders[0]
    raise CourseFormatError(
        f"no {COURSE_FILE}: zip the course folder itself, or its contents", path=folder
    )


# Format -------------------------------------------------------------------


def course_folder_formatted(folder: Path | str) -> dict[Path, str | bytes]:
    """The files of ``folder`` in the canonical layout: what ``export_course`` writes after
    ``import_course`` reads the folder, made without a database. Raises CourseFormatError
    for a folder the import would refuse on reading it."""
    spec = read_course_folder(folder)
    for module in spec.modules:
        if module.quiz is not None:
            module.quiz = _settings_formatted(module.quiz, module.path, module.quiz_lines)
    if spec.final_exam is not None:
        course_path = Path(folder) / COURSE_FILE
        spec.final_exam = _settings_formatted(spec.final_exam, course_path, spec.final_exam_lines)
    for quiz_file in spec.quiz_files.values():
        questions = _parse_quiz_file(quiz_file)
        for question in questions:
            question.lesson = _reference_formatted(question.lesson)
        quiz_file.text = dump_gift(questions)
    return course_folder_files(spec, folder)


def _settings_formatted(settings: dict, path: Path, lines: dict) -> dict:
    # Through a quiz, as the export writes one: defaults left out, settings in their order.
    fields = _quiz_fields(settings, where={"path": path, "line": lines.get("")}, lines=lines)
    return quiz_settings(Quiz(**fields))


def _reference_formatted(reference: str) -> str:
    match = _LESSON_REFERENCE.match(reference.strip())
    if not match or not match["passage"]:
        return reference.strip()
    return f"{match['slug']}#passage-{int(match['passage'])}"


# Export -------------------------------------------------------------------


def course_export(course: Course, folder: Path | str) -> list[Path]:
    """Write ``course`` as a folder in canonical form; returns the files written."""
    return write_course_folder(course_folder_spec(course), folder)


def courses_zip(*, courses: list[Course]) -> bytes:
    """Course folders zipped, one folder per course named after its slug: the admin's
    "Export as zip" and the course part of a records backup."""
    buffer = io.BytesIO()
    with (
        tempfile.TemporaryDirectory() as folder,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for course in courses:
            for written in sorted(course_export(course, Path(folder) / course.slug)):
                archive.write(written, written.relative_to(folder).as_posix())
    return buffer.getvalue()


def course_folder_spec(course: Course) -> CourseSpec:
    spec = course_spec(course=course)
    quizzes = (
        course.quizzes.exclude(status=Status.ARCHIVED)
        # A quiz goes with its module: an archived module leaves the folder with its quiz.
        .exclude(module__status=Status.ARCHIVED)
        .select_related("module")
        .prefetch_related("questions__choices", "questions__lesson")
    )
    modules = {module.slug: module for module in spec.modules}
    for quiz in quizzes:
        settings = quiz_settings(quiz)
        if quiz.is_final:
            spec.final_exam = settings
        else:
            modules[quiz.module.slug].quiz = settings
        spec.quiz_files[quiz.slug] = QuizFile(name=quiz.slug, text=quiz_gift(quiz))
    return spec


def quiz_gift(quiz: Quiz) -> str:
    """The quiz's questions as a GIFT file; ValueError for a question GIFT cannot hold."""
    return dump_gift([gift_question(q) for q in quiz.questions.all()])


def quiz_category(quiz: Quiz) -> str:
    """The Moodle category a quiz's questions are exported in: the quiz's title under the
    course's top category ("/" doubled, as Moodle escapes it in a path)."""
    return f"{TOP_CATEGORY}/{quiz.title.replace('/', '//')}"


def course_moodle_xml(course: Course, *, quizzes=None) -> str:
    """The course's question bank (or ``quizzes`` of it) as a Moodle XML file: each quiz a
    category named after it, with the quiz's slug as the category's ID number, and each
    question's own category below it (a category that is already a Moodle path, from a bank
    Moodle wrote, stays as it is). ValueError for a question Moodle XML cannot hold."""
    if quizzes is None:
        quizzes = course.quizzes.exclude(status=Status.ARCHIVED).order_by(
            F("module__position").asc(nulls_last=True)
        )
    questions, idnumbers = [], {}
    for quiz in quizzes.prefetch_related("questions__choices", "questions__lesson"):
        category = quiz_category(quiz)
        idnumbers[category] = quiz.slug
        for question in quiz.questions.all():
            exported = gift_question(question)
            if not exported.category.startswith("$"):
                exported.category = "/".join(filter(None, [category, exported.category]))
            questions.append(exported)
    return dump_moodle_xml(questions, category_idnumbers=idnumbers)


def quiz_settings(quiz: Quiz) -> dict:
    """Quiz settings as the folder writes them: defaults left out."""
    settings = {}
    for key, field_name in QUIZ_SETTINGS.items():
        value = getattr(quiz, field_name)
        if key in QUIZ_DEFAULTS and value == QUIZ_DEFAULTS[key]:
            continue
        settings[key] = str(value) if key in ("draw_per", "review", "status") else value
    return settings


def gift_question(question: Question) -> GiftQuestion:
    reference = ""
    if question.lesson is not None:
        reference = question.lesson.slug
        if question.passage:
            reference += f"#passage-{question.passage}"
    text_format = question.text_format
    return GiftQuestion(
        kind=question.kind,
        title=question.title,
        text=question.text,
        text_format=text_format,
        category=question.category,
        idnumber=question.idnumber,
        tags=list(question.tags),
        points=plain_decimal(question.points),
        explanation=question.explanation,
        explanation_format=own_format(
            question.explanation_format, text_format, question.explanation
        ),
        rubric=question.rubric,
        lesson=reference,
        answers=[
            gift_answer(choice, kind=question.kind, question_format=text_format)
            for choice in question.choices.all()
        ],
    )


def gift_answer(choice: Choice, *, kind: str, question_format: str) -> GiftAnswer:
    """One answer of a question of ``kind`` as GIFT holds it (saved or being edited)."""
    return GiftAnswer(
        text=choice.text,
        # Short answers and numbers keep no format of their own (as in Moodle).
        text_format=own_format(choice.text_format, question_format, choice.text)
        if kind_for(kind).answer_text_format
        else "",
        weight=plain_decimal(choice.weight),
        feedback=choice.feedback,
        feedback_format=own_format(choice.feedback_format, question_format, choice.feedback),
        match=choice.match_text,
        value=None if choice.numeric_value is None else plain_decimal(choice.numeric_value),
        tolerance=plain_decimal(choice.tolerance),
    )


def plain_decimal(value: Decimal) -> Decimal:
    """``Decimal('100.0000')`` → ``Decimal('100')``, never ``1E+2``."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


# Fixture ------------------------------------------------------------------


def course_fixture(course: Course) -> str:
    """The course as a Django fixture with natural keys (for ``loaddata``)."""
    objects = [
        course,
        *course.modules.all(),
        *course.lessons.all(),
        *course.quizzes.all(),
        *Question.objects.filter(quiz__course=course),
        *Choice.objects.filter(question__quiz__course=course),
    ]
    records = json.loads(
        serializers.serialize(
            "json", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
    )
    for record in records:
        fields = record["fields"]
        for name in ("created_at", "updated_at"):
            if name in fields:
                fields[name] = FIXTURE_TIMESTAMP
        if "instructors" in fields:
            fields["instructors"] = []  # people are not content
        if "weight" in fields:  # "0", not the serialiser's "0E-7"
            fields["weight"] = format(Decimal(fields["weight"]), "f")
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
