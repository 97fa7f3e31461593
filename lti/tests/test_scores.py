"""Scores to the platform's gradebook (Assignment and Grade Services): queued with the
change, sent by ``send_lti_scores``, retried while the platform is down, latest first."""

import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import GradeChange
from assessments.tests.test_regrade import fix_key
from courseware.events import Event, event_log
from lti import services
from lti.models import PendingScore
from lti.scores import score_of
from lti.services import AGS_CLAIM, scores_send
from lti.tests.platform import CLAIM, SCORE_SCOPE, TestPlatform
from lti.tool import tool_jwks
from progress.selectors import course_progress_for_learner
from progress.services import enrollment_create, question_regrade, quiz_response_grade
from tests.concurrency import run_at_once
from tests.factories import UserFactory, course_with_modules, essay_question
from xapi.models import OutboxStatement

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    return course_with_modules(modules=2, lessons=1, slug="diplomacy")


@pytest.fixture
def module(course):
    return course.modules.order_by("position").first()


@pytest.fixture
def launched(test_platform, course, module):
    """A learner launched from the platform's activity opening the first module."""
    response, _ = test_platform.launch(
        Client(),
        target="http://testserver/courses/diplomacy/",
        **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
    )
    assert response.status_code == 302
    test_platform.requests.clear()  # the launch fetched the platform's keys
    return response.wsgi_request.user


def _waiting():
    return PendingScore.objects.filter(sent_at=None)


def _about(moment, expected) -> bool:
    """``moment`` is ``expected``, give or take the run's own few milliseconds."""
    return abs(moment - expected) < timedelta(seconds=5)


def test_a_quiz_passed_is_posted_to_the_gradebook(test_platform, launched, module, take_quiz):
    now = timezone.now()
    take_quiz(launched, module.quiz, now=now)
    assert test_platform.requests == []  # the learner waited on no platform

    call_command("send_lti_scores")

    [score] = test_platform.scores  # the launch's first score was replaced by this one
    assert score["lineitem"] == "/lineitems/1/lineitem/scores"
    assert score["userId"] == "moodle-user-7"
    assert score["scoreGiven"] == 100 and score["scoreMaximum"] == 100
    assert score["gradingProgress"] == "FullyGraded"
    assert score["activityProgress"] == "InProgress"  # its lesson is still to read
    assert not _waiting().exists()


def test_a_platform_that_is_down_gets_the_score_later_and_once(
    test_platform, launched, module, take_quiz
):
    now = timezone.now()
    take_quiz(launched, module.quiz, now=now)
    test_platform.down = True

    assert scores_send(now=now).failed == 1
    waiting = _waiting().get()
    assert waiting.tries == 1 and _about(waiting.next_try_at, now + timedelta(minutes=1))
    assert "503" in waiting.last_error
    assert scores_send(now=now + timedelta(seconds=30)).sent == 0  # not due yet
    assert scores_send(now=now + timedelta(minutes=2)).failed == 1
    assert _about(_waiting().get().next_try_at, now + timedelta(minutes=4))  # twice as long

    test_platform.down = False
    assert scores_send(now=now + timedelta(minutes=5)).sent == 1
    assert scores_send(now=now + timedelta(hours=1)).sent == 0
    assert len(test_platform.scores) == 1
    assert test_platform.scores[0]["scoreGiven"] == 100


def test_an_instructors_override_sends_the_new_score(
    test_platform, launched, module, take_quiz, ines
):
    now = timezone.now()
    attempt = take_quiz(launched, module.quiz, now=now)
    call_command("send_lti_scores")

    response = attempt.responses.get()
    quiz_response_grade(
        response=response,
        score=Decimal(0),
        by=ines,
        source=GradeChange.Source.OVERRIDE,
        expected_version=0,
        reason="Copied from a neighbour",
        now=now + timedelta(minutes=5),
    )
    assert _waiting().get().score_given == 0
    scores_send(now=now + timedelta(minutes=5))

    assert [s["scoreGiven"] for s in test_platform.scores] == [100, 0]
    assert test_platform.scores[1]["timestamp"] > test_platform.scores[0]["timestamp"]


def test_a_newer_score_replaces_the_one_waiting(test_platform, launched, module, take_quiz):
    now = timezone.now()
    take_quiz(launched, module.quiz, now=now, right=False)
    take_quiz(launched, module.quiz, now=now + timedelta(minutes=1))

    waiting = _waiting().get()
    assert waiting.score_given == 100
    scores_send(now=now + timedelta(minutes=1))
    assert [s["scoreGiven"] for s in test_platform.scores] == [100]


def test_reading_the_modules_lessons_completes_it_in_the_gradebook(
    test_platform, launched, module, complete_module
):
    complete_module(launched, module, now=timezone.now())
    call_command("send_lti_scores")
    assert test_platform.scores[-1]["activityProgress"] == "Completed"


def test_a_learner_launched_from_no_gradebook_column_queues_nothing(
    test_platform, course, module, take_quiz
):
    response, _ = test_platform.launch(
        Client(),
        target="http://testserver/courses/diplomacy/",
        **{"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": None},
    )
    take_quiz(response.wsgi_request.user, module.quiz, now=timezone.now())
    assert not PendingScore.objects.exists()


