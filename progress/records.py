"""Learners' records as data: each learner's own download, and a course's records for backup.

Both are plain JSON with full timestamps. The backup names everything by natural
keys (usernames, slugs, attempt numbers, certificate codes), so it restores into
another database, and restoring it again finds everything there and writes nothing.
"""

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction

from assessments.course_io import course_folder_spec, course_import, courses_zip
from assessments.grading import answer_to_public, shown_for_learner
from assessments.models import Attempt, GradeChange, Question, Quiz, QuizOverride, Response
from lessons.course_folder import COURSE_FILE, CourseFormatError
from lessons.markdown import validate_lesson_body
from lessons.models import Course, Lesson, Module, Status
from progress.models import Certificate, Enrollment, LessonCompletion

RECORDS_FILE = "records.json"
RECORDS_FORMAT = "courseware-course-records/1"
ATTEMPT_FIELDS = (
    "number",
    "started_at",
    "time_limit_minutes",
    "deadline",
    "submitted_at",
    "auto_submitted",
    "pass_mark",
    "score",
    "max_score",
    "percent",
    "passed",
)
RESPONSE_FIELDS = ("slot", "answer", "saved_at", "score", "is_correct")
# Each change of a response's grade; the backup adds who made it (``by``, a username).
GRADE_CHANGE_FIELDS = (
    "source",
    "score_before",
    "score_after",
    "is_correct_before",
    "is_correct_after",
    "reason",
    "feedback",
    "created_at",
)
# A learner's own terms for a quiz; the backup adds whose and which quiz, and who granted them.
OVERRIDE_FIELDS = (
    "extra_attempts",
    "time_limit_minutes",
    "time_multiplier",
    "closes_at",
    "reason",
    "created_at",
)


