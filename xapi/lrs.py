"""Sending the outbox to the Learning Record Store (xAPI 1.0.3, POST /statements).

Statements go in batches, oldest first. A batch the LRS takes is marked sent; one it
refuses as a bad request (400; 422 as some LRSs answer; 413, too large) is split in halves
until the bad statement stands alone, which is marked refused with the LRS's message, so it
never holds the others back. A statement the LRS already holds (409) counts as sent.

Nothing is marked sent on a status code alone: a proxy or a wrong address may answer 204 to
anything. A 200 must list the ids of statements just sent (only an LRS knows them); a 204
must come with the ``X-Experience-API-Version`` header that xAPI 1.0.3 (§6.2) asks of an LRS,
or else (Ralph 5.1 sends none) each statement must be read back from the LRS; a 409 too.

Anything else — the LRS down, a 5xx, a timeout, an answer that is not an LRS's — leaves the
batch waiting with its tries counted and its next try later (doubling, up to ``MAX_WAIT``),
and ends the run: the rest waits for the next one. Statement ids are stable, so sending one
twice never makes two.

Two runs at once (cron and a run by hand, or two hosts) share the work: a run takes each batch
for itself (``sending_run``, until ``SENDING_LEASE`` is over) by one conditional UPDATE, as
lti's ``scores_send`` does, on any database and across hosts; what another run holds is left
to it, and a run that finds everything held says so.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from xapi.models import OutboxStatement

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=6)
# How long a run holds the batch it is sending: longer than a batch takes, even split and
# read back at ``TIMEOUT`` a request. A run that dies leaves its batch to the next after it.
SENDING_LEASE = timedelta(minutes=10)
TIMEOUT = httpx.Timeout(10.0)
# Answers that say these statements are wrong (or too many at once: 413), not that the LRS
# is unwell: a batch is split until each refusal stands alone.
REFUSALS = {400, 413, 422}
ALREADY_HELD = 409
VERSION_HEADER = "X-Experience-API-Version"


@dataclass
class Sending:
    sent: int = 0
    refused: int = 0
    # Statements due but held by another run, sending them now.
    held_elsewhere: int = 0
    # Why the run stopped early (the LRS unreachable or unwell), or "" if it emptied the outbox.
    stopped: str = ""
    errors: list[str] = field(default_factory=list)


class LrsUnwell(Exception):
    """The LRS could not take a batch for a reason that is not the batch's fault."""


def lrs_client() -> httpx.Client:
    return httpx.Client(
        base_url=settings.XAPI_ENDPOINT,
        auth=(settings.XAPI_USERNAME, settings.XAPI_PASSWORD),
        headers={VERSION_HEADER: "1.0.3"},
        timeout=TIMEOUT,
    )


def next_wait(tries: int) -> timedelta:
    """How long a batch waits after its ``tries``-th failure: 1, 2, 4 … minutes, up to 6 h."""
    return min(FIRST_WAIT * 2 ** max(tries - 1, 0), MAX_WAIT)


