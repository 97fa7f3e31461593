"""Domain events: what an operator greps the log for. Each is logged once, by the service that
does it, with its fields; an action refused or rolled back logs nothing."""

import io
import json
import logging
import shutil
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from assessments.course_io import course_import, quiz_questions_import
from assessments.services import quiz_override_grant
from courseware.events import Event
from courseware.logs import JsonFormatter, TextFormatter
from lessons.course_folder import CourseFormatError
from lessons.models import Status
from progress.models import Certificate
from progress.records import RECORDS_FILE, RecordsError, course_records_import, course_records_zip
from progress.services import (
    AttemptOffLine,
    course_completion_check,
    enrollment_create,
    quiz_attempt_grant,
    quiz_attempt_start,
    quiz_attempt_submit,
)
from tests.factories import UserFactory, course_with_modules

pytestmark = pytest.mark.django_db

SHIPPED = Path(settings.BASE_DIR) / "fixtures" / "military-diplomacy"


@pytest.fixture
def events(caplog, django_capture_on_commit_callbacks):
    """``with events() as logged:`` — ``logged`` holds (event, fields) for each event line
    written by the block, once its transactions have committed."""

    @contextmanager
    def capture():
        logged = []
        caplog.clear()
        with (
            caplog.at_level(logging.INFO, logger="courseware.events"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield logged
        logged.extend(
            (record.getMessage(), record.fields)
            for record in caplog.records
            if record.name == "courseware.events"
        )

    return capture


@pytest.fixture
def course():
    return course_with_modules(modules=1, lessons=1, slug="naval")


@pytest.fixture
def enrolled(learner, course):
    enrollment_create(learner=learner, course=course)
    return learner


def test_a_submitted_attempt_is_logged_once_with_its_result(
    events, enrolled, course, now, answer_all
):
    quiz = course.modules.get().quiz
    attempt = quiz_attempt_start(learner=enrolled, quiz=quiz, now=now)
    answer_all(attempt, now=now)

    with events() as logged:
        quiz_attempt_submit(attempt=attempt, now=now)
        quiz_attempt_submit(attempt=attempt, now=now)  # a second click changes nothing

    assert logged == [
        (
            "attempt_submitted",
            {
                "attempt_id": attempt.pk,
                "learner_id": enrolled.pk,
                "course_id": course.pk,
                "quiz_id": quiz.pk,
                "number": 1,
                "percent": Decimal("100.00"),
                "passed": True,
                "submitted_at": now.isoformat(),
            },
        )
    ]


def test_a_submission_refused_while_the_quiz_is_off_line_logs_nothing(
    events, enrolled, course, now
):
    quiz = course.modules.get().quiz
    attempt = quiz_attempt_start(learner=enrolled, quiz=quiz, now=now)
    quiz.status = Status.DRAFT
    quiz.save()

    with events() as logged, pytest.raises(AttemptOffLine):
        quiz_attempt_submit(attempt=attempt, now=now)

    assert logged == []


def test_the_expiry_job_logs_each_attempt_it_hands_in_once(events, course, now):
    quiz = course.modules.get().quiz
    quiz.time_limit_minutes = 30
    quiz.save()
    expired, running = UserFactory(), UserFactory()
    for learner in (expired, running):
        enrollment_create(learner=learner, course=course)
    late = quiz_attempt_start(learner=expired, quiz=quiz, now=now - timedelta(hours=1))
    # Still within its time when the job runs: it is not handed in, nor logged.
    quiz_attempt_start(learner=running, quiz=quiz, now=now + timedelta(days=365 * 100))

    with events() as logged:
        call_command("submit_expired_attempts", stdout=io.StringIO())
        call_command("submit_expired_attempts", stdout=io.StringIO())

    [(event, fields)] = logged
    assert event == "attempt_auto_submitted"
    assert fields["attempt_id"] == late.pk
    assert fields["learner_id"] == expired.pk
    assert fields["submitted_at"] == late.deadline.isoformat()  # handed in when time ran out
    assert fields["passed"] is False


def test_completing_the_course_logs_the_certificate_once(
    events, enrolled, course, now, complete_module, take_quiz
):
    complete_module(enrolled, course.modules.get(), now=now)
    exam = course.quizzes.get(kind="final")

    with events() as logged:
        take_quiz(enrolled, exam, now=now)
        course_completion_check(learner=enrolled, course=course, now=now)

    certificate = Certificate.objects.get(learner=enrolled, course=course)
    assert [event for event, _ in logged] == [
        "attempt_started",
        "attempt_submitted",
        "certificate_issued",
    ]
    assert logged[2][1] == {
        "certificate_id": certificate.pk,
        "code": certificate.code,
        "learner_id": enrolled.pk,
        "course_id": course.pk,
    }


def test_failing_the_final_exam_issues_and_logs_no_certificate(
    events, enrolled, course, now, complete_module, take_quiz
):
    complete_module(enrolled, course.modules.get(), now=now)

    with events() as logged:
        take_quiz(enrolled, course.quizzes.get(kind="final"), now=now, right=False)

    assert [event for event, _ in logged] == ["attempt_started", "attempt_submitted"]


def test_a_course_import_logs_what_it_changed(events, tmp_path):
    with events() as logged:
        course, report = course_import(SHIPPED)

    [(event, fields)] = logged
    assert event == "import_applied"
    assert fields == {"what": "course", "course_id": course.pk, "changes": str(report)}
    assert "lessons created" in fields["changes"]


def test_a_course_folder_with_an_error_logs_no_import(events, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder)
    (folder / "quizzes" / "foundations.gift").write_text("::Broken:: What? {=A ~B", "utf-8")

    with events() as logged, pytest.raises(CourseFormatError):
        course_import(folder)

    assert logged == []


def test_an_import_rolled_back_with_the_restore_around_it_logs_nothing(events, tmp_path):
    course, _ = course_import(SHIPPED)
    backup = tmp_path / "backup.zip"
    with zipfile.ZipFile(io.BytesIO(course_records_zip(course=course))) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    records = next(name for name in files if name.endswith(RECORDS_FILE))
    files[records] = json.dumps({**json.loads(files[records]), "course": "another"}).encode()
    with zipfile.ZipFile(backup, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)

    # The course folder in the zip is imported, then the records are refused: all undone.
    with events() as logged, pytest.raises(RecordsError, match="another"):
        course_records_import(backup)

    assert logged == []


def test_a_gift_import_logs_its_source_and_a_broken_file_logs_nothing(events, course):
    quiz = course.modules.get().quiz

    with events() as logged:
        report = quiz_questions_import(
            quiz, "::Capital:: Finland? {=Helsinki ~Oslo}", source="q.gift"
        )
        with pytest.raises(CourseFormatError):
            quiz_questions_import(quiz, "::Broken:: What? {=A ~B", source="broken.gift")

    assert logged == [
        (
            "import_applied",
            {
                "what": "questions",
                "course_id": course.pk,
                "quiz_id": quiz.pk,
                "source": "q.gift",
                "changes": str(report),
            },
        )
    ]


def test_an_override_is_logged_with_who_granted_what_and_a_refused_one_is_not(
    events, enrolled, course
):
    quiz = course.modules.get().quiz
    quiz.max_attempts = 2
    quiz.save()
    teacher = UserFactory(username="teacher", is_staff=True)

    with events() as logged:
        override = quiz_override_grant(
            quiz=quiz, learner=enrolled, granted_by=teacher, reason="Ill on the day",
            extra_attempts=1,
        )  # fmt: skip
        with pytest.raises(ValidationError):
            quiz_override_grant(quiz=quiz, learner=enrolled, granted_by=teacher, reason=" ")
        with pytest.raises(ValidationError, match="not stuck"):
            quiz_attempt_grant(quiz=quiz, learner=enrolled, granted_by=teacher, reason="Again")

    assert logged == [
        (
            "quiz_override_granted",
            {
                "override_id": override.pk,
                "learner_id": enrolled.pk,
                "course_id": course.pk,
                "quiz_id": quiz.pk,
                "granted_by_id": teacher.pk,
                "extra_attempts": 1,
                "time_limit_minutes": None,
                "time_multiplier": None,
                "closes_at": None,
            },
        )
    ]
    assert "Ill on the day" not in str(logged)  # what the instructor typed stays out of logs


def event_record(**fields) -> logging.LogRecord:
    record = logging.LogRecord("courseware.events", logging.INFO, __file__, 1, "x", (), None)
    record.msg, record.fields = str(Event.IMPORT_APPLIED), fields
    return record


def test_an_event_line_reads_as_key_value_pairs_in_text_and_as_fields_in_json():
    record = event_record(course_id=3, changes="2 lessons created", percent=Decimal("70.00"))

    text = TextFormatter().format(record)
    line = json.loads(JsonFormatter().format(record))

    assert text.endswith(
        ' INFO courseware.events import_applied course_id=3 changes="2 lessons created" '
        "percent=70.00"
    )
    assert line["logger"] == "courseware.events"
    assert line["message"] == "import_applied"
    assert (line["course_id"], line["changes"], line["percent"]) == (
        3,
        "2 lessons created",
        "70.00",
    )


def test_a_lesson_read_is_logged_once_and_a_course_opened_not_at_all(
    events, enrolled, course, now
):
    from progress.services import course_open, lesson_complete

    lesson = course.lessons.get()
    with events() as logged:
        course_open(learner=enrolled, course=course, now=now)
        lesson_complete(learner=enrolled, lesson=lesson, now=now)
        lesson_complete(learner=enrolled, lesson=lesson, now=now)  # read again: nothing new

    [(event, fields)] = logged
    assert event == "lesson_completed"
    assert fields == {
        "completion_id": lesson.completions.get().pk,
        "learner_id": enrolled.pk,
        "course_id": course.pk,
        "lesson_id": lesson.pk,
    }


def test_a_failing_listener_neither_stops_the_learners_action_nor_the_other_listeners(
    client, enrolled, course, monkeypatch, caplog, settings
):
    from django.contrib.auth.models import User
    from django.urls import reverse

    from xapi.models import OutboxStatement
    from xapi.outbox import event_record

    settings.XAPI_ENDPOINT = "http://127.0.0.1:9/xAPI/"
    heard = []

    def broken(event, fields):
        UserFactory(username="written-before-the-failure")
        raise ValueError("the listener cannot take these fields")

    def listening(event, fields):
        heard.append(event)

    from xapi.outbox import STATEMENTS

    completed = {Event.LESSON_COMPLETED}
    monkeypatch.setattr(
        "courseware.events._listeners",
        [(broken, completed), (event_record, frozenset(STATEMENTS)), (listening, completed)],
    )
    lesson = course.lessons.get()
    client.force_login(enrolled)

    with caplog.at_level(logging.ERROR, logger="courseware.events"):
        answer = client.post(
            reverse("lesson_complete", kwargs={"course_slug": course.slug, "slug": lesson.slug})
        )

    assert answer.status_code == 302
    assert lesson.completions.filter(learner=enrolled).exists()  # the action committed
    assert heard == [Event.LESSON_COMPLETED]  # the listeners after the broken one ran
    assert list(OutboxStatement.objects.values_list("verb", flat=True)) == ["experienced"]
    # What the broken listener wrote before failing is undone with it.
    assert not User.objects.filter(username="written-before-the-failure").exists()
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "broken" in failure.getMessage() and "lesson_completed" in failure.getMessage()
    assert "the listener cannot take these fields" in caplog.text
