"""A statement that cannot pass (too large for a proxy, stopped by a firewall) holds back only
itself; an LRS that refuses statement after statement is at fault, not the statements; and a
run whose lease ran out never overwrites what another run wrote since."""

import json
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from django.db.models import Max
from django.utils import timezone

from xapi import lrs
from xapi.models import OutboxStatement
from xapi.tests.conftest import lrs_answering

pytestmark = pytest.mark.django_db

PROXY_PAGE = {"headers": {"Content-Type": "text/html"}, "text": "<html>Blocked</html>"}
LRS_REFUSAL = {"json": {"detail": "Invalid statement"}}


def marked(count: int, *, at: int) -> OutboxStatement:
    """The ``at``-th of the ``count`` waiting statements, marked as the one a proxy stops."""
    row = OutboxStatement.objects.all()[at]
    row.statement = {**row.statement, "essay": "x" * 10}
    row.save()
    return row


def proxy_stopping_the_marked(monkeypatch, status: int) -> list[int]:
    """An LRS behind a proxy that answers ``status`` to any batch holding the marked statement
    and passes the rest; the sizes of the batches posted."""
    posted = []

    def answer(request):
        statements = json.loads(request.content)
        posted.append(len(statements))
        if any("essay" in statement for statement in statements):
            return httpx.Response(status, **PROXY_PAGE)
        return httpx.Response(200, json=[statement["id"] for statement in statements])

    lrs_answering(monkeypatch, answer)
    return posted


def all_due() -> datetime:
    """A moment when every waiting statement is due."""
    return OutboxStatement.objects.aggregate(Max("next_try_at"))["next_try_at__max"]


def states() -> list[str]:
    return list(OutboxStatement.objects.values_list("state", flat=True))


def test_a_statement_too_large_for_a_proxy_is_refused_alone_and_the_others_are_sent(
    lessons_read, monkeypatch
):
    lessons_read(5)
    essay = marked(5, at=1)
    proxy_stopping_the_marked(monkeypatch, 413)

    sending = lrs.statements_send()

    assert (sending.sent, sending.refused, sending.stopped) == (4, 1, "")
    assert states() == ["sent", "refused", "sent", "sent", "sent"]
    essay.refresh_from_db()
    assert "too large for a proxy" in essay.last_error and "Blocked" in essay.last_error
    # The proxy's limit raised: "Send again" sends it.
    lrs_answering(monkeypatch, lambda request: httpx.Response(200, json=[str(essay.pk)]))
    lrs.statements_send_again(OutboxStatement.objects.all())
    assert lrs.statements_send().sent == 1


def test_a_statement_a_firewall_stops_holds_back_only_itself_after_three_tries(
    lessons_read, monkeypatch
):
    """A 403 that is not an LRS's waits for the whole batch, as the LRS unreachable would;
    once the batch failed three times, it goes in halves and the others get through."""
    lessons_read(5)
    marked(5, at=1)
    posted = proxy_stopping_the_marked(monkeypatch, 403)

    for _ in range(3):
        sending = lrs.statements_send(now=all_due())
        assert sending.sent == 0 and "HTTP 403" in sending.stopped
    assert posted == [5, 5, 5]
    assert states() == ["waiting"] * 5

    sending = lrs.statements_send(now=all_due())

    assert posted[3:] == [5, 2, 1, 1, 3]  # the batch, its halves, the first half's statements
    assert sending.sent == 4 and "HTTP 403" in sending.stopped
    assert states() == ["sent", "waiting", "sent", "sent", "sent"]
    assert OutboxStatement.objects.get(state="waiting").tries == 4


