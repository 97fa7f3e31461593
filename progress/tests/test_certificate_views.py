"""The learner's certificate page, the public verification page and the PDF download."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import Status
from progress.models import Certificate
from progress.services import enrollment_create, lesson_complete
from progress.tests.test_pdf import pdf_text
from tests.factories import UserFactory, course_with_modules

pytestmark = pytest.mark.django_db


@pytest.fixture
def finish(take_quiz, complete_module):
    """Take the whole course through the services, as a learner would; returns the certificate."""

    def finish(learner, course, *, now):
        enrollment_create(learner=learner, course=course)
        for module in course.modules.order_by("position"):
            complete_module(learner, module, now=now)
        take_quiz(learner, course.quizzes.get(kind="final"), now=now)
        return Certificate.objects.get(learner=learner, course=course)

    return finish


@pytest.fixture
def certificate(learner, now, finish):
    return finish(learner, course_with_modules(title="Military diplomacy"), now=now)


def mine_url(course) -> str:
    return reverse("certificate_mine", args=[course.slug])


def verify_url(code: str) -> str:
    return reverse("certificate_verify", args=[code])


def pdf_url(code: str) -> str:
    return reverse("certificate_pdf", args=[code])


# --- The learner's own certificate ---------------------------------------------


def test_the_certificate_page_needs_a_login(client):
    course = course_with_modules()

    response = client.get(mine_url(course))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_until_the_course_is_complete_the_learner_is_told_what_is_missing(client, learner):
    course = course_with_modules(modules=2, lessons=2, title="Military diplomacy")
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    response = client.get(mine_url(course), follow=True)

    assert response.redirect_chain == [(course.get_absolute_url(), 302)]
    page = response.content.decode()
    assert (
        "Your certificate for “Military diplomacy” is issued when you complete the course." in page
    )
    assert "Module 1 — Read “Lesson 1.1” and 1 more lesson; Pass the quiz: 70% needed." in page
    assert "Module 2 — Read “Lesson 2.1” and 1 more lesson; Pass the quiz: 70% needed." in page
    assert "Final exam — 70% needed to pass." in page
    assert not Certificate.objects.exists()


def test_in_a_sequential_course_locked_modules_are_summed_up(client, learner):
    course = course_with_modules(modules=3, lessons=1, sequential=True)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    page = client.get(mine_url(course), follow=True).content.decode()

    assert "Module 1 — Read “Lesson 1.1”; Pass the quiz: 70% needed. Then 2 more modules." in page
    assert "Then the final exam." in page


def test_a_learner_who_is_not_enrolled_is_asked_to_enrol(client, learner):
    course = course_with_modules(title="Military diplomacy")
    client.force_login(learner)

    response = client.get(mine_url(course), follow=True)

    assert response.redirect_chain == [(course.get_absolute_url(), 302)]
    assert "Enrol in “Military diplomacy” and complete it" in response.content.decode()


def test_a_complete_course_shows_the_certificate_with_its_public_link(
    client, learner, certificate
):
    client.force_login(learner)

    page = client.get(mine_url(certificate.course)).content.decode()

    assert "Your certificate</h1>" in page
    assert "Ada Lovelace" in page
    assert "Military diplomacy" in page
    assert '<time datetime="2025-03-03T09:00:00+00:00">3 March 2025</time>' in page
    assert certificate.code in page
    public = f"http://testserver/certificates/{certificate.code}/"
    assert (
        f'<input id="verify-url" class="form-control" type="url" value="{public}" readonly>'
        in page
    )
    assert f'href="{pdf_url(certificate.code)}">Download PDF</a>' in page


@pytest.fixture
def complete_by_a_content_change(learner, now):
    """A course the learner completed when the instructor withdrew the lesson not yet read:
    no action of the learner's completed it, so no certificate was issued yet."""
    course = course_with_modules(modules=1, lessons=2, module_quizzes=False, final_exam=False)
    read, unread = course.lessons.order_by("position")
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=read, now=now)
    unread.status = Status.ARCHIVED
    unread.save()
    return course


def test_looking_at_the_certificate_page_never_issues_a_certificate(
    client, learner, complete_by_a_content_change
):
    course = complete_by_a_content_change
    client.force_login(learner)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(mine_url(course))

    assert response.status_code == 200
    assert not Certificate.objects.exists()
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    page = response.content.decode()
    assert "You have completed this course." in page
    assert f'<form method="post" action="{mine_url(course)}">' in page


def test_a_course_made_complete_by_a_content_change_issues_the_certificate_on_request(
    client, learner, complete_by_a_content_change
):
    course = complete_by_a_content_change
    client.force_login(learner)

    response = client.post(mine_url(course), follow=True)

    certificate = Certificate.objects.get(learner=learner, course=course)
    assert response.redirect_chain == [(mine_url(course), 302)]
    assert certificate.code in response.content.decode()
    assert client.post(mine_url(course)).status_code == 200  # asking again issues nothing new
    assert Certificate.objects.count() == 1


