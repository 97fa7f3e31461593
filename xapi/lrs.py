"""Sending the outbox to the Learning Record Store (xAPI 1.0.3, POST /statements).

Statements go in batches, oldest first. A batch the LRS takes is marked sent; one it
refuses as a bad request (400; 422 as some LRSs answer; 413, too large) is split in halves
until the bad statement stands alone, which is marked refused with the LRS's message, so it
never holds the others back. A statement the LRS already holds (409) counts as sent.

Nothing is marked sent on a status code alone: a proxy or a wrong address may answer 204 to
anything. A 200 must list ids of statements just sent (only an LRS knows them), and those
of the batch it leaves out (an LRS leaves out those it held already) are read back from the
LRS; a 204 must come with the ``X-Experience-API-Version`` header that xAPI 1.0.3 (§6.2)
asks of an LRS, or else (Ralph 5.1 sends none) each statement must be read back; a 409 too.

Nothing is refused on a status code alone either: a proxy, a firewall or an address that is
not the LRS's may answer 400 to anything, and a refusal is final. A 400 or 422 refuses only
with the header, or with the error body of Ralph (a JSON object with ``detail``); else it is
the LRS unreachable, as below. A 413 without them (a proxy's body limit) still splits the
batch, as smaller batches may pass; a statement too large on its own is refused, alone. And
when the LRS refuses every statement of a batch one by one, or ``REFUSALS_IN_A_ROW`` with
none taken since, the fault is the LRS's or its address's, not the statements': they all
wait, and the run stops with an error.

Anything else — the LRS down, a 5xx, a timeout, an answer that is not an LRS's — leaves the
batch waiting with its tries counted and its next try later (doubling, up to ``MAX_WAIT``),
and ends the run: the rest waits for the next one. A split batch sends its second half
even when the first fails, and a batch a proxy's 400 or 403 stopped ``SPLIT_AFTER_TRIES``
times is split too: a statement that cannot pass holds back only itself. Statement ids are stable, so sending one
twice never makes two. An operator puts refused statements back in the queue once the LRS or
its address is mended (``statements_send_again``: the admin's "Send again", or
``send_statements --retry-refused``).

Two runs at once (cron and a run by hand, or two hosts) share the work: a run takes each batch
for itself (``sending_run``, until ``SENDING_LEASE`` is over, counted from when it takes it:
a run may last longer than a lease) by one conditional UPDATE, as lti's ``scores_send`` does,
on any database and across hosts; what another run holds is left to it, and a run that finds
everything held says so. A run writes only on the statements it still holds: its lease run out,
its late answers change nothing.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from courseware.events import Event, event_log
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
# is unwell, when an LRS gives them (``_from_an_lrs``): a batch is split until each refusal
# stands alone.
REFUSALS = {400, 413, 422}
TOO_LARGE = 413
# A proxy's or a firewall's 400 or 403 to a batch that failed this many times already: the
# batch goes in halves, so that a statement it stops (a WAF rule matching an essay) ends up
# alone and waits by itself while the others go on.
SPLIT_AFTER_TRIES = 3
STOPPED_BY_A_PROXY = {400, 403}
# This many statements refused one after another, across runs, with none taken between:
# the LRS or its address is at fault (misconfigured, or another one answering), not the
# statements; the next refusals wait instead, and the run stops with an error.
REFUSALS_IN_A_ROW = 10
ALREADY_HELD = 409
VERSION_HEADER = "X-Experience-API-Version"

Clock = Callable[[], datetime]


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


class EveryStatementRefused(LrsUnwell):
    """The LRS refused each statement of a batch, or too many in a row: the LRS or its
    address is at fault."""


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
    fails; return what happened.

    ``now`` sets the run's clock to start at another moment (tests: a later run); it moves
    on from there, so that each batch is taken, leased and dated when it is sent."""
    ahead = now - timezone.now() if now else timedelta(0)

    def clock() -> datetime:
        return timezone.now() + ahead

    sending = Sending()
    run = uuid.uuid4()
    waiting = OutboxStatement.objects.filter(state=OutboxStatement.State.WAITING)
    with lrs_client() as client:
        while due := list(
            waiting.filter(next_try_at__lte=clock()).values_list("pk", flat=True)[:batch_size]
        ):
            batch = _claim(due, run=run, now=clock())
            if not batch:  # another run took them first: the next due ones, if any
                continue
            if stopped := _send_batch(client, batch, sending, clock=clock):
                _wait(batch, str(stopped), now=clock())
                sending.stopped = str(stopped)
                if isinstance(stopped, EveryStatementRefused):
                    logger.error("xAPI statements not sent, %d wait: %s", len(batch), stopped)
                else:
                    logger.warning("xAPI statements not sent, %d wait: %s", len(batch), stopped)
                return sending
    sending.held_elsewhere = waiting.filter(
        sending_run__isnull=False, next_try_at__gt=clock()
    ).count()
    return sending