def test_a_regrade_sends_the_score_it_changed(test_platform, launched, module, take_quiz, ines):
    now = timezone.now()
    take_quiz(launched, module.quiz, now=now, right=False)
    scores_send(now=now)
    question = module.quiz.questions.get()
    fix_key(question, Right=0, Wrong=100)  # the learner's answer was the right one

    question_regrade(question=question, by=ines, reason="The key was wrong", now=now)

    scores_send(now=now)
    assert [s["scoreGiven"] for s in test_platform.scores] == [0, 100]


def test_a_platform_that_fails_is_tried_once_a_run(test_platform, course, module):
    for sub in ("moodle-user-1", "moodle-user-2"):
        test_platform.launch(  # each first launch queues the learner's score
            Client(),
            target="http://testserver/courses/diplomacy/",
            sub=sub,
            **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
        )
    test_platform.down = True
    test_platform.requests.clear()

    assert scores_send(now=timezone.now()).failed == 1
    assert len(test_platform.requests) == 1  # the second score did not knock again
    assert sorted(_waiting().values_list("tries", flat=True)) == [0, 1]


def test_an_unexpected_error_from_one_platform_leaves_the_others_scores_sent(
    test_platform, course, module, monkeypatch, caplog
):
    broken = TestPlatform()
    broken.model = broken.register()
    broken.tool_jwks = tool_jwks()
    try:
        for platform in (broken, test_platform):  # the broken platform's score comes first
            platform.launch(
                Client(),
                target="http://testserver/courses/diplomacy/",
                **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
            )
        registration = services.registration

        def broken_connector(platform):
            if platform.pk == broken.model.pk:
                raise RuntimeError("a key the library cannot read")
            return registration(platform)

        monkeypatch.setattr(services, "registration", broken_connector)

        with caplog.at_level(logging.WARNING, logger="lti.services"):
            assert scores_send(now=timezone.now()) == services.Sent(sent=1, failed=1)

        assert [s["userId"] for s in test_platform.scores] == ["moodle-user-7"]
        waiting = _waiting().get()
        assert waiting.graded.link.platform_id == broken.model.pk
        assert waiting.tries == 1 and waiting.next_try_at > timezone.now()
        assert "a key the library cannot read" in waiting.last_error
        assert "Traceback" in caplog.text
    finally:
        broken.stop()


@pytest.mark.parametrize(
    "answer",
    [{"token_type": "Bearer"}, ["a token"], {"access_token": 7}, "a token"],
    ids=["no access token", "a list", "a number", "a string"],
)
def test_a_token_answer_without_a_token_is_the_platform_failing(
    test_platform, launched, caplog, answer
):
    test_platform.token_answer = answer

    with caplog.at_level(logging.WARNING, logger="lti.services"):
        assert scores_send(now=timezone.now()) == services.Sent(sent=0, failed=1)

    waiting = _waiting().get()
    assert waiting.tries == 1 and waiting.next_try_at > timezone.now()
    assert "not sent (try 1)" in caplog.text
    test_platform.token_answer = None
    assert scores_send(now=waiting.next_try_at).sent == 1


def test_a_course_link_gets_the_final_exam_and_the_course_completed(
    test_platform, course, complete_module, take_quiz
):
    response, _ = test_platform.launch(Client(), target="http://testserver/courses/diplomacy/")
    learner = response.wsgi_request.user
    now = timezone.now()
    scores_send(now=now)
    assert test_platform.scores[-1]["gradingProgress"] == "Pending"  # no exam taken yet
    assert "scoreGiven" not in test_platform.scores[-1]

    for module in course.modules.all():
        complete_module(learner, module, now=now)
    take_quiz(learner, course.quizzes.get(kind="final"), now=now)
    scores_send(now=now)

    last = test_platform.scores[-1]
    assert (last["scoreGiven"], last["activityProgress"]) == (100, "Completed")


def test_written_answers_wait_for_the_instructor_then_their_grade_is_sent(
    test_platform, launched, module, take_quiz, ines
):
    essay_question(quiz=module.quiz, points=1)
    now = timezone.now()
    attempt = take_quiz(launched, module.quiz, now=now)
    scores_send(now=now)
    assert test_platform.scores[-1]["gradingProgress"] == "PendingManual"

    essay = attempt.responses.get(score=None)
    quiz_response_grade(
        response=essay,
        score=Decimal(1),
        by=ines,
        source=GradeChange.Source.GRADED,
        expected_version=0,
        now=now,
    )
    scores_send(now=now)
    last = test_platform.scores[-1]
    assert (last["gradingProgress"], last["scoreGiven"]) == ("FullyGraded", 100)


def test_a_score_being_sent_is_not_sent_by_a_run_on_another_host(
    test_platform, launched, module, take_quiz, monkeypatch
):
    now = timezone.now()
    take_quiz(launched, module.quiz, now=now)
    other_runs = []
    post = services._post

    def post_while_another_host_runs(score, connectors):
        other_runs.append(scores_send(now=now))
        post(score, connectors)

    monkeypatch.setattr(services, "_post", post_while_another_host_runs)
    assert scores_send(now=now).sent == 1
    assert other_runs == [services.Sent(sent=0, failed=0)]
    assert len(test_platform.scores) == 1


