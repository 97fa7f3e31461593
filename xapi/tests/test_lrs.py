"""Learners' steps reach a real LRS (Ralph) as xAPI statements, each exactly once, also
across an outage; a statement the LRS refuses holds back no other."""

import io
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from ralph.models.xapi.base.statements import BaseXapiStatement

from assessments.models import GradeChange
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_response_grade,
)
from tests.factories import (
    QuizFactory,
    UserFactory,
    course_with_modules,
    essay_question,
    make_instructor,
    single_question,
)
from xapi.lrs import SENDING_LEASE, statements_send
from xapi.models import OutboxStatement
from xapi.tests.conftest import PASSWORD, USERNAME

# One worker runs them all, so one Ralph serves the module rather than one per worker.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("ralph")]

ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def course():
    return course_with_modules(modules=1, lessons=2, slug="naval")


def journey(client, learner, course, *, now, take_quiz):
    """A learner's whole course: opened (twice the same day), both lessons read, the module
    quiz failed then passed, the final exam passed, the certificate issued."""
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    assert client.get(course.get_absolute_url()).status_code == 200
    assert client.get(course.get_absolute_url()).status_code == 200
    module = course.modules.get()
    for lesson in module.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    take_quiz(learner, module.quiz, now=now, right=False)
    take_quiz(learner, module.quiz, now=now)
    take_quiz(learner, course.quizzes.get(kind="final"), now=now)


EXPECTED = {
    # One launch a day; two lessons; three attempts, four questions in all; a failed module
    # quiz, then the module quiz and the exam passed; the course completed, the certificate.
    "launched": 1,
    "experienced": 2,
    "attempted": 3,
    "answered": 4,
    "failed": 1,
    "passed": 2,
    "completed": 1,
    "earned": 1,
}


def verbs(statements) -> Counter:
    return Counter(statement["verb"]["display"]["en-US"] for statement in statements)


def test_every_step_of_a_course_reaches_the_lrs_once_and_valid(
    lrs, settings, client, learner, course, now, take_quiz
):
    journey(client, learner, course, now=now, take_quiz=take_quiz)

    first = statements_send(batch_size=3)  # several batches
    again = statements_send(batch_size=3)

    assert (first.sent, first.refused, first.stopped) == (sum(EXPECTED.values()), 0, "")
    assert again.sent == 0
    held = lrs.statements(site=settings.SITE_URL)
    assert verbs(held) == EXPECTED
    assert sorted(s["id"] for s in held) == sorted(
        str(pk) for pk in OutboxStatement.objects.values_list("pk", flat=True)
    )
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {"sent"}
    for statement in held:
        BaseXapiStatement.model_validate(statement)  # Ralph's own xAPI 1.0.3 model
        assert statement["verb"]["id"].startswith(ADL) or statement["verb"]["display"] == {
            "en-US": "earned"
        }
        account = statement["actor"]["account"]
        assert account["homePage"] == settings.SITE_URL
        assert account["name"] and learner.username not in account["name"]
        assert "mbox" not in statement["actor"]
        assert statement["object"]["id"].startswith(settings.SITE_URL + "/")

    by_verb = {s["verb"]["display"]["en-US"]: s for s in held}
    assert by_verb["launched"]["object"]["id"] == settings.SITE_URL + course.get_absolute_url()
    assert by_verb["passed"]["result"]["success"] is True
    assert by_verb["passed"]["result"]["score"]["scaled"] == 1.0
    assert by_verb["failed"]["result"]["score"]["scaled"] == 0.0
    answers = [s for s in held if s["verb"]["display"]["en-US"] == "answered"]
    assert {a["result"]["success"] for a in answers} == {True, False}
    assert all(a["result"]["response"] for a in answers)
    assert all(
        a["object"]["definition"]["interactionType"] in {"choice", "true-false"} for a in answers
    )
    # Every statement of the learner in this course carries the same registration.
    assert len({s["context"]["registration"] for s in held}) == 1


