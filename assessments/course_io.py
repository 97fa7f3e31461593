"""Course-as-code: import a course folder into the database and export it back.

The lessons app reads and writes the folder's course and module files; this
module adds the quizzes (settings and GIFT question files) and runs the whole
import in one transaction, so a bad file anywhere writes nothing.
"""

import io
import json
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath

from django.core import serializers
from django.db import transaction

from assessments.gift import GiftAnswer, GiftError, GiftQuestion, dump_gift, parse_gift
from assessments.models import Choice, Question, Quiz
from courseware.events import Event, event_log
from lessons.course_folder import (
    COURSE_FILE,
    FINAL_EXAM_NAME,
    MAX_TEXT_BYTES,
    CourseFormatError,
    CourseSpec,
    QuizFile,
    read_course_folder,
    write_course_folder,
)
from lessons.models import Course, Lesson, Status
from lessons.selectors import course_spec
from lessons.services import SyncReport, content_remove, course_prune, course_sync, instance_apply

# Quiz settings as written in the folder → model field, in the order they are written.
QUIZ_SETTINGS = {
    "title": "title",
    "pass_mark": "pass_mark",
    "max_attempts": "max_attempts",
    "time_limit_minutes": "time_limit_minutes",
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
    "draw": None,
    "draw_per": Quiz.DrawPer.BANK,
    "shuffle_questions": False,
    "shuffle_choices": False,
    "review": Quiz.Review.RETAKE_SAFE,
    "status": Status.PUBLISHED,
}
_LESSON_REFERENCE = re.compile(r"^(?P<slug>[-\w]+)(?:#passage-(?P<passage>\d+))?$")
# Course zips: generous for a text course, small enough that an upload cannot fill the
# disk or memory. The sizes in the zip's directory are checked before anything is written:
# zipfile unpacks no more than they say (and fails the checksum if the data differ).
ZIP_MAX_BYTES = 20 * 1024 * 1024  # the upload itself
ZIP_MAX_UNPACKED_BYTES = 20 * 1024 * 1024  # all files together, unpacked
ZIP_MAX_FILE_BYTES = MAX_TEXT_BYTES  # each file, unpacked: the largest text a course reads
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
                    report=report,
                )
                _questions_sync(quiz, questions[module.slug], lessons, spec.quiz_files[module.slug],
                                report)  # fmt: skip
                wanted.add(quiz.pk)
        if spec.final_exam is not None:
            quiz = _quiz_sync(
                course=course,
                slug=FINAL_EXAM_NAME,
                values={"kind": Quiz.Kind.FINAL, "module": None},
                settings=spec.final_exam,
                settings_path=Path(spec.path or ".") / COURSE_FILE,
                report=report,
            )
            _questions_sync(quiz, questions[FINAL_EXAM_NAME], lessons,
                            spec.quiz_files[FINAL_EXAM_NAME], report)  # fmt: skip
            wanted.add(quiz.pk)
        for stale in course.quizzes.exclude(pk__in=wanted):
            content_remove(stale, report=report, kind="quizzes")
        course_prune(course=course, spec=spec, report=report)
        event_log(Event.IMPORT_APPLIED, what="course", course_id=course.pk, changes=str(report))
    return course, report


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


def _parse_quiz_file(quiz_file: QuizFile) -> list[GiftQuestion]:
    try:
        return parse_gift(quiz_file.text, source=str(quiz_file.path))
    except GiftError as error:
        raise CourseFormatError(error.message, path=quiz_file.path, line=error.line) from None


def _quiz_sync(*, course, slug, values, settings, settings_path, report) -> Quiz:
    unknown = set(settings) - set(QUIZ_SETTINGS)
    if unknown:
        raise CourseFormatError(
            f"unknown quiz setting '{sorted(unknown)[0]}' "
            f"(expected one of: {', '.join(QUIZ_SETTINGS)})",
            path=settings_path,
        )
    if not settings.get("title"):
        raise CourseFormatError("a quiz needs a 'title'", path=settings_path)
    merged = {**QUIZ_DEFAULTS, **settings}
    fields = {QUIZ_SETTINGS[key]: value for key, value in merged.items()}
    quiz = Quiz.objects.filter(course=course, slug=slug).first() or Quiz(course=course, slug=slug)
    instance_apply(
        quiz, {**values, **fields}, report=report, kind="quizzes", where={"path": settings_path}
    )
    return quiz


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


