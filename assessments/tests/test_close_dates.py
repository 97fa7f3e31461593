"""A quiz's close date: no attempt starts after it, open attempts are handed in at it, and a
learner may be granted a later one."""

import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from assessments.models import Attempt, Quiz, QuizOverride
from assessments.services import (
    AttemptClosed,
    QuizClosed,
    attempt_start,
    attempt_submit,
    attempts_expired_submit,
    quiz_attempts_close_follow,
    quiz_override_grant,
    response_save,
)
from tests.factories import QuizFactory, UserFactory, right_answer, single_question

pytestmark = pytest.mark.django_db

# 17:00 in Paris on a summer day is 15:00 UTC.
CLOSES = datetime(2025, 6, 30, 17, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def quiz():
    quiz = QuizFactory(title="Foundations quiz", closes_at=CLOSES)
    single_question(quiz=quiz, position=1)
    return quiz


@pytest.fixture
def teacher(db):
    return UserFactory(username="teacher", is_staff=True)


def utc(hour, minute=0, second=0, microsecond=0) -> datetime:
    return datetime(2025, 6, 30, hour, minute, second, microsecond, tzinfo=UTC)


def test_no_attempt_starts_from_the_close_on_whatever_the_servers_time_zone(
    learner, quiz, rng, settings
):
    settings.TIME_ZONE = "Europe/Paris"
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14, 59, 59), rng=rng)
    assert attempt.deadline == CLOSES == utc(15)

    attempt_submit(attempt=attempt, now=utc(14, 59, 59, 500_000))
    with pytest.raises(QuizClosed) as closed:
        attempt_start(learner=learner, quiz=quiz, now=utc(15), rng=rng)
    assert str(closed.value) == (
        "“Foundations quiz” closed on 30 Jun 2025, 17:00 CEST: no attempt can start."
    )


def test_an_open_attempt_takes_answers_until_the_close_and_is_handed_in_at_it(learner, quiz, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14), rng=rng)
    right = right_answer(attempt.responses.get().shown)
    response_save(attempt=attempt, slot=1, answer=right, now=utc(15))  # at the close: taken

    with pytest.raises(AttemptClosed):
        response_save(attempt=attempt, slot=1, answer=right, now=utc(15, 0, 0, 1))

    attempt.refresh_from_db()
    assert (attempt.submitted_at, attempt.auto_submitted, attempt.passed) == (utc(15), True, True)


def test_the_expiry_job_hands_in_at_the_close_what_the_time_limit_would_end_later(
    learner, quiz, rng
):
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=60)
    quiz.refresh_from_db()
    late_starter = attempt_start(learner=learner, quiz=quiz, now=utc(14, 30), rng=rng)
    early = attempt_start(learner=UserFactory(), quiz=quiz, now=utc(13), rng=rng)
    # The time limit ends first for one, the close for the other.
    assert (late_starter.time_limit_minutes, late_starter.deadline) == (60, utc(15))
    assert early.deadline == utc(14)

    handed_in = attempts_expired_submit(now=utc(15, 1))

    assert {attempt.pk: attempt.submitted_at for attempt in handed_in.submitted} == {
        late_starter.pk: utc(15),
        early.pk: utc(14),
    }


def test_a_close_set_or_moved_later_moves_the_deadline_of_open_attempts(learner, rng):
    quiz = QuizFactory(time_limit_minutes=90)
    single_question(quiz=quiz)
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14), rng=rng)
    assert attempt.deadline == utc(15, 30)

    quiz.closes_at = utc(15)
    quiz.save()
    assert quiz_attempts_close_follow(quiz=quiz) == 1
    assert Attempt.objects.get(pk=attempt.pk).deadline == utc(15)

    # Moved later than the time limit: the attempt gets its own 90 minutes back, no more.
    quiz.closes_at = utc(18)
    quiz.save()
    quiz_attempts_close_follow(quiz=quiz)
    assert Attempt.objects.get(pk=attempt.pk).deadline == utc(15, 30)

    quiz.closes_at = None
    quiz.save()
    assert quiz_attempts_close_follow(quiz=quiz) == 0


def test_a_submitted_attempt_keeps_its_record_when_the_close_moves(learner, quiz, rng):
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14), rng=rng)
    attempt_submit(attempt=attempt, now=utc(14, 10))
    quiz.closes_at = utc(13)
    quiz.save()

    assert quiz_attempts_close_follow(quiz=quiz) == 0
    assert Attempt.objects.get(pk=attempt.pk).deadline == utc(15)


def test_a_learner_granted_a_later_close_starts_and_works_until_it(learner, quiz, teacher, rng):
    open_attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14), rng=rng)
    others = UserFactory()

    quiz_override_grant(
        quiz=quiz,
        learner=learner,
        granted_by=teacher,
        reason="Deployed on exercise until Tuesday",
        closes_at=utc(19),
    )

    # The attempt already open runs on to the learner's own close.
    assert Attempt.objects.get(pk=open_attempt.pk).deadline == utc(19)
    attempt_submit(attempt=open_attempt, now=utc(16))
    second = attempt_start(learner=learner, quiz=quiz, now=utc(18), rng=rng)
    assert second.deadline == utc(19)
    with pytest.raises(QuizClosed):
        attempt_start(learner=others, quiz=quiz, now=utc(16), rng=rng)
    # The override's history keeps who granted the close, and why.
    granted = QuizOverride.objects.get()
    assert (granted.closes_at, granted.granted_by, granted.history.count()) == (
        utc(19),
        teacher,
        1,
    )