def test_an_lrs_outage_loses_nothing_and_duplicates_nothing(
    lrs, settings, client, learner, course, now, take_quiz
):
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    client.get(course.get_absolute_url())
    assert statements_send().sent == 1

    lrs.stop()  # the LRS goes down mid-way through the course
    module = course.modules.get()
    for lesson in module.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    take_quiz(learner, module.quiz, now=now)
    down = statements_send()

    waiting = OutboxStatement.objects.filter(state="waiting")
    assert down.sent == 0 and "ConnectError" in down.stopped
    assert waiting.count() == 2 + 1 + 1 + 1  # read, read, attempted, answered, passed
    assert {row.tries for row in waiting} == {1}
    assert all(row.next_try_at > row.created_at for row in waiting)
    assert all("ConnectError" in row.last_error for row in waiting)
    # Not due yet: a run straight after tries nothing, and counts no try.
    assert statements_send().sent == 0
    assert {row.tries for row in waiting} == {1}

    lrs.start()
    back = statements_send(now=waiting.latest("next_try_at").next_try_at)

    assert back.sent == 5
    held = lrs.statements(site=settings.SITE_URL)
    assert verbs(held) == {"launched": 1, "experienced": 2, "attempted": 1, "answered": 1,
                           "passed": 1}  # fmt: skip
    assert len({s["id"] for s in held}) == len(held)


def test_sent_again_after_an_unrecorded_success_the_lrs_keeps_one(lrs, settings, learner, now):
    """The LRS stored a batch but the answer never came back (the run died): once its lease
    is over, a later run sends it again, and the LRS still holds each statement once."""
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=course.lessons.get(), now=now)
    statements_send()
    OutboxStatement.objects.update(state="waiting", sent_at=None)

    assert statements_send().sent == 0  # held by the run that died, for a while
    assert statements_send(now=timezone.now() + SENDING_LEASE).sent == 1
    assert verbs(lrs.statements(site=settings.SITE_URL)) == {"experienced": 1}


def test_a_statement_the_lrs_refuses_holds_back_none_of_the_others(
    lrs, settings, client, learner, course, now, take_quiz
):
    journey(client, learner, course, now=now, take_quiz=take_quiz)
    bad = OutboxStatement.objects.filter(verb="answered").order_by("created_at", "pk")[1]
    bad.statement = {**bad.statement, "actor": {"objectType": "Agent", "name": "nobody"}}
    bad.save()

    sending = statements_send(batch_size=50)

    bad.refresh_from_db()
    assert (sending.sent, sending.refused) == (sum(EXPECTED.values()) - 1, 1)
    assert bad.state == "refused" and bad.tries == 1
    assert "actor" in bad.last_error  # the LRS's own words
    assert OutboxStatement.objects.filter(state="sent").count() == sending.sent
    held = lrs.statements(site=settings.SITE_URL)
    assert len(held) == sending.sent and str(bad.pk) not in {s["id"] for s in held}
    assert statements_send().refused == 0  # never sent again


def test_an_id_the_lrs_holds_with_other_content_counts_as_sent_and_holds_back_no_other(
    lrs, settings, learner, now
):
    course = course_with_modules(modules=1, lessons=3, final_exam=False)
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    row = OutboxStatement.objects.all()[1]
    earlier = {**row.statement, "timestamp": (now - timedelta(days=1)).isoformat()}
    answer = httpx.post(lrs.endpoint + "statements", json=[earlier], auth=(USERNAME, PASSWORD))
    assert answer.status_code == 200

    sending = statements_send()  # one batch of three: the LRS answers 409 for the whole

    row.refresh_from_db()
    assert (sending.sent, sending.refused) == (3, 0)
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {"sent"}
    assert "already" in row.last_error  # the LRS's 409, kept for the operator
    assert len(lrs.statements(site=settings.SITE_URL)) == 3


