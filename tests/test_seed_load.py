"""bench.seed_load: load-test learners whose records obey the course's rules."""

import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from assessments.grading import grade, validate_answer
from assessments.models import Attempt, Quiz
from assessments.services import attempt_submit
from bench import seed_load as script
from bench.loaddata import PATIENCE, load_learners_create, open_attempts_create
from lessons.models import Course
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.selectors import course_complete_by_rules, course_progress_for_learner
from tests.factories import built_once, course_with_modules

pytestmark = pytest.mark.django_db

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


def seed_load(*args):
    """The script as run from the shell, in this process (Django is set up already)."""
    out = StringIO()
    script.seed_load(**vars(script.arguments(["--anchor", "2026-01-01", *args])), out=out)
    return out.getvalue()


def load_learners(prefix="load-"):
    return list(get_user_model().objects.filter(username__startswith=prefix).order_by("username"))


def record_of(learner):
    """What a learner did, without database ids."""
    return (
        learner.get_full_name(),
        [(c.lesson.slug, c.completed_at) for c in learner.lesson_completions.order_by("pk")],
        [
            (a.quiz.slug, a.number, a.percent, a.passed, a.submitted_at)
            for a in learner.attempts.order_by("pk")
        ],
        [(c.code, c.issued_at) for c in learner.certificates.all()],
    )


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """20 load learners, seeded once for the tests of ``TestSeededOnce``: each test's writes
    are rolled back before the next."""
    with built_once(django_db_blocker):
        output = seed_load("--learners", "20", "--seed", "7")
        yield Course.objects.get(slug="military-diplomacy"), load_learners(), output


