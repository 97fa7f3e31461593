"""A learner downloads everything they did as one JSON file."""

import json

import pytest
from django.urls import reverse

from progress.models import Certificate
from progress.services import enrollment_create, lesson_complete, quiz_attempt_start
from tests.factories import UserFactory, course_with_modules

pytestmark = pytest.mark.django_db

MY_DATA = reverse("my_data")


@pytest.fixture
def finished(learner, now, complete_module, take_quiz):
    """The learner finished a course (certificate), failing the first quiz once."""
    course = course_with_modules(title="Naval diplomacy")
    enrollment_create(learner=learner, course=course)
    modules = list(course.modules.order_by("position"))
    take_quiz(learner, modules[0].quiz, now=now, right=False)
    for module in modules:
        complete_module(learner, module, now=now)
    take_quiz(learner, course.quizzes.get(kind="final"), now=now)
    return course


def download(client, learner) -> dict:
    client.force_login(learner)
    response = client.get(MY_DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return json.loads(response.content)


def test_the_download_needs_a_login(client):
    response = client.get(MY_DATA)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_dashboard_links_the_download_and_says_what_is_in_it(client, learner):
    client.force_login(learner)

    page = client.get(reverse("dashboard")).content.decode()

    assert f'href="{MY_DATA}" download>download everything you did here</a>' in page
    assert "every quiz answer and score" in page


def test_the_download_holds_the_account_and_every_record(client, learner, finished):
    data = download(client, learner)

    assert data["account"]["username"] == learner.username
    assert data["account"]["first_name"] == "Ada" and data["account"]["last_name"] == "Lovelace"
    assert data["account"]["email"] == learner.email
    assert data["account"]["date_joined"] == learner.date_joined.isoformat()
    assert [e["course_title"] for e in data["enrollments"]] == ["Naval diplomacy"]
    assert data["enrollments"][0]["completed_at"] is not None
    assert len(data["lesson_completions"]) == 4
    assert {c["lesson_title"] for c in data["lesson_completions"]} == {
        "Lesson 1.1", "Lesson 1.2", "Lesson 2.1", "Lesson 2.2",
    }  # fmt: skip
    attempts = data["attempts"]
    assert [(a["quiz_title"], a["number"], a["passed"]) for a in attempts] == [
        ("Quiz 1", 1, False),
        ("Quiz 1", 2, True),
        ("Quiz 2", 1, True),
        ("Final exam", 1, True),
    ]
    failed = attempts[0]["responses"][0]
    assert failed["question"]["text"] == "Which one is right?"
    assert failed["answer"] is not None and failed["score"] == "0.00"
    assert failed["is_correct"] is False
    assert attempts[1]["percent"] == "100.00"
    certificate = Certificate.objects.get(learner=learner)
    assert data["certificates"] == [
        {
            "code": certificate.code,
            "learner_name": "Ada Lovelace",
            "course_title": "Naval diplomacy",
            "issued_at": certificate.issued_at.isoformat(),
            "course": finished.slug,
            "verification_url": f"http://testserver/certificates/{certificate.code}/",
        }
    ]


def test_the_download_holds_only_the_learners_own_data(client, learner, finished, take_quiz, now):
    other = UserFactory(username="someone-else")
    enrollment_create(learner=other, course=finished)
    take_quiz(other, finished.modules.order_by("position").first().quiz, now=now)

    data = download(client, learner)

    assert "someone-else" not in json.dumps(data)
    assert len(data["attempts"]) == 4


def test_an_open_attempt_gives_no_answer_key_away(client, learner, now):
    course = course_with_modules(modules=1)
    enrollment_create(learner=learner, course=course)
    quiz_attempt_start(learner=learner, quiz=course.modules.get().quiz, now=now)

    data = download(client, learner)

    (attempt,) = data["attempts"]
    assert attempt["submitted_at"] is None
    question = attempt["responses"][0]["question"]
    assert [choice["text"] for choice in question["choices"]] == ["Right", "Wrong"]
    assert "weight" not in json.dumps(question) and "explanation" not in question


def test_the_download_costs_the_same_queries_whatever_the_amount(
    client, learner, now, finished, take_quiz, django_assert_num_queries
):
    client.force_login(learner)
    # Session, user, then one query per kind of record (grade changes and the xAPI
    # statements too).
    with django_assert_num_queries(9):
        client.get(MY_DATA)

    more = course_with_modules(modules=3, lessons=3)
    enrollment_create(learner=learner, course=more)
    for lesson in more.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    for module in more.modules.all():
        take_quiz(learner, module.quiz, now=now, right=False)
        take_quiz(learner, module.quiz, now=now)
    with django_assert_num_queries(9):
        data = json.loads(client.get(MY_DATA).content)
    assert len(data["attempts"]) == 4 + 6


def test_the_download_holds_the_instructors_grades_and_comments_but_not_who(
    client, learner, finished, now
):
    from assessments.models import Attempt, GradeChange
    from progress.services import quiz_response_grade
    from tests.factories import make_instructor

    failed = Attempt.objects.filter(learner=learner, passed=False).get()
    quiz_response_grade(
        response=failed.responses.get(),
        score="0.5",
        by=make_instructor("ines"),
        source=GradeChange.Source.OVERRIDE,
        reason="The question could be read two ways.",
        feedback="Half marks.",
        expected_version=0,
        now=now,
    )

    data = download(client, learner)

    changes = [c for a in data["attempts"] for r in a["responses"] for c in r["grade_changes"]]
    assert changes == [
        {
            "source": "override",
            "score_before": "0.00",
            "score_after": "0.50",
            "is_correct_before": False,
            "is_correct_after": False,
            "reason": "The question could be read two ways.",
            "feedback": "Half marks.",
            "created_at": now.isoformat(),
        }
    ]