def statements_send(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Sending:
    """Send every statement that is due, batch by batch, until none is left or the LRS
    fails; return what happened."""
    now = now or timezone.now()
    sending = Sending()
    run = uuid.uuid4()
    waiting = OutboxStatement.objects.filter(state=OutboxStatement.State.WAITING)
    with lrs_client() as client:
        while due := list(
            waiting.filter(next_try_at__lte=now).values_list("pk", flat=True)[:batch_size]
        ):
            batch = _claim(due, run=run, now=now)
            if not batch:  # another run took them first: the next due ones, if any
                continue
            try:
                _send(client, batch, sending, now=now)
            except LrsUnwell as unwell:
                _wait(batch, str(unwell), now=now)
                sending.stopped = str(unwell)
                logger.warning("xAPI statements not sent, %d wait: %s", len(batch), unwell)
                return sending
    sending.held_elsewhere = waiting.filter(sending_run__isnull=False, next_try_at__gt=now).count()
    return sending


def _claim(due: list, *, run: uuid.UUID, now) -> list[OutboxStatement]:
    """The ``due`` statements that no other run took meanwhile, taken for ``run`` until the
    lease is over: each row's UPDATE checks that it is still due, so of two runs at once only
    one takes it."""
    OutboxStatement.objects.filter(
        pk__in=due, state=OutboxStatement.State.WAITING, next_try_at__lte=now
    ).update(sending_run=run, next_try_at=now + SENDING_LEASE)
    return list(OutboxStatement.objects.filter(pk__in=due, sending_run=run))


def _send(client: httpx.Client, batch: list[OutboxStatement], sending: Sending, *, now) -> None:
    try:
        answer = client.post("statements", json=[row.statement for row in batch])
    except httpx.HTTPError as error:
        raise LrsUnwell(f"{type(error).__name__}: {error}") from error
    if answer.status_code in (200, 204):
        _check_taken(client, answer, batch)
        _mark_sent(batch, now=now)
        sending.sent += len(batch)
    elif answer.status_code == ALREADY_HELD and len(batch) == 1:
        _check_held(client, batch)
        _mark_sent(batch, now=now, note=_message(answer))
        sending.sent += 1
    elif answer.status_code in (*REFUSALS, ALREADY_HELD) and len(batch) > 1:
        half = len(batch) // 2
        _send(client, batch[:half], sending, now=now)
        _send(client, batch[half:], sending, now=now)
    elif answer.status_code in REFUSALS:
        [row] = batch
        row.state = OutboxStatement.State.REFUSED
        row.tries += 1
        row.last_error = _message(answer)
        row.sending_run = None
        row.save(update_fields=["state", "tries", "last_error", "sending_run"])
        sending.refused += 1
        sending.errors.append(f"{row.id}: {row.last_error}")
    else:
        raise LrsUnwell(f"HTTP {answer.status_code}: {_message(answer)}")


def _check_taken(client: httpx.Client, answer: httpx.Response, batch: list) -> None:
    """A 200 with the ids of the statements the LRS stored (some of the batch: those it held
    already it leaves out); a 204, the LRS holding them all already, from an LRS. Anything
    else (a proxy's page, a portal, a 204 from whatever answers the address) is not an LRS
    taking the statements."""
    if answer.status_code == 204:
        if not answer.headers.get(VERSION_HEADER):
            _check_held(client, batch)
        return
    try:
        listed = answer.json()
    except ValueError:
        listed = None
    sent = {str(row.pk) for row in batch}
    if not (isinstance(listed, list) and listed and {_id_text(id_) for id_ in listed} <= sent):
        raise LrsUnwell(f"HTTP 200 that is not an xAPI answer: {answer.text[:200]!r}")


def _check_held(client: httpx.Client, batch: list) -> None:
    """Each statement read back from the LRS (GET statements?statementId=): proof that an LRS
    holds it."""
    for row in batch:
        try:
            answer = client.get("statements", params={"statementId": str(row.pk)})
        except httpx.HTTPError as error:
            raise LrsUnwell(f"{type(error).__name__} reading a statement back: {error}") from error
        if str(row.pk) not in _ids_shown(answer):
            raise LrsUnwell(
                f"HTTP {answer.status_code} reading statement {row.pk} back, which the LRS "
                f"said it holds: {_message(answer)[:200]!r}"
            )


def _ids_shown(answer: httpx.Response) -> set[str]:
    """The ids of the statements a GET statements answer shows: the statement asked for (xAPI
    1.0.3), or a list of statements (Ralph 5.1)."""
    try:
        found = answer.json() if answer.status_code == 200 else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return set()
    shown = found.get("statements", [found])
    if not isinstance(shown, list):
        return set()
    return {_id_text(statement.get("id")) for statement in shown if isinstance(statement, dict)}


def _id_text(value) -> str:
    """A statement id as this site writes it (lower case), or "" for anything else."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return ""


def _message(answer: httpx.Response) -> str:
    return answer.text[:2000] or answer.reason_phrase


def _mark_sent(batch: list[OutboxStatement], *, now, note: str = "") -> None:
    OutboxStatement.objects.filter(pk__in=[row.pk for row in batch]).update(
        state=OutboxStatement.State.SENT,
        sent_at=now,
        tries=F("tries") + 1,
        last_error=note,
        sending_run=None,
    )


def _wait(batch: list[OutboxStatement], error: str, *, now) -> None:
    """What the batch still holds waits: its tries counted, its next try later the more it
    failed (the halves of a split batch sent before the failure are sent)."""
    waiting = list(
        OutboxStatement.objects.filter(
            pk__in=[row.pk for row in batch], state=OutboxStatement.State.WAITING
        )
    )
    for row in waiting:
        row.tries += 1
        row.next_try_at = now + next_wait(row.tries)
        row.last_error = error[:2000]
        row.sending_run = None
    OutboxStatement.objects.bulk_update(
        waiting, ["tries", "next_try_at", "last_error", "sending_run"]
    )