def _claim(due: list, *, run: uuid.UUID, now: datetime) -> list[OutboxStatement]:
    """The ``due`` statements that no other run took meanwhile, taken for ``run`` until the
    lease is over: each row's UPDATE checks that it is still due, so of two runs at once only
    one takes it. ``now`` is the moment of the claim, not of the run's start: a batch taken
    late in a long run is held for a whole lease all the same."""
    OutboxStatement.objects.filter(
        pk__in=due, state=OutboxStatement.State.WAITING, next_try_at__lte=now
    ).update(sending_run=run, next_try_at=now + SENDING_LEASE)
    return list(OutboxStatement.objects.filter(pk__in=due, sending_run=run))


def _send_batch(
    client: httpx.Client, batch: list[OutboxStatement], sending: Sending, *, clock: Clock
) -> LrsUnwell | None:
    """Send the batch, recording what was sent and refused; the reason the run must stop, if
    it must."""
    refusals: list[tuple[OutboxStatement, str]] = []
    stopped = None
    sent_before = sending.sent
    try:
        _send(client, batch, sending, refusals, clock=clock)
    except LrsUnwell as unwell:
        stopped = unwell
    nothing_taken = sending.sent == sent_before
    if refusals and nothing_taken and (at_fault := _refusals_at_fault(batch, refusals)):
        # None is refused for good: they wait for the LRS or its address to mend.
        stopped = EveryStatementRefused(
            f"{at_fault}, so the fault is likely the LRS's or its address's; they wait. "
            f"First refusal: {refusals[0][1][:200]}"
        )
        refusals = []
    _refuse(refusals, sending, now=clock())
    return stopped


def _refusals_at_fault(batch: list[OutboxStatement], refusals: list) -> str:
    """Why the ``refusals`` of a batch of which nothing was taken are the LRS's fault and not
    the statements', or "": every statement of a batch refused one by one, or
    ``REFUSALS_IN_A_ROW`` refused with none taken since (counted across runs, so that a quiet
    site sending a statement a minute trips it too)."""
    if len(batch) > 1 and len(refusals) == len(batch):
        return f"the LRS refused each of the {len(batch)} statements of a batch"
    last_taken = OutboxStatement.objects.filter(state=OutboxStatement.State.SENT).aggregate(
        Max("sent_at")
    )["sent_at__max"]
    refused_since = OutboxStatement.objects.filter(state=OutboxStatement.State.REFUSED)
    if last_taken:
        refused_since = refused_since.filter(refused_at__gt=last_taken)
    in_a_row = refused_since.count() + len(refusals)
    if in_a_row >= REFUSALS_IN_A_ROW:
        return f"{in_a_row} statements were refused in a row, none taken since"
    return ""


def _send(
    client: httpx.Client,
    batch: list[OutboxStatement],
    sending: Sending,
    refusals: list[tuple[OutboxStatement, str]],
    *,
    clock: Clock,
) -> None:
    try:
        answer = client.post("statements", json=[row.statement for row in batch])
    except httpx.HTTPError as error:
        raise LrsUnwell(f"{type(error).__name__}: {error}") from error
    status = answer.status_code
    refused = status in REFUSALS and _from_an_lrs(answer)
    tried = max(row.tries for row in batch)
    stopped_by_a_proxy = (
        status in STOPPED_BY_A_PROXY and tried >= SPLIT_AFTER_TRIES and not _from_an_lrs(answer)
    )
    if status in (200, 204):
        _take(client, answer, batch, sending, clock=clock)
    elif status == ALREADY_HELD and len(batch) == 1:
        _check_held(client, batch)
        _mark_sent(batch, sending, now=clock(), note=_message(answer))
    elif len(batch) > 1 and (refused or stopped_by_a_proxy or status in (ALREADY_HELD, TOO_LARGE)):
        # Each half, the second even if the first fails: a statement that cannot pass holds
        # back only its own half. The first failure is raised once both are done.
        half, failures = len(batch) // 2, []
        for part in (batch[:half], batch[half:]):
            try:
                _send(client, part, sending, refusals, clock=clock)
            except LrsUnwell as unwell:
                failures.append(unwell)
        if failures:
            raise failures[0]
    elif refused:
        [row] = batch
        refusals.append((row, _message(answer)))
    elif status == TOO_LARGE:  # alone and still too large for a proxy: it holds back only itself
        [row] = batch
        refusals.append((row, f"HTTP 413, too large for a proxy: {_message(answer)}"))
    elif status in REFUSALS | STOPPED_BY_A_PROXY:
        raise LrsUnwell(
            f"HTTP {status} that is not an LRS's answer (no {VERSION_HEADER} header, no LRS "
            f"error body): {_message(answer)[:200]!r}"
        )
    else:
        raise LrsUnwell(f"HTTP {status}: {_message(answer)}")