def _questions_sync(quiz, gift_questions, lessons, quiz_file, report) -> None:
    existing = list(quiz.questions.order_by("position", "id").prefetch_related("choices"))
    by_key = dict(zip(_question_keys([q.title for q in existing]), existing, strict=True))
    new_keys = _question_keys([q.title for q in gift_questions])
    for position, (key, gift_question) in enumerate(zip(new_keys, gift_questions, strict=True), 1):
        where = {"path": quiz_file.path, "line": gift_question.line}
        lesson, passage = _lesson_reference(gift_question.lesson, lessons, where)
        question = by_key.pop(key, None) or Question(quiz=quiz)
        instance_apply(
            question,
            {
                "position": position,
                "kind": gift_question.kind,
                "title": gift_question.title,
                "text": gift_question.text,
                "text_format": gift_question.text_format,
                "category": gift_question.category,
                "points": gift_question.points,
                "explanation": gift_question.explanation,
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
        stale.delete()
        report.add("questions", "deleted")


def _choices_sync(question, answers: list[GiftAnswer], report, where) -> None:
    existing = list(question.choices.all()) if question.pk else []
    for position, answer in enumerate(answers, start=1):
        choice = existing[position - 1] if position <= len(existing) else Choice(question=question)
        instance_apply(
            choice,
            {
                "position": position,
                "text": answer.text,
                "weight": answer.weight,
                "feedback": answer.feedback,
                "match_text": answer.match,
                "numeric_value": answer.value,
                "tolerance": answer.tolerance,
            },
            report=report,
            kind="choices",
            where=where,
        )
    for stale in existing[len(answers) :]:
        stale.delete()
        report.add("choices", "deleted")


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


# What zipfile raises for a damaged or truncated zip, a compression method or zip version
# it does not know, or a name this system cannot hold.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def course_zip_extract(archive, folder: Path) -> Path:
    """Unpack a course zip (a path, or an uploaded file) into ``folder``; returns the
    folder holding course.yaml.

    Every member is checked before anything is written: a name that could write outside
    ``folder`` (``..``, an absolute path, a drive letter, a backslash), a link, an
    encrypted file, and sizes past the limits above are refused as CourseFormatError.
    """
    size = Path(archive).stat().st_size if isinstance(archive, str | Path) else archive.size
    if size > ZIP_MAX_BYTES:
        raise CourseFormatError(f"larger than {ZIP_MAX_BYTES // 2**20} MB", path=folder)
    try:
        zipped = zipfile.ZipFile(archive)
    except _ZIP_ERRORS:
        raise CourseFormatError("not a zip file, or a damaged one", path=folder) from None
    where = folder
    try:
        with zipped:
            for member, target in _zip_members(zipped, folder):
                where = target
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except CourseFormatError:
        raise
    except _ZIP_ERRORS as error:
        raise CourseFormatError(f"cannot unpack: {error}", path=where) from None
    if (folder / COURSE_FILE).is_file():
        return folder
    subfolders = [child for child in folder.iterdir() if child.is_dir()]
    if len(subfolders) == 1 and (subfolders[0] / COURSE_FILE).is_file():
        return subfolders[0]
    raise CourseFormatError(
        f"no {COURSE_FILE}: zip the course folder itself, or its contents", path=folder
    )


def _zip_members(zipped: zipfile.ZipFile, folder: Path) -> list[tuple[zipfile.ZipInfo, Path]]:
    """The files to unpack with their targets; CourseFormatError for anything unsafe."""
    members = [
        member
        for member in zipped.infolist()
        if not member.is_dir() and not member.filename.startswith("__MACOSX/")
    ]
    if len(members) > ZIP_MAX_MEMBERS:
        raise CourseFormatError(f"more than {ZIP_MAX_MEMBERS} files", path=folder)
    total = 0
    checked = []
    for member in members:
        name = PurePosixPath(member.filename)
        shown = folder / name.name
        if (
            name.is_absolute()
            or PureWindowsPath(member.filename).drive
            or "\\" in member.filename
            or not name.parts
            or any(part in ("..", ".") for part in name.parts)
        ):
            raise CourseFormatError("unsafe file name in the zip", path=shown)
        if stat.S_ISLNK(member.external_attr >> 16):
            raise CourseFormatError("a link in the zip: zip the files themselves", path=shown)
        if member.flag_bits & 0x1:
            raise CourseFormatError("encrypted: zip it without a password", path=shown)
        if member.file_size > ZIP_MAX_FILE_BYTES:
            raise CourseFormatError(
                f"larger than {ZIP_MAX_FILE_BYTES // 2**20} MB unpacked", path=shown
            )
        if member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1):
            raise CourseFormatError(
                f"compressed more than {ZIP_MAX_RATIO} times: not a course file", path=shown
            )
        total += member.file_size
        if total > ZIP_MAX_UNPACKED_BYTES:
            raise CourseFormatError(
                f"more than {ZIP_MAX_UNPACKED_BYTES // 2**20} MB unpacked", path=folder
            )
        checked.append((member, folder.joinpath(*name.parts)))
    return checked


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
    return GiftQuestion(
        kind=question.kind,
        title=question.title,
        text=question.text,
        text_format=question.text_format,
        category=question.category,
        points=plain_decimal(question.points),
        explanation=question.explanation,
        lesson=reference,
        answers=[
            GiftAnswer(
                text=choice.text,
                weight=plain_decimal(choice.weight),
                feedback=choice.feedback,
                match=choice.match_text,
                value=None
                if choice.numeric_value is None
                else plain_decimal(choice.numeric_value),
                tolerance=plain_decimal(choice.tolerance),
            )
            for choice in question.choices.all()
        ],
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
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"