def test_statements_refused_one_after_another_trip_the_breaker_on_a_quiet_site(
    lessons_read, monkeypatch
):
    """A misconfigured LRS refusing each statement as it comes, one a run: ten refused in a
    row, none taken, and the next ones wait instead; once the LRS takes a statement again,
    a refusal counts again."""
    lessons_read(12)
    refusing = {"on": True}

    def answer(request):
        statements = json.loads(request.content)
        if refusing["on"] and not any("taken" in statement for statement in statements):
            return httpx.Response(400, **LRS_REFUSAL)
        return httpx.Response(200, json=[statement["id"] for statement in statements])

    lrs_answering(monkeypatch, answer)

    runs = [lrs.statements_send(batch_size=1) for _ in range(2)]

    assert runs[0].refused == lrs.REFUSALS_IN_A_ROW - 1
    assert "10 statements were refused in a row" in runs[0].stopped
    assert runs[1].refused == 0 and "in a row" in runs[1].stopped
    assert states() == ["refused"] * 9 + ["waiting"] * 3
    # The LRS mended: what waits is sent, and a statement it then refuses is refused.
    refusing["on"] = False
    assert lrs.statements_send(now=all_due()).sent == 3
    refusing["on"] = True
    lessons_read(1)
    assert lrs.statements_send(now=all_due()).refused == 1


@pytest.mark.parametrize(
    ("late_answer", "other_answer", "state"),
    [
        (LRS_REFUSAL | {"status_code": 400}, {"status_code": 200}, "sent"),
        ({"status_code": 200}, LRS_REFUSAL | {"status_code": 400}, "refused"),
    ],
)
def test_a_run_whose_lease_ran_out_leaves_what_another_run_wrote_since(
    lessons_read, monkeypatch, late_answer, other_answer, state
):
    """The LRS answers the first run after its lease ran out; the cron run meanwhile took the
    statement and the LRS answered it: the first run's late answer changes nothing."""
    lessons_read(1)
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    other, answered = [], []

    def answer(request):
        [statement] = json.loads(request.content)
        answered.append(statement["id"])
        if len(answered) > 1:
            return _response(other_answer, statement)
        clock[0] += lrs.SENDING_LEASE + timedelta(minutes=1)
        other.append(lrs.statements_send())
        return _response(late_answer, statement)

    lrs_answering(monkeypatch, answer)

    first = lrs.statements_send()

    row = OutboxStatement.objects.get()
    assert (row.state, row.tries, row.sending_run) == (state, 1, None)
    assert first.sent + first.refused == 0
    assert other[0].sent + other[0].refused == 1


def test_a_run_whose_lease_ran_out_leaves_another_runs_lease_alone(lessons_read, monkeypatch):
    """The LRS fails the first run after its lease ran out, while another run holds the
    statement: the other run keeps it, and no third run joins in."""
    lessons_read(1)
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    other_run = uuid.uuid4()

    def answer(request):
        clock[0] += lrs.SENDING_LEASE + timedelta(minutes=1)
        lrs._claim(
            list(OutboxStatement.objects.values_list("pk", flat=True)), run=other_run, now=clock[0]
        )
        return httpx.Response(500)

    lrs_answering(monkeypatch, answer)

    assert "HTTP 500" in lrs.statements_send().stopped

    row = OutboxStatement.objects.get()
    assert (row.sending_run, row.tries, row.next_try_at) == (
        other_run,
        0,
        clock[0] + lrs.SENDING_LEASE,
    )


def _response(answer: dict, statement: dict) -> httpx.Response:
    if answer["status_code"] == 200:
        return httpx.Response(200, json=[statement["id"]])
    return httpx.Response(**answer)


def test_an_lrs_forbidding_every_batch_is_never_split(lessons_read, monkeypatch):
    """An LRS's own 403 (the account lacks a scope) is no statement's fault: the batch keeps
    going whole, however many times it failed."""
    lessons_read(3)
    posted = []

    def answer(request):
        posted.append(len(json.loads(request.content)))
        return httpx.Response(403, headers={lrs.VERSION_HEADER: "1.0.3"}, json={"detail": "no"})

    lrs_answering(monkeypatch, answer)

    for _ in range(lrs.SPLIT_AFTER_TRIES + 2):
        assert "HTTP 403" in lrs.statements_send(now=all_due()).stopped

    assert posted == [3] * (lrs.SPLIT_AFTER_TRIES + 2)
