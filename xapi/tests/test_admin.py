"""Operators see the outbox in the admin: what waits, how often it was tried, why it failed,
with the count of each state; nobody edits it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

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


def refused_statements(count: int, *, now) -> list[OutboxStatement]:
    learners_read(count, now=now)
    OutboxStatement.objects.update(state="refused", tries=1, last_error="HTTP 400 from nginx")
    return list(OutboxStatement.objects.all())


def send_again(client, statements):
    return client.post(
        CHANGELIST,
        {"action": "send_again", "_selected_action": [str(row.pk) for row in statements]},
        follow=True,
    )


def test_an_administrator_sends_refused_statements_again_and_the_refusal_is_kept(
    lrs_down, admin_client, admin_user, now, caplog, django_capture_on_commit_callbacks
):
    refused = refused_statements(3, now=now)
    sent = refused[2]
    OutboxStatement.objects.filter(pk=sent.pk).update(state="sent", last_error="")

    with (
        caplog.at_level("INFO", logger="courseware.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = send_again(admin_client, refused)

    assert "2 refused statements are back in the queue" in page.content.decode()
    rows = {row.pk: row for row in OutboxStatement.objects.all()}
    assert [rows[row.pk].state for row in refused] == ["waiting", "waiting", "sent"]
    assert all(rows[row.pk].next_try_at <= timezone.now() for row in refused[:2])  # due now
    assert rows[refused[0].pk].refused_before == "HTTP 400 from nginx"
    assert rows[sent.pk].refused_before == ""
    [event] = [r for r in caplog.records if r.getMessage() == "statements_sent_again"]
    assert event.fields == {"count": 2, "by_id": admin_user.pk}
    history = admin_client.get(reverse("admin:xapi_outboxstatement_history", args=[refused[0].pk]))
    assert "Sent again." in history.content.decode()
    detail = admin_client.get(reverse("admin:xapi_outboxstatement_change", args=[refused[0].pk]))
    assert "HTTP 400 from nginx" in detail.content.decode()


def test_sending_again_statements_that_were_not_refused_changes_nothing(
    lrs_down, admin_client, now
):
    learners_read(2, now=now)

    page = send_again(admin_client, OutboxStatement.objects.all())

    assert "nothing to send again" in page.content.decode()
    assert set(OutboxStatement.objects.values_list("refused_before", flat=True)) == {""}


def test_only_an_administrator_may_send_statements_again(lrs_down, client, now):
    refused = refused_statements(1, now=now)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="xapi"))
    client.force_login(staff)

    assert send_again(client, refused).status_code == 403
    assert OutboxStatement.objects.get().state == "refused"
