"""Two runs of the sender at once (cron and a run by hand, or two hosts) share the work: no
statement is sent twice, neither run fails, and one that finds the work taken says so."""

import io
import json
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from xapi import lrs
from xapi.models import OutboxStatement
from xapi.tests.conftest import lrs_answering

pytestmark = pytest.mark.django_db


@pytest.fixture
def lrs_meanwhile(monkeypatch):
    """An LRS that counts the statements posted to it, and runs ``meanwhile`` (the other run)
    while it takes the first batch of the first run: as a second run starting while the first
    waits for the LRS."""
    posted = Counter()
    meanwhile = []

    def answer(request):
        ids = [statement["id"] for statement in json.loads(request.content)]
        posted.update(ids)
        if meanwhile:
            meanwhile.pop()()
        return httpx.Response(200, json=ids)

    lrs_answering(monkeypatch, answer)
    return posted, meanwhile


def test_a_run_started_while_another_sends_everything_sends_nothing_and_says_so(
    lessons_read, lrs_meanwhile
):
    lessons_read(4)
    posted, meanwhile = lrs_meanwhile
    second = io.StringIO()
    meanwhile.append(lambda: call_command("send_statements", stdout=second))

    first = lrs.statements_send()

    assert second.getvalue() == (
        "0 statements sent.\n4 statements are being sent by another run.\n"
    )
    assert first.sent == 4 and first.held_elsewhere == 0
    assert set(posted.values()) == {1}  # each statement posted once, by the first run
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {"sent"}


def test_two_runs_at_once_share_the_batches_and_send_each_statement_once(
    lessons_read, lrs_meanwhile
):
    lessons_read(7)
    posted, meanwhile = lrs_meanwhile
    other = []
    meanwhile.append(lambda: other.append(lrs.statements_send(batch_size=2)))

    first = lrs.statements_send(batch_size=2)

    [second] = other
    assert first.sent == 2 and second.sent == 5  # the other took the batches not yet taken
    assert sorted(posted.values()) == [1] * 7
    assert OutboxStatement.objects.filter(state="sent").count() == 7
    assert not OutboxStatement.objects.filter(sending_run__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="two connections writing at once: PostgreSQL, as in production",
)
def test_two_runs_on_two_connections_send_each_statement_once(lessons_read, monkeypatch):
    import threading
    import time

    from django.db import connection

    lessons_read(12)
    posted = Counter()
    counting = threading.Lock()

    def answer(request):
        ids = [statement["id"] for statement in json.loads(request.content)]
        with counting:
            posted.update(ids)
        time.sleep(0.05)  # the other run goes on meanwhile
        return httpx.Response(200, json=ids)

    lrs_answering(monkeypatch, answer)
    start, outcomes = threading.Barrier(2), []

    def run():
        try:
            start.wait()
            outcomes.append(lrs.statements_send(batch_size=3))
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)

    assert len(outcomes) == 2  # neither failed
    assert sum(outcome.sent for outcome in outcomes) == 12
    assert sorted(posted.values()) == [1] * 12
    assert OutboxStatement.objects.filter(state="sent").count() == 12


def test_a_batch_taken_late_in_a_long_run_is_held_for_a_whole_lease(lessons_read, monkeypatch):
    """After an outage, a backlog takes the run longer than a lease: the batch it takes after
    ten minutes is still its own, and the cron run a minute later leaves it alone."""
    lessons_read(6)
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    posted, other = Counter(), []
    second_run = [lambda: other.append(lrs.statements_send(batch_size=2))]

    def answer(request):
        ids = [statement["id"] for statement in json.loads(request.content)]
        posted.update(ids)
        clock[0] += timedelta(minutes=4)  # an LRS slow to recover
        if len(posted) == 6 and second_run:  # posting the third batch, 12 minutes in
            second_run.pop()()
        return httpx.Response(200, json=ids)

    lrs_answering(monkeypatch, answer)

    first = lrs.statements_send(batch_size=2)

    [second] = other
    assert (second.sent, second.held_elsewhere) == (0, 2)
    assert first.sent == 6
    assert sorted(posted.values()) == [1] * 6