def _from_an_lrs(answer: httpx.Response) -> bool:
    """Whether an error answer shows it comes from an LRS: the header xAPI asks of an LRS, or
    Ralph's error body (a JSON object with its ``detail``: a message, or the list of what
    is wrong). A proxy's or a firewall's page has neither."""
    if answer.headers.get(VERSION_HEADER):
        return True
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("detail"), str | list)


def _take(
    client: httpx.Client,
    answer: httpx.Response,
    batch: list[OutboxStatement],
    sending: Sending,
    *,
    clock: Clock,
) -> None:
    """Mark sent what the LRS shows it took. A 200 lists the ids of the statements the LRS
    stored, perhaps only some of the batch: those it held already it may leave out, down to
    an empty list; they are read back. A 204, the LRS holding them all already, must come from
    an LRS. Anything else (a proxy's page, a portal, a 204 from whatever answers the address)
    is not an LRS taking the statements."""
    if answer.status_code == 204:
        if not answer.headers.get(VERSION_HEADER):
            _check_held(client, batch)
        _mark_sent(batch, sending, now=clock())
        return
    try:
        listed = answer.json()
    except ValueError:
        listed = None
    listed_ids = {_id_text(id_) for id_ in listed} if isinstance(listed, list) else {""}
    if not listed_ids <= {str(row.pk) for row in batch}:
        raise LrsUnwell(f"HTTP 200 that is not an xAPI answer: {answer.text[:200]!r}")
    _mark_sent([row for row in batch if str(row.pk) in listed_ids], sending, now=clock())
    unlisted = [row for row in batch if str(row.pk) not in listed_ids]
    _check_held(client, unlisted)
    _mark_sent(unlisted, sending, now=clock())


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


def _mark_sent(
    rows: list[OutboxStatement], sending: Sending, *, now: datetime, note: str = ""
) -> None:
    sending.sent += _still_held(rows).update(
        state=OutboxStatement.State.SENT,
        sent_at=now,
        tries=F("tries") + 1,
        last_error=note,
        sending_run=None,
    )


def _refuse(
    refusals: list[tuple[OutboxStatement, str]], sending: Sending, *, now: datetime
) -> None:
    """Each statement refused by the LRS, with its words: never sent again, unless an operator
    sends it again (``statements_send_again``)."""
    for row, message in refusals:
        if _still_held([row]).update(
            state=OutboxStatement.State.REFUSED,
            tries=F("tries") + 1,
            last_error=message,
            refused_at=now,
            sending_run=None,
        ):
            sending.refused += 1
            sending.errors.append(f"{row.id}: {message}")


def _still_held(rows: list[OutboxStatement]) -> QuerySet:
    """The ``rows`` that the run which took them (``_claim``) still holds: a run whose lease
    ran out while it sent leaves alone what another run took since, and what it wrote."""
    return OutboxStatement.objects.filter(
        pk__in=[row.pk for row in rows], sending_run=rows[0].sending_run if rows else None
    )


def _wait(batch: list[OutboxStatement], error: str, *, now: datetime) -> None:
    """What the batch still holds waits: its tries counted, its next try later the more it
    failed (the halves of a split batch sent before the failure are sent)."""
    waiting = list(_still_held(batch).filter(state=OutboxStatement.State.WAITING))
    for row in waiting:
        row.tries += 1
        row.next_try_at = now + next_wait(row.tries)
        row.last_error = error[:2000]
        row.sending_run = None
    OutboxStatement.objects.bulk_update(
        waiting, ["tries", "next_try_at", "last_error", "sending_run"]
    )


def statements_send_again(statements: QuerySet, *, by=None) -> list[uuid.UUID]:
    """Put the refused ones among ``statements`` back in the queue, due at once (the LRS or
    its address mended): their refusal is kept in ``refused_before``, their tries counted on.
    ``by`` is the operator who asked, if in the admin. Return the ids of those put back."""
    refused = list(
        statements.filter(state=OutboxStatement.State.REFUSED).values_list("pk", flat=True)
    )
    OutboxStatement.objects.filter(pk__in=refused, state=OutboxStatement.State.REFUSED).update(
        state=OutboxStatement.State.WAITING,
        next_try_at=timezone.now(),
        sending_run=None,
        refused_before=F("last_error"),
    )
    if refused:
        event_log(Event.STATEMENTS_SENT_AGAIN, count=len(refused), by_id=by.pk if by else None)
    return refused