def test_an_essay_is_answered_without_a_score_and_the_grade_brings_the_result(
    lrs, settings, learner, now, take_quiz
):
    course = course_with_modules(modules=0, final_exam=False)
    exam = QuizFactory(final=True, course=course, pass_mark=50)
    single_question(quiz=exam)
    essay_question(quiz=exam, text="Why do attachés matter?", points=2)
    enrollment_create(learner=learner, course=course)
    attempt = take_quiz(learner, exam, now=now)
    statements_send()

    held = lrs.statements(site=settings.SITE_URL)
    assert verbs(held) == {"attempted": 1, "answered": 2}  # no result while it waits
    essay = next(
        s for s in held if s["object"]["definition"].get("interactionType") == "long-fill-in"
    )
    assert essay["result"]["response"] and "score" not in essay["result"]
    assert "success" not in essay["result"]

    quiz_response_grade(
        response=attempt.responses.get(slot=2),
        score=1,
        by=make_instructor("ines"),
        source=GradeChange.Source.GRADED,
        expected_version=0,
        now=now,
    )
    statements_send()

    held = lrs.statements(site=settings.SITE_URL)
    assert verbs(held) == {"attempted": 1, "answered": 2, "passed": 1, "completed": 1,
                           "earned": 1}  # fmt: skip
    passed = next(s for s in held if s["verb"]["display"]["en-US"] == "passed")
    assert passed["result"]["score"] == {"raw": 2.0, "min": 0.0, "max": 3.0, "scaled": 0.6667}


def test_a_submission_refused_writes_no_statement(lrs, learner, course, now):
    from lessons.models import Status
    from progress.services import AttemptOffLine

    enrollment_create(learner=learner, course=course)
    quiz = course.modules.get().quiz
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    quiz.status = Status.DRAFT
    quiz.save()

    with pytest.raises(AttemptOffLine):
        quiz_attempt_submit(attempt=attempt, now=now)

    assert list(OutboxStatement.objects.values_list("verb", flat=True)) == ["attempted"]


def test_without_an_lrs_nothing_is_written_nor_sent(settings, client, learner, course, now,
                                                    take_quiz):  # fmt: skip
    settings.XAPI_ENDPOINT = ""
    journey(client, learner, course, now=now, take_quiz=take_quiz)
    out = io.StringIO()

    call_command("send_statements", stdout=out)

    assert not OutboxStatement.objects.exists()
    assert "No Learning Record Store is configured" in out.getvalue()


def test_the_command_reports_what_it_sent(lrs, client, learner, course, now, take_quiz):
    journey(client, learner, course, now=now, take_quiz=take_quiz)
    out = io.StringIO()

    call_command("send_statements", stdout=out)

    assert out.getvalue() == f"{sum(EXPECTED.values())} statements sent.\n"


def test_the_command_fails_loudly_for_a_statement_the_lrs_refused(lrs, learner, course, now):
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    bad = OutboxStatement.objects.first()
    bad.statement = {**bad.statement, "actor": {"objectType": "Agent", "name": "nobody"}}
    bad.save()
    out = io.StringIO()

    with pytest.raises(CommandError, match=f"Refused by the LRS, kept in the outbox: {bad.pk}"):
        call_command("send_statements", stdout=out)

    assert out.getvalue() == "1 statement sent.\n"
    call_command("send_statements", stdout=out)  # the refused one is not sent again


def test_the_learners_download_holds_the_statements_about_them(
    lrs, client, learner, course, now, take_quiz
):
    journey(client, learner, course, now=now, take_quiz=take_quiz)
    other = UserFactory()
    enrollment_create(learner=other, course=course)
    lesson_complete(learner=other, lesson=course.lessons.first(), now=now)
    statements_send()

    data = client.get(reverse("my_data")).json()

    mine = data["xapi_statements"]
    assert verbs(s["statement"] for s in mine) == EXPECTED
    assert {s["state"] for s in mine} == {"sent"}
    assert all(s["sent_at"] for s in mine)