def test_a_learners_close_never_takes_time_away(learner, quiz, teacher, rng):
    quiz_override_grant(
        quiz=quiz, learner=learner, granted_by=teacher, reason="Exercise", closes_at=utc(16)
    )
    # The quiz's close is moved past the learner's: the later of the two holds.
    quiz.closes_at = utc(20)
    quiz.save()

    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(17), rng=rng)
    assert attempt.deadline == utc(20)


@pytest.mark.parametrize(
    ("closes_at", "quiz_closes", "message"),
    [
        (utc(14), CLOSES, "Give a moment after the quiz's own close, 30 Jun 2025, 15:00 UTC."),
        (utc(15), CLOSES, "Give a moment after the quiz's own close"),
        (utc(16), None, "“Foundations quiz” never closes: there is no close to extend."),
    ],
)
def test_a_close_that_would_not_extend_the_quizs_is_refused_and_nothing_is_written(
    learner, quiz, teacher, closes_at, quiz_closes, message
):
    Quiz.objects.filter(pk=quiz.pk).update(closes_at=quiz_closes)
    quiz.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        quiz_override_grant(
            quiz=quiz, learner=learner, granted_by=teacher, reason="Why", closes_at=closes_at
        )

    assert refused.value.message_dict["closes_at"][0].startswith(message)
    assert not QuizOverride.objects.exists()


def test_a_quiz_without_a_close_never_closes(learner, rng):
    quiz = QuizFactory()
    single_question(quiz=quiz)
    attempt = attempt_start(
        learner=learner, quiz=quiz, now=datetime(2099, 1, 1, tzinfo=UTC), rng=rng
    )
    assert attempt.deadline is None
    assert attempt.time_limit_minutes is None


def test_the_migration_reads_back_the_minutes_of_attempts_timed_before(learner, quiz, rng):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("assessments.migrations.0015_quiz_close_dates")
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(10), rng=rng)
    Attempt.objects.filter(pk=attempt.pk).update(
        time_limit_minutes=None, deadline=utc(10) + timedelta(minutes=45)
    )

    migration.minutes_of_timed_attempts(apps, None)

    assert Attempt.objects.get(pk=attempt.pk).time_limit_minutes == 45


# --- In the course folder ------------------------------------------------------------------


def test_a_close_round_trips_through_the_course_folder_byte_for_byte(tmp_path):
    from assessments.course_io import course_export, course_import
    from tests.test_course_import import SHIPPED, edit

    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder)
    edit(
        folder / "course.yaml",
        "  time_limit_minutes: 40\n",
        "  time_limit_minutes: 40\n  closes_at: 2025-06-30 15:00:00+00:00\n",
    )

    course, _ = course_import(folder)
    assert course.quizzes.get(kind="final").closes_at == CLOSES
    exported = tmp_path / "exported"
    course_export(course, exported)

    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        assert (exported / path.relative_to(folder)).read_bytes() == path.read_bytes(), path


def test_a_close_written_with_its_offset_is_that_moment_and_moving_it_moves_open_attempts(
    tmp_path, learner, rng
):
    from assessments.course_io import course_import
    from progress.services import enrollment_create
    from tests.test_course_import import SHIPPED, edit

    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder)
    module = folder / "modules" / "foundations.md"
    edit(
        module,
        "  pass_mark: 70\n",
        "  pass_mark: 70\n  closes_at: 2025-06-30T17:00:00+02:00\n",
    )
    course, _ = course_import(folder)
    quiz = course.quizzes.get(slug="foundations")
    assert quiz.closes_at == CLOSES
    enrollment_create(learner=learner, course=course)
    attempt = attempt_start(learner=learner, quiz=quiz, now=utc(14), rng=rng)
    assert attempt.deadline == utc(15)

    edit(module, "2025-06-30T17:00:00+02:00", "'2025-06-30T19:00:00Z'")
    course_import(folder)

    assert Attempt.objects.get(pk=attempt.pk).deadline == utc(19)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2025-06-30 17:00:00", "'closes_at' 2025-06-30 17:00:00 needs its offset from UTC"),
        ("2025-06-30", "'closes_at' must be a date and time such as 2025-06-30T17:00:00+02:00"),
        ("next tuesday", "'closes_at' must be a date and time"),
        ("'2025-13-45T17:00:00Z'", "'closes_at' must be a date and time"),
    ],
)
def test_a_close_the_folder_cannot_hold_is_refused_with_its_file_and_nothing_written(
    tmp_path, written, message
):
    from assessments.course_io import course_import
    from lessons.course_folder import CourseFormatError
    from tests.test_course_import import SHIPPED, edit

    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder)
    edit(
        folder / "modules" / "foundations.md",
        "  pass_mark: 70\n",
        f"  pass_mark: 70\n  closes_at: {written}\n",
    )

    with pytest.raises(CourseFormatError, match=re.escape(message)) as error:
        course_import(folder)

    assert error.value.path.name == "foundations.md"
    assert not Quiz.objects.exists()