class MovingClock:
    """``timezone`` for ``lti.services``: its time moves only when the test moves it."""

    def __init__(self):
        self.at = timezone.now()

    def now(self):
        return self.at


def test_a_score_claimed_late_in_a_long_run_is_not_sent_again_by_the_next_run(
    test_platform, course, module, monkeypatch
):
    for sub in ("moodle-user-1", "moodle-user-2"):  # each first launch queues a score
        test_platform.launch(
            Client(),
            target="http://testserver/courses/diplomacy/",
            sub=sub,
            **{CLAIM + "custom": {"course": "diplomacy", "module": module.slug}},
        )
    clock = MovingClock()
    monkeypatch.setattr(services, "timezone", clock)
    post = services._post
    posts, next_runs = [], []

    def slow_platform(score, connectors):
        # Each send takes 4 minutes: within its lease (5), but the run as a whole outlasts one.
        clock.at += timedelta(minutes=4)
        posts.append(score.pk)
        if len(posts) == 2:  # while the second score is being sent, the timer starts a run
            next_runs.append(scores_send())
        post(score, connectors)

    monkeypatch.setattr(services, "_post", slow_platform)
    first_run = scores_send()

    assert first_run.sent == 2
    assert next_runs == [services.Sent(sent=0, failed=0)]
    assert sorted(s["userId"] for s in test_platform.scores) == ["moodle-user-1", "moodle-user-2"]


def _second_link(test_platform, course):
    """The same learner launches a second activity (the course) with a gradebook column."""
    test_platform.launch(
        Client(),
        target="http://testserver/courses/diplomacy/",
        **{
            CLAIM + "resource_link": {"id": "resource-link-2"},
            AGS_CLAIM: {"scope": [SCORE_SCOPE], "lineitem": f"{test_platform.url}/lineitems/2"},
        },
    )


@pytest.mark.parametrize("links", [1, 2])
def test_queueing_again_replaces_the_waiting_scores_in_a_fixed_number_of_queries(
    test_platform, launched, course, links, django_assert_num_queries
):
    if links == 2:
        _second_link(test_platform, course)
    versions = dict(_waiting().values_list("graded", "version"))
    now = timezone.now()
    with CaptureQueriesContext(connection) as progress_read:
        course_progress_for_learner(learner=launched, course=course)
    # The learner's links locked, the progress read, their waiting scores; one save each.
    with django_assert_num_queries(len(progress_read) + 2 + links):
        assert services.scores_queue(learner=launched, course=course, now=now) == links
    for minutes in range(1, 4):  # again and again: never a second waiting score
        services.scores_queue(learner=launched, course=course, now=now + timedelta(minutes))
    assert _waiting().count() == links
    # Each replaced four times, never a second one inserted beside it.
    assert dict(_waiting().values_list("graded", "version")) == {
        graded: version + 4 for graded, version in versions.items()
    }


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers, so transactions never overlap",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_results_changing_at_once_queue_one_score_without_an_error(
    test_platform, launched, course
):
    _waiting().update(sent_at=timezone.now())  # sent: no score waits

    def results_changed():
        with transaction.atomic():
            services.scores_queue(learner=launched, course=course, now=timezone.now())
            time.sleep(0.3)  # every other change reads before this one commits

    _results, errors = run_at_once(results_changed)

    assert errors == []
    waiting = _waiting().get()
    assert waiting.version == 4  # made once, replaced by each of the three others


def test_a_module_done_scores_100_even_with_no_step_to_count():
    """A module with nothing to read or pass is done as soon as it opens: the module
    percent follows the one rule, where complete counts 100."""
    course = course_with_modules(modules=1, lessons=0, module_quizzes=False, final_exam=False)
    learner = UserFactory()
    enrollment_create(learner=learner, course=course)
    progress = course_progress_for_learner(learner=learner, course=course)

    score = score_of(progress, course.modules.get())

    assert score.activity == PendingScore.Activity.COMPLETED
    assert score.given == 100


def test_a_change_of_results_queues_the_score_and_is_no_statement_nor_log_line(
    launched, course, settings, caplog, django_capture_on_commit_callbacks
):
    settings.XAPI_ENDPOINT = "http://127.0.0.1:9/xAPI/"  # an LRS hears every event too
    version = _waiting().get().version

    with (
        caplog.at_level(logging.INFO, logger="courseware.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event_log(Event.RESULTS_CHANGED, learner=launched, course=course, now=timezone.now())

    assert _waiting().get().version == version + 1
    assert not OutboxStatement.objects.exists()
    assert not [record for record in caplog.records if record.name == "courseware.events"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_change_made_outside_a_transaction_queues_its_score(launched, course):
    """The expiry job hands attempts in with the database in autocommit: the lock needs a
    transaction, so the queue makes one of its own there."""
    services.scores_queue(learner=launched, course=course, now=timezone.now())
    assert _waiting().get().version == 2