def test_asking_for_a_certificate_before_completing_the_course_issues_nothing(client, learner):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)

    response = client.post(mine_url(course), follow=True)

    assert response.redirect_chain == [(course.get_absolute_url(), 302)]
    assert "Still to do" in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_learner_gets_the_certificate_when_they_complete_the_course(
    client, learner, now, take_quiz
):
    course = course_with_modules(modules=0, final_exam=True)
    enrollment_create(learner=learner, course=course)
    take_quiz(learner, course.quizzes.get(), now=now)  # the completing write
    client.force_login(learner)

    page = client.get(mine_url(course)).content.decode()

    assert Certificate.objects.get(learner=learner, course=course).code in page


def test_someone_elses_certificate_is_not_shown_as_mine(client, certificate):
    other = UserFactory()
    client.force_login(other)

    page = client.get(mine_url(certificate.course), follow=True).content.decode()

    assert certificate.code not in page
    assert "Enrol in “Military diplomacy”" in page


def test_the_certificate_page_runs_a_fixed_number_of_queries(
    client, learner, now, finish, django_assert_num_queries
):
    small = finish(learner, course_with_modules(modules=1, lessons=1), now=now)
    large = finish(learner, course_with_modules(modules=4, lessons=4), now=now)
    for other in UserFactory.create_batch(3):
        finish(other, large.course, now=now)
    client.force_login(learner)

    for certificate in (small, large):
        url = mine_url(certificate.course)
        with django_assert_num_queries(3):  # session, user, the certificate with its course
            client.get(url)


# --- Public verification ---------------------------------------------------------


def test_anyone_can_verify_a_certificate_without_logging_in(client, learner, certificate):
    response = client.get(verify_url(certificate.code))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Valid certificate</h1>" in page
    assert "Ada Lovelace" in page
    assert "Military diplomacy" in page
    assert "3 March 2025" in page
    assert f'href="{pdf_url(certificate.code)}">Download PDF</a>' in page
    # Nothing else about the learner.
    assert learner.username not in page
    assert learner.email not in page
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " ").lower(),
        lambda code: f" {code} ",
    ],
    ids=["lower case", "no hyphens", "spaces", "padded"],
)
def test_a_code_typed_back_with_other_formatting_still_verifies(client, certificate, typed):
    response = client.get(verify_url(typed(certificate.code)), follow=True)

    assert response.redirect_chain == [(verify_url(certificate.code), 302)]
    assert "Valid certificate" in response.content.decode()


def test_an_unknown_code_gets_a_friendly_not_found_page(client, certificate):
    response = client.get(verify_url("ABCD-EFGH-JKMN-PQRS"))

    page = response.content.decode()
    assert response.status_code == 404
    assert "Certificate not found</h1>" in page
    assert "No certificate has this code" in page
    assert "Valid certificate" not in page
    assert "Ada Lovelace" not in page


@pytest.mark.parametrize("fetch", [verify_url, lambda code: verify_url(code) + "pdf/"])
def test_a_mistyped_code_is_shown_as_typed_not_regrouped(client, certificate, fetch):
    response = client.get(fetch("BOGUS-0000"))

    page = response.content.decode()
    assert response.status_code == 404
    assert "BOGUS-0000" in page
    assert "BOGU-S000-0" not in page


def test_verification_shows_the_certificate_as_issued_after_renames(client, learner, certificate):
    learner.first_name, learner.last_name = "Augusta", "King"
    learner.save()
    course = certificate.course
    course.title = "Defence diplomacy, second edition"
    course.save()

    page = client.get(verify_url(certificate.code)).content.decode()

    assert "Ada Lovelace" in page
    assert "Military diplomacy" in page
    assert "Augusta" not in page
    assert "second edition" not in page


def test_verification_and_pdf_run_one_query_each_however_many_certificates_exist(
    client, now, finish, certificate, django_assert_num_queries
):
    for more_learners in (0, 3):
        for other in UserFactory.create_batch(more_learners):
            finish(other, certificate.course, now=now)
        with django_assert_num_queries(1):
            client.get(verify_url(certificate.code))
        with django_assert_num_queries(1):
            client.get(pdf_url(certificate.code))


# --- The PDF -------------------------------------------------------------------------


def test_anyone_with_the_code_can_download_the_pdf(client, certificate):
    response = client.get(pdf_url(certificate.code.lower()))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="certificate-{certificate.code}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    shown = pdf_text(response.content)
    assert "Ada Lovelace" in shown
    assert "Military diplomacy" in shown
    assert certificate.code in shown
    assert f"http://testserver/certificates/{certificate.code}/" in shown


def test_the_pdf_of_an_unknown_code_is_not_found(client):
    response = client.get(pdf_url("ABCD-EFGH-JKMN-PQRS"))

    assert response.status_code == 404
    assert "No certificate has this code" in response.content.decode()
