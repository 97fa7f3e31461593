"""Operators see the outbox in the admin: what waits, how often it was tried, why it failed,
with the count of each state; nobody edits it."""

import pytest
from django.urls import reverse

from progress.services import enrollment_create, lesson_complete
from tests.factories import UserFactory, course_with_modules
from xapi.lrs import statements_send
from xapi.models import OutboxStatement
from xapi.tests.conftest import free_port

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:xapi_outboxstatement_changelist")


@pytest.fixture
def lrs_down(settings):
    settings.XAPI_ENDPOINT = f"http://127.0.0.1:{free_port()}/xAPI/"


def learners_read(lessons: int, *, now):
    course = course_with_modules(modules=1, lessons=lessons, final_exam=False)
    learner = UserFactory()
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    return learner


def test_the_outbox_shows_what_waits_its_tries_and_its_error_with_counts(
    lrs_down, admin_client, now
):
    learners_read(3, now=now)
    statements_send()
    sent = OutboxStatement.objects.first()
    OutboxStatement.objects.filter(pk=sent.pk).update(state="sent", sent_at=now, last_error="")

    page = admin_client.get(CHANGELIST).content.decode()
    counted = admin_client.get(CHANGELIST, {"_facets": "1"}).content.decode()

    # The counts by state, when asked for: a large outbox is not counted on every visit.
    assert "Waiting (2)" not in page and "Show counts" in page
    assert "Waiting (2)" in counted and "Sent (1)" in counted
    assert page.count("ConnectError") == 2  # the last error of each waiting statement
    detail = admin_client.get(reverse("admin:xapi_outboxstatement_change", args=[sent.pk]))
    assert detail.status_code == 200
    assert "http://adlnet.gov/expapi/verbs/experienced" in detail.content.decode()
    assert b'name="_save"' not in detail.content  # read-only


def test_the_outbox_list_costs_the_same_queries_whatever_its_length(
    lrs_down, admin_client, now, django_assert_max_num_queries
):
    learners_read(1, now=now)
    admin_client.get(CHANGELIST)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(CHANGELIST)

    for _ in range(5):
        learners_read(4, now=now)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get(CHANGELIST)
    assert "21 xAPI statements" in page.content.decode()


@pytest.mark.parametrize("search", ["ada", "5f1e", "\x00"])
def test_searching_the_outbox_never_fails(lrs_down, admin_client, now, search):
    learners_read(1, now=now)

    assert admin_client.get(CHANGELIST, {"q": search}).status_code == 200


def test_the_outbox_is_searched_by_a_statements_whole_id_or_a_learners_username(
    lrs_down, admin_client, now
):
    learner = learners_read(2, now=now)
    learners_read(1, now=now)
    statement = learner.xapi_statements.first()

    def found(search):
        page = admin_client.get(CHANGELIST, {"q": search})
        assert page.status_code == 200
        return {row.pk for row in page.context["cl"].result_list}

    assert found(str(statement.pk)) == {statement.pk}
    assert found(f" {str(statement.pk).upper()} ") == {statement.pk}
    assert found(str(statement.pk)[:8]) == set()  # a whole id, not a part of one
    assert found(learner.username) == set(learner.xapi_statements.values_list("pk", flat=True))
    assert len(found(learner.username)) == 2  # theirs, not the other learner's
    assert found(learner.username[:-1]) == set()