def records_json(data: dict) -> str:
    """JSON with exact values: every microsecond and decimal place survives a round trip."""

    def exact(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(f"{type(value).__name__} is not JSON")

    return json.dumps(data, default=exact, ensure_ascii=False, indent=1)


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


# --- A learner's own data ------------------------------------------------------------------


def learner_data(*, learner, absolute_url: Callable[[str], str]) -> dict:
    """Everything the learner did, in six queries whatever its size.

    Questions are as the learner saw them, without answer keys: an open attempt
    must not give them away, and they are the course's, not the learner's.
    """
    attempts = (
        Attempt.objects.filter(learner=learner)
        .select_related("quiz__course")
        .prefetch_related("responses__grade_changes")
        .order_by("started_at", "pk")
    )
    return {
        "account": _fields(
            learner, ("username", "first_name", "last_name", "email", "date_joined")
        ),
        "enrollments": [
            {
                "course": e.course.slug,
                "course_title": e.course.title,
                **_fields(e, ("enrolled_at", "last_activity_at", "completed_at")),
            }
            for e in Enrollment.objects.filter(learner=learner).select_related("course")
        ],
        "lesson_completions": [
            {
                "course": c.lesson.course.slug,
                "lesson": c.lesson.slug,
                "lesson_title": c.lesson.title,
                "completed_at": c.completed_at,
            }
            for c in LessonCompletion.objects.filter(learner=learner).select_related(
                "lesson__course"
            )
        ],
        "attempts": [
            {
                "course": a.quiz.course.slug,
                "quiz": a.quiz.slug,
                "quiz_title": a.quiz.title,
                **_fields(a, ATTEMPT_FIELDS),
                "responses": [
                    {
                        "question": shown_for_learner(r.shown),
                        **_fields(r, RESPONSE_FIELDS),
                        # In the tokens the question above names its options by.
                        "answer": answer_to_public(r.shown, r.answer),
                        # Grades and comments from instructors, as the result page shows
                        # them: when and why, not who.
                        "grade_changes": [
                            _fields(change, GRADE_CHANGE_FIELDS)
                            for change in r.grade_changes.all()
                        ],
                    }
                    for r in a.responses.all()
                ],
            }
            for a in attempts
        ],
        "certificates": [
            {
                **_fields(c, ("code", "learner_name", "course_title", "issued_at")),
                "course": c.course.slug,
                "verification_url": absolute_url(c.get_absolute_url()),
            }
            for c in Certificate.objects.filter(learner=learner).select_related("course")
        ],
    }


# --- A course's records, for backup and restore ---------------------------------------------


def course_records(*, course: Course) -> dict:
    """The course's learners and their records, named by natural keys.

    Lessons and quizzes the course folder leaves out (archived) but records point
    at travel with the records, so nothing is lost on restore.
    """
    spec = course_folder_spec(course)
    in_folder_lessons = {lesson.slug for module in spec.modules for lesson in module.lessons}
    enrollments = list(Enrollment.objects.filter(course=course).select_related("learner"))
    completions = list(
        LessonCompletion.objects.filter(lesson__course=course).select_related(
            "learner", "lesson__module"
        )
    )
    attempts = list(
        Attempt.objects.filter(quiz__course=course)
        .select_related("learner", "quiz__module")
        .prefetch_related("responses__grade_changes__by")
        .order_by("pk")
    )
    certificates = list(Certificate.objects.filter(course=course).select_related("learner"))
    overrides = list(
        QuizOverride.objects.filter(quiz__course=course)
        .select_related("learner", "granted_by", "quiz__module")
        .order_by("pk")
    )
    learners = {
        record.learner.username: record.learner
        for record in [*enrollments, *completions, *attempts, *certificates, *overrides]
        if record.learner is not None
    }
    # Who changed a grade or granted an override travels too, so the history keeps its
    # names (restored as plain accounts: the backup carries no one's rights).
    graders = [
        change.by
        for attempt in attempts
        for response in attempt.responses.all()
        for change in response.grade_changes.all()
        if change.by is not None
    ]
    granters = [override.granted_by for override in overrides]
    learners |= {user.username: user for user in [*graders, *granters]}
    lessons = {c.lesson.slug: c.lesson for c in completions}
    # A response names its question by its place in the quiz file, where the import puts it.
    in_file = Question.objects.filter(quiz__course=course).order_by("quiz", "position", "id")
    place_in_file = {
        pk: place
        for _, questions in groupby(in_file.values_list("quiz", "pk"), key=itemgetter(0))
        for place, (_, pk) in enumerate(questions, start=1)
    }
    quizzes = {record.quiz.slug: record.quiz for record in [*attempts, *overrides]}
    return {
        "format": RECORDS_FORMAT,
        "course": course.slug,
        "learners": [
            _fields(user, ("username", "first_name", "last_name", "email"))
            for user in sorted(learners.values(), key=lambda user: user.username)
        ],
        "archived": {
            "lessons": [
                _lesson_record(lesson)
                for slug, lesson in sorted(lessons.items())
                if slug not in in_folder_lessons
            ],
            "quizzes": [
                _quiz_record(quiz)
                for slug, quiz in sorted(quizzes.items())
                if slug not in spec.quiz_files
            ],
        },
        "enrollments": [
            {
                "learner": e.learner.username,
                **_fields(e, ("enrolled_at", "last_activity_at", "completed_at")),
            }
            for e in enrollments
        ],
        "completions": [
            {
                "learner": c.learner.username,
                "lesson": c.lesson.slug,
                "completed_at": c.completed_at,
            }
            for c in completions
        ],
        "attempts": [
            {
                "learner": a.learner.username,
                "quiz": a.quiz.slug,
                **_fields(a, ATTEMPT_FIELDS),
                "responses": [
                    {
                        "question": place_in_file.get(r.question_id),
                        "shown": r.shown,
                        **_fields(r, RESPONSE_FIELDS),
                        "grade_changes": [
                            {
                                **_fields(change, GRADE_CHANGE_FIELDS),
                                "by": change.by.username if change.by else None,
                            }
                            for change in r.grade_changes.all()
                        ],
                    }
                    for r in a.responses.all()
                ],
            }
            for a in attempts
        ],
        "certificates": [
            {
                "learner": c.learner.username if c.learner else None,
                **_fields(c, ("code", "learner_name", "course_title", "issued_at")),
            }
            for c in certificates
        ],
        "overrides": [
            {
                "learner": o.learner.username,
                "quiz": o.quiz.slug,
                **_fields(o, OVERRIDE_FIELDS),
                "granted_by": o.granted_by.username,
            }
            for o in overrides
        ],
    }


# Content outside the folder comes back archived (importing the folder again would
# archive it anyway), with what its records' pages show.


def _module_record(module: Module) -> dict:
    return _fields(module, ("slug", "title", "position"))


def _lesson_record(lesson: Lesson) -> dict:
    return {
        **_fields(lesson, ("slug", "title", "position", "body")),
        "module": _module_record(lesson.module),
    }


def _quiz_record(quiz: Quiz) -> dict:
    return {
        **_fields(quiz, ("slug", "title", "kind", "pass_mark", "max_attempts")),
        "module": _module_record(quiz.module) if quiz.module else None,
    }


def course_records_zip(*, course: Course) -> bytes:
    """The course folder (as export_course writes it) with records.json beside course.yaml."""
    buffer = io.BytesIO(courses_zip(courses=[course]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"{course.slug}/{RECORDS_FILE}", records_json(course_records(course=course))
        )
    return buffer.getvalue()


# --- Restore ----------------------------------------------------------------------------------


class RecordsError(Exception):
    """A records file that cannot be restored; the message says where and what."""


class LearnerRecord(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)


class EnrollmentRecord(forms.Form):
    learner = forms.CharField()
    enrolled_at = forms.DateTimeField()
    last_activity_at = forms.DateTimeField(required=False)
    completed_at = forms.DateTimeField(required=False)


class CompletionRecord(forms.Form):
    learner = forms.CharField()
    lesson = forms.SlugField()
    completed_at = forms.DateTimeField()


class AttemptRecord(forms.Form):
    learner = forms.CharField()
    quiz = forms.SlugField()
    number = forms.IntegerField(min_value=1)
    started_at = forms.DateTimeField()
    time_limit_minutes = forms.IntegerField(required=False, min_value=1)
    deadline = forms.DateTimeField(required=False)
    submitted_at = forms.DateTimeField(required=False)
    auto_submitted = forms.BooleanField(required=False)
    pass_mark = forms.IntegerField(min_value=0, max_value=100)
    score = forms.DecimalField(required=False)
    max_score = forms.DecimalField()
    percent = forms.DecimalField(required=False)
    passed = forms.NullBooleanField()


class ResponseRecord(forms.Form):
    question = forms.IntegerField(required=False)
    slot = forms.IntegerField(min_value=1)
    saved_at = forms.DateTimeField(required=False)
    score = forms.DecimalField(required=False)
    is_correct = forms.NullBooleanField()


class GradeChangeRecord(forms.Form):
    source = forms.ChoiceField(choices=GradeChange.Source.choices)
    score_before = forms.DecimalField(required=False)
    score_after = forms.DecimalField(min_value=0)
    is_correct_before = forms.NullBooleanField()
    is_correct_after = forms.NullBooleanField()
    reason = forms.CharField(required=False, strip=False)
    feedback = forms.CharField(required=False, strip=False)
    by = forms.CharField(required=False)
    created_at = forms.DateTimeField()


class CertificateRecord(forms.Form):
    learner = forms.CharField(required=False)
    code = forms.CharField(max_length=19)
    learner_name = forms.CharField(max_length=300)
    course_title = forms.CharField(max_length=200)
    issued_at = forms.DateTimeField()


class OverrideRecord(forms.Form):
    learner = forms.CharField()
    quiz = forms.SlugField()
    extra_attempts = forms.IntegerField(min_value=0)
    time_limit_minutes = forms.IntegerField(required=False, min_value=1)
    time_multiplier = forms.DecimalField(
        required=False, max_digits=4, decimal_places=2, min_value=Decimal("0.01")
    )
    closes_at = forms.DateTimeField(required=False)
    reason = forms.CharField(strip=False)
    granted_by = forms.CharField()
    created_at = forms.DateTimeField()

    def clean(self):
        data = super().clean()
        if data.get("time_limit_minutes") and data.get("time_multiplier"):
            raise forms.ValidationError("a time limit or a multiplier, not both")
        return data


def _clean(form_class, data, where: str) -> dict:
    if not isinstance(data, dict):
        raise RecordsError(f"{where}: expected an object")
    form = form_class(data)
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        field = "" if name == NON_FIELD_ERRORS else f"{name}: "
        raise RecordsError(f"{where}: {field}{' '.join(errors)}")
    return form.cleaned_data


def _section(data: dict, name: str) -> list:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise RecordsError(f"{RECORDS_FILE}: '{name}' should be a list")
    return value


def course_records_import(path: Path | str) -> tuple[Course, dict]:
    """Restore a zip of course_records_zip: the course, its learners and their records.

    All or nothing, in one transaction. Returns the course and what was written,
    counted by kind (empty when everything was there already).
    """
    with tempfile.TemporaryDirectory() as scratch:
        folder = _unzip(Path(path), Path(scratch))
        data = _records_read(folder / RECORDS_FILE)
        with transaction.atomic():
            try:
                course, _ = course_import(folder)
            except CourseFormatError as error:
                where = error.path.relative_to(folder) if error.path.is_relative_to(folder) else ""
                line = f", line {error.line}" if error.line else ""
                raise RecordsError(f"{where}{line}: {error.message}") from None
            if data.get("course") != course.slug:
                raise RecordsError(
                    f"{RECORDS_FILE} is for the course '{data.get('course')}', "
                    f"the folder for '{course.slug}'"
                )
            written = _records_restore(course, data)
    return course, written


def _unzip(path: Path, scratch: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as archive:
            # extractall never writes outside ``scratch`` (absolute and .. parts are dropped).
            archive.extractall(scratch)
    except (zipfile.BadZipFile, OSError) as error:
        raise RecordsError(f"{path}: not a readable zip file ({error})") from None
    folders = [found.parent for found in scratch.glob(f"**/{COURSE_FILE}")]
    if len(folders) != 1:
        raise RecordsError(f"{path}: expected one course folder (with {COURSE_FILE}) in the zip")
    return folders[0]


def _records_read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordsError(f"no {RECORDS_FILE} beside {COURSE_FILE} in the zip") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordsError(f"{RECORDS_FILE}: not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != RECORDS_FORMAT:
        raise RecordsError(f"{RECORDS_FILE}: not a course records file ({RECORDS_FORMAT})")
    return data


def _records_restore(course: Course, data: dict) -> dict:
    written: dict[str, int] = {}

    def wrote(kind: str) -> None:
        written[kind] = written.get(kind, 0) + 1

    def learner_of(record: dict, where: str, *, key: str = "learner"):
        try:
            return learners[record[key]]
        except KeyError:
            raise RecordsError(
                f"{where}: the {key} '{record[key]}' is not in 'learners'"
            ) from None

    learners = {}
    for i, record in enumerate(_section(data, "learners")):
        fields = _clean(LearnerRecord, record, f"learners[{i}]")
        user = get_user_model().objects.filter(username=fields["username"]).first()
        if user is None:
            user = get_user_model()(**fields)
            user.set_unusable_password()  # they set one through "forgot password"
            user.save()
            wrote("learners created")
        learners[user.username] = user

    archived = data.get("archived") or {}
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    quizzes = {quiz.slug: quiz for quiz in course.quizzes.all()}
    for kind, model, found in (("lessons", Lesson, lessons), ("quizzes", Quiz, quizzes)):
        for i, record in enumerate(_section(archived, kind)):
            content, created = _archived_restore(course, model, record, f"archived.{kind}[{i}]")
            found[content.slug] = content
            if created:
                wrote(f"archived {kind}")

    for i, record in enumerate(_section(data, "enrollments")):
        where = f"enrollments[{i}]"
        fields = _clean(EnrollmentRecord, record, where)
        learner = learner_of(fields, where)
        if not Enrollment.objects.filter(learner=learner, course=course).exists():
            with _named_conflict(where):
                enrollment = Enrollment.objects.create(
                    learner=learner,
                    course=course,
                    last_activity_at=fields["last_activity_at"],
                    completed_at=fields["completed_at"],
                )
                # enrolled_at is set on creation (auto_now_add): the recorded one is put back.
                Enrollment.objects.filter(pk=enrollment.pk).update(
                    enrolled_at=fields["enrolled_at"]
                )
            wrote("enrollments")

    for i, record in enumerate(_section(data, "completions")):
        where = f"completions[{i}]"
        fields = _clean(CompletionRecord, record, where)
        learner, lesson = learner_of(fields, where), lessons.get(fields["lesson"])
        if lesson is None:
            raise RecordsError(f"{where}: no lesson '{fields['lesson']}' in the course")
        if not LessonCompletion.objects.filter(learner=learner, lesson=lesson).exists():
            with _named_conflict(where):
                LessonCompletion.objects.create(
                    learner=learner, lesson=lesson, completed_at=fields["completed_at"]
                )
            wrote("lesson completions")

    questions = {
        (question.quiz_id, question.position): question
        for question in Question.objects.filter(quiz__course=course)
    }
    for i, record in enumerate(_section(data, "attempts")):
        where = f"attempts[{i}]"
        fields = _clean(AttemptRecord, record, where)
        learner, quiz = learner_of(fields, where), quizzes.get(fields.pop("quiz"))
        if quiz is None:
            raise RecordsError(f"{where}: no quiz '{record['quiz']}' in the course")
        del fields["learner"]
        if Attempt.objects.filter(learner=learner, quiz=quiz, number=fields["number"]).exists():
            continue
        responses, changes = [], []
        for j, response in enumerate(_section(record, "responses")):
            response_where = f"{where}.responses[{j}]"
            response_fields = _clean(ResponseRecord, response, response_where)
            if not isinstance(response.get("shown"), dict):
                raise RecordsError(f"{response_where}: shown: the question as shown is missing")
            position = response_fields.pop("question")
            restored = Response(
                **response_fields,
                question=questions.get((quiz.pk, position)),
                shown=response["shown"],
                answer=response.get("answer"),
            )
            responses.append(restored)
            for k, change in enumerate(_section(response, "grade_changes")):
                change_where = f"{response_where}.grade_changes[{k}]"
                change_fields = _clean(GradeChangeRecord, change, change_where)
                by = (
                    learner_of(change_fields, change_where, key="by")
                    if change_fields["by"]
                    else None
                )
                del change_fields["by"]
                changes.append(GradeChange(response=restored, by=by, **change_fields))
        with _named_conflict(where):
            attempt = Attempt.objects.create(learner=learner, quiz=quiz, **fields)
            for response in responses:
                response.attempt = attempt
            Response.objects.bulk_create(responses)
            for change in changes:
                change.response_id = change.response.pk
            GradeChange.objects.bulk_create(changes)
        wrote("attempts")

    for i, record in enumerate(_section(data, "certificates")):
        where = f"certificates[{i}]"
        fields = _clean(CertificateRecord, record, where)
        learner = learner_of(fields, where) if fields["learner"] else None
        del fields["learner"]
        if not Certificate.objects.filter(code=fields["code"]).exists():
            with _named_conflict(where):
                Certificate.objects.create(learner=learner, course=course, **fields)
            wrote("certificates")

    for i, record in enumerate(_section(data, "overrides")):
        where = f"overrides[{i}]"
        fields = _clean(OverrideRecord, record, where)
        learner = learner_of(fields, where)
        granted_by = learner_of(fields, where, key="granted_by")
        quiz = quizzes.get(fields["quiz"])
        if quiz is None:
            raise RecordsError(f"{where}: no quiz '{fields['quiz']}' in the course")
        if not QuizOverride.objects.filter(learner=learner, quiz=quiz).exists():
            created_at = fields.pop("created_at")
            del fields["learner"], fields["quiz"], fields["granted_by"]
            with _named_conflict(where):
                override = QuizOverride.objects.create(
                    learner=learner, quiz=quiz, granted_by=granted_by, **fields
                )
                # created_at is set on creation (auto_now_add): the recorded one is put back.
                QuizOverride.objects.filter(pk=override.pk).update(created_at=created_at)
            wrote("overrides")
    return written


class _named_conflict:
    """A record the database refuses (it contradicts one there): say which, write nothing."""

    def __init__(self, where: str):
        self.where = where
        self.savepoint = transaction.atomic()

    def __enter__(self):
        self.savepoint.__enter__()

    def __exit__(self, kind, error, traceback):
        self.savepoint.__exit__(kind, error, traceback)
        if isinstance(error, IntegrityError):
            raise RecordsError(
                f"{self.where}: conflicts with a record already in the database ({error})"
            ) from None
        return False


class ArchivedModule(forms.Form):
    slug = forms.SlugField(max_length=100)
    title = forms.CharField(max_length=200)
    position = forms.IntegerField(min_value=0)


class ArchivedLesson(ArchivedModule):
    body = forms.CharField(required=False, strip=False, validators=[validate_lesson_body])


class ArchivedQuiz(forms.Form):
    slug = forms.SlugField(max_length=100)
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Quiz.Kind.choices)
    pass_mark = forms.IntegerField(min_value=0, max_value=100)
    max_attempts = forms.IntegerField(min_value=1, required=False)


ARCHIVED = {Module: ArchivedModule, Lesson: ArchivedLesson, Quiz: ArchivedQuiz}


def _archived_restore(course: Course, model, record, where: str) -> tuple:
    """Find the content by slug, or create it archived (with its module); (object, created)."""
    fields = _clean(ARCHIVED[model], record, where)
    existing = model.objects.filter(course=course, slug=fields["slug"]).first()
    if existing is not None:
        return existing, False
    module = record.get("module")
    if model is Lesson and not isinstance(module, dict):
        raise RecordsError(f"{where}: module: a lesson needs its module")
    with _named_conflict(where):
        if module is not None:
            fields["module"], _ = _archived_restore(course, Module, module, f"{where}.module")
        return model.objects.create(course=course, status=Status.ARCHIVED, **fields), True