class TestSeededOnce:
    """What one seeding wrote, read test by test."""

    def test_learners_are_created_enrolled_in_the_shipped_course(self, seeded):
        course, learners, output = seeded
        assert "Created 20 learners" in output
        assert [learner.username for learner in learners][:2] == ["load-000001", "load-000002"]
        assert Enrollment.objects.filter(course=course, learner__in=learners).count() == 20
        assert not any(learner.has_usable_password() for learner in learners)

    def test_progress_obeys_the_course_rules(self, seeded):
        course, learners, _ = seeded
        for learner in learners:
            progress = course_progress_for_learner(learner=learner, course=course)
            has_certificate = Certificate.objects.filter(learner=learner, course=course).exists()
            assert has_certificate == course_complete_by_rules(progress) == progress.is_complete
            assert (progress.enrollment.completed_at is not None) == has_certificate
            # Lessons are read in order, and only in modules open to the learner.
            read = [item.done for module in progress.modules for item in module.lessons]
            assert read == sorted(read, reverse=True), learner.username
            # The course is sequential: nothing happens after a module that is not complete.
            blocked = False
            for module in progress.modules:
                if blocked or not module.is_open:
                    assert not any(item.done for item in module.lessons), learner.username
                    assert module.quiz.attempts_used == 0, learner.username
                if module.quiz is not None and module.quiz.attempts_used:
                    assert all(item.done for item in module.lessons)
                blocked = blocked or not module.is_complete
            if blocked:
                assert progress.final_exam.attempts_used == 0

    def test_attempts_are_graded_from_their_snapshots(self, seeded):
        _, learners, _ = seeded
        attempts = Attempt.objects.filter(learner__in=learners).prefetch_related("responses")
        for attempt in attempts:
            responses = list(attempt.responses.all())
            assert [r.slot for r in responses] == list(range(1, len(responses) + 1))
            for response in responses:
                assert response.shown["question_id"] == response.question_id
                if response.answer is not None:
                    assert validate_answer(response.shown, response.answer) == response.answer
                if attempt.is_submitted:
                    assert grade(response.shown, response.answer).score == response.score
            if attempt.is_submitted:
                assert attempt.score == sum(r.score for r in responses)
                assert attempt.passed == (attempt.percent >= attempt.pass_mark)
            assert attempt.started_at < ANCHOR

    def test_retakes_stop_at_the_first_pass_or_the_attempt_limit(self, seeded):
        _, learners, _ = seeded
        for learner in learners:
            for quiz_id in {a.quiz_id for a in learner.attempts.all()}:
                attempts = list(learner.attempts.filter(quiz_id=quiz_id).order_by("number"))
                assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
                # A quiz without a limit (the formative module quizzes) is tried PATIENCE times.
                assert len(attempts) <= (attempts[0].quiz.max_attempts or PATIENCE)
                passes = [a for a in attempts if a.passed]
                assert passes in ([], [attempts[-1]])

    def test_progress_varies_from_learner_to_learner(self, seeded):
        course, learners, _ = seeded
        percents = [
            course_progress_for_learner(learner=learner, course=course).percent
            for learner in learners
        ]
        assert 0 in percents and 100 in percents
        assert any(0 < percent < 100 for percent in percents)
        # Passes come last (above), so a pass at a retake means failed attempts before it.
        assert Attempt.objects.filter(learner__in=learners, number__gt=1, passed=True).exists()
        assert Attempt.objects.filter(learner__in=learners, submitted_at__isnull=True).exists()

    def test_running_again_adds_only_the_missing_learners(self, seeded):
        _, learners, _ = seeded
        before = [record_of(learner) for learner in learners]
        output = seed_load("--learners", "25", "--seed", "7")
        assert "Created 5 learners (20 already there)" in output
        assert [record_of(learner) for learner in load_learners()[:20]] == before

    def test_the_same_seed_gives_the_same_learners(self, seeded):
        _, learners, _ = seeded
        before = [record_of(learner) for learner in learners]
        # Accounts with records cannot be deleted: the test clears the records first.
        for records in (Certificate, Attempt, LessonCompletion, Enrollment):
            records.objects.filter(learner__in=learners).delete()
        get_user_model().objects.filter(pk__in=[learner.pk for learner in learners]).delete()
        seed_load("--learners", "20", "--seed", "7")
        assert [record_of(learner) for learner in load_learners()] == before

    def test_open_attempts_for_benchmarks_are_answered_and_submit_normally(self, seeded, now):
        course, learners, _ = seeded
        quiz = Quiz.objects.get(course=course, slug="foundations")
        fresh = [learner for learner in learners if not learner.attempts.exists()][:3]
        attempts = open_attempts_create(course=course, quiz=quiz, learners=fresh, seed=1, now=now)
        assert len(attempts) == len(fresh)
        for attempt in attempts:
            responses = list(Attempt.objects.get(pk=attempt.pk).responses.all())
            assert len(responses) == quiz.questions.count()
            assert sum(r.answer is not None for r in responses) >= len(responses) - 2
            submitted = attempt_submit(attempt=attempt, now=now)
            assert submitted.is_submitted and submitted.percent is not None


def test_a_password_can_be_given_for_logging_in_as_load_learners():
    seed_load("--learners", "2", "--password", "load-test-password")
    first, second = load_learners()
    assert first.check_password("load-test-password")
    assert first.password == second.password  # hashed once, shared


def test_the_script_says_what_is_wrong_with_its_arguments(capsys):
    with pytest.raises(SystemExit):
        script.arguments(["--learners", "0"])
    assert "--learners must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="No course 'no-such-course': import it first"):
        seed_load("--learners", "2", "--course", "no-such-course")
    assert not load_learners()


def test_the_script_runs_from_the_shell():
    done = subprocess.run(
        [sys.executable, "-m", "bench.seed_load", "--help"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "--learners" in done.stdout


def test_a_course_without_a_final_exam_is_completed_by_its_modules_alone():
    course = course_with_modules(modules=2, lessons=2, final_exam=False, sequential=True)

    report = load_learners_create(course=course, learners=30, seed=3, anchor=ANCHOR)

    assert report.counts["certificates"] > 0
    for learner in load_learners():
        progress = course_progress_for_learner(learner=learner, course=course)
        has_certificate = Certificate.objects.filter(learner=learner, course=course).exists()
        assert has_certificate == course_complete_by_rules(progress), learner.username
