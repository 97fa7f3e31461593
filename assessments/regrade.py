"""Regrading past answers after an instructor fixes a question's key.

An attempt keeps the question as it was shown (``Response.shown``), key included, so a key
fixed later changes nothing by itself. A regrade is the instructor's decision that the fix
counts for the past too: each past answer is graded again, by the registry's ``grade`` (no
kind is special here), against the question's key as it is now, laid over the choices the
learner saw by choice id (``QuestionKind.rekeyed`` says how for each kind).

Always two steps: ``question_regrade_plan`` (the dry run) reads and writes nothing, and
lists every attempt whose score would change, the answers it leaves alone and why, and the
learners whose pass of the quiz would change; ``question_regrade_apply`` does it, in one
transaction per attempt, so one attempt that cannot be regraded stops none of the others.

What a regrade writes, per answer:

- its snapshot's key is replaced by the corrected one; what the learner saw (text, points,
  choices and their order) stays, and the key it replaces is kept in the snapshot under
  ``earlier_keys``, with when it was replaced;
- when the score changes, a ``GradeChange`` (``REGRADE``, who, why, the score before),
  then the attempt's result is worked out again by ``attempt_rescore``, the rule every
  grade follows; the caller's ``after_each`` then runs in the same transaction (progress
  issues what the new result earns);
- an attempt still open gets the corrected key only: it is graded by it when handed in.

Left alone: answers whose grade an instructor gave or overrode (their latest change is
``GRADED`` or ``OVERRIDE``: a person's grade stands), answers to the question when it was of
another kind, and written answers (an essay is graded by people, never regraded). Applying
a regrade twice changes nothing the second time: the key is the same by then.
"""

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from assessments.grading import EARLIER_KEYS, Grade, grade, is_graded, question_snapshot
from assessments.kinds import kind_for
from assessments.models import Attempt, GradeChange, Question, Response
from assessments.services import AWAITING, AttemptResult, attempt_rescore, attempt_result

logger = logging.getLogger(__name__)

# Grades a person gave: a regrade leaves them as they are.
BY_HAND = (GradeChange.Source.GRADED, GradeChange.Source.OVERRIDE)
ESSAY_REFUSED = (
    "Written answers are graded by people, never regraded: change a grade from the grading "
    "queue or the learner's page, with a reason."
)
REASON_NEEDED = gettext_lazy("Say what you corrected: learners read it beside their new score.")


@dataclass(frozen=True)
class AttemptChange:
    """An attempt whose score changes: its answer to the question, and its result, before and
    after. ``attempt`` is as it stood before, with its learner."""

    attempt: Attempt
    slot: int
    points: Decimal
    score_before: Decimal | None
    score_after: Decimal
    result_before: AttemptResult
    result_after: AttemptResult

    @property
    def pass_changes(self) -> bool:
        return self.result_before.passed != self.result_after.passed


@dataclass(frozen=True)
class LeftAlone:
    """An answer the regrade does not touch, and why, in words for the instructor."""

    attempt: Attempt
    slot: int
    why: str


@dataclass(frozen=True)
class PassChange:
    """A learner whose pass of the quiz changes: any of their attempts passed, before and
    after the regrade."""

    learner: object
    passes_before: bool
    passes_after: bool


@dataclass(frozen=True)
class Regrade:
    """A dry run (``applied`` false) or what an applied regrade did."""

    question: Question
    key_now: dict  # the question's snapshot as it is now: what answers are regraded against
    refused: str = ""  # why nothing of the question can be regraded
    changes: list[AttemptChange] = field(default_factory=list)
    left_alone: list[LeftAlone] = field(default_factory=list)
    # Answers that get the corrected key without a change of score (open attempts included).
    rekeyed: int = 0
    pass_changes: list[PassChange] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # attempts that could not be regraded
    # Answers a regrade cut short by its time (``seconds``) did not reach: applying again
    # carries on, the ones done being done.
    unfinished: int = 0
    applied: bool = False

    @property
    def no_longer_passing(self) -> list[PassChange]:
        return [change for change in self.pass_changes if not change.passes_after]

    @property
    def now_passing(self) -> list[PassChange]:
        return [change for change in self.pass_changes if change.passes_after]


def question_key_now(question: Question) -> dict:
    """The question as an attempt started now would show it, key included: what a regrade
    grades against. Tokens and order are drawn but unused: the learner's own are kept."""
    return question_snapshot(question, rng=random.Random(question.pk), shuffle_choices=False)


def question_regrade_refused(key_now: dict) -> str:
    """Why a question cannot be regraded at all, or ""."""
    return "" if is_graded(key_now) else ESSAY_REFUSED


@dataclass(frozen=True)
class _Decision:
    shown: dict | None = None  # the snapshot with the corrected key; None: nothing to do
    grade: Grade | None = None  # the new grade of a submitted answer
    left_alone: str = ""


def _decide(response: Response, key_now: dict) -> _Decision:
    """What a regrade does to one answer (annotated by ``_with_latest_change``), its attempt
    selected with it. Reads and writes nothing."""
    shown = response.shown if isinstance(response.shown, dict) else {}
    if shown.get("kind") != key_now["kind"]:
        return _Decision(
            left_alone=gettext(
                "Answered when the question was %(then)s, not %(now)s: override its grade "
                "if it must change."
            )
            % {"then": kind_for(shown).label.lower(), "now": kind_for(key_now).label.lower()}
        )
    if response.latest_source in BY_HAND:
        when = date_format(timezone.localtime(response.latest_at), "SHORT_DATE_FORMAT")
        if response.latest_source == GradeChange.Source.GRADED:
            why = gettext("Its grade was graded by hand on %(when)s: that grade stands.")
        else:
            why = gettext("Its grade was overridden by hand on %(when)s: that grade stands.")
        return _Decision(left_alone=why % {"when": when})
    rekeyed = kind_for(key_now).rekeyed(shown, key_now)
    if rekeyed is None:
        return _Decision()
    if not response.attempt.is_submitted:
        return _Decision(shown=rekeyed)
    return _Decision(shown=rekeyed, grade=grade(rekeyed, response.answer))


def _grade_changes(response: Response, new: Grade | None) -> bool:
    return new is not None and (new.score, new.is_correct) != (response.score, response.is_correct)


def _with_latest_change(responses):
    latest = GradeChange.objects.filter(response=OuterRef("pk")).order_by("-pk")
    return responses.annotate(
        latest_source=Subquery(latest.values("source")[:1]),
        latest_at=Subquery(latest.values("created_at")[:1]),
    )


def _result_after(attempt: Attempt, score_before: Decimal | None, score_after: Decimal):
    """The attempt's result once one answer scores ``score_after``, by ``attempt_result``."""
    if attempt.score is None:  # a written answer awaits its grade: still no result
        return AWAITING
    rest = attempt.score - (score_before or Decimal(0))
    return attempt_result(
        scores=[rest, score_after], max_score=attempt.max_score, pass_mark=attempt.pass_mark
    )


def _result_of(attempt: Attempt) -> AttemptResult:
    return AttemptResult(score=attempt.score, percent=attempt.percent, passed=attempt.passed)


def _responses_of(question: Question):
    return _with_latest_change(
        Response.objects.filter(question=question).select_related("attempt__learner")
    ).order_by(
        "attempt__learner__last_name",
        "attempt__learner__first_name",
        "attempt__learner__username",
        "attempt__number",
    )


def question_regrade_plan(*, question: Question) -> Regrade:
    """The dry run: what ``question_regrade_apply`` would do now. Reads only, in a fixed
    number of queries however many attempts there are (select ``lesson`` and ``quiz`` with
    the question)."""
    key_now = question_key_now(question)
    refused = question_regrade_refused(key_now)
    if refused:
        return Regrade(question=question, key_now=key_now, refused=refused)
    return _collected(
        question,
        key_now,
        [_foreseen(response, key_now) for response in _responses_of(question)],
    )


def _foreseen(response: Response, key_now: dict):
    """What regrading this answer would do: as ``_regrade_answer``, writing nothing."""
    decision = _decide(response, key_now)
    attempt = response.attempt
    if decision.left_alone:
        return LeftAlone(attempt=attempt, slot=response.slot, why=decision.left_alone)
    if not _grade_changes(response, decision.grade):
        return decision.shown is not None
    return AttemptChange(
        attempt=attempt,
        slot=response.slot,
        points=Decimal(response.shown.get("points") or 0),
        score_before=response.score,
        score_after=decision.grade.score,
        result_before=_result_of(attempt),
        result_after=_result_after(attempt, response.score, decision.grade.score),
    )


def _collected(question, key_now, outcomes, *, failed=(), unfinished=0, applied=False) -> Regrade:
    """A regrade from what it did (or would do) to each answer: an ``AttemptChange``, a
    ``LeftAlone``, True for a key corrected with the same score, False for nothing."""
    changes = [outcome for outcome in outcomes if isinstance(outcome, AttemptChange)]
    return Regrade(
        question=question,
        key_now=key_now,
        changes=changes,
        left_alone=[outcome for outcome in outcomes if isinstance(outcome, LeftAlone)],
        rekeyed=sum(1 for outcome in outcomes if outcome is True),
        pass_changes=_pass_changes(question, changes),
        failed=list(failed),
        unfinished=unfinished,
        applied=applied,
    )


def question_regrade_apply(
    *,
    question: Question,
    by,
    reason: str,
    now: datetime | None = None,
    after_each: Callable[[Attempt], None] | None = None,
    seconds: float | None = None,
) -> Regrade:
    """Regrade every past answer to ``question`` against its key as it is now, each attempt
    in a transaction of its own; ``after_each`` gets each rescored attempt, in that
    transaction. ``by`` is the instructor (None for a command run by the system); the
    ``reason`` is kept with each change and shown to its learner.

    Raises ``ValidationError`` (by field) without a reason, or for a question whose answers
    are graded by people; nothing is written then. An attempt that fails is logged, left as
    it was, and named in ``failed``; the others are regraded regardless. Given ``seconds``
    (a web request must answer), no attempt is begun once they have passed, at least one
    is done, and ``unfinished`` says how many answers are left for the next run.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_NEEDED})
    key_now = question_key_now(question)
    if refused := question_regrade_refused(key_now):
        raise ValidationError(refused)
    # What needs doing, read as the dry run reads it: a run cut short by its time and run
    # again starts where it stopped, not at the answers it has already regraded.
    outcomes, failed, pending = [], [], []
    for response in _responses_of(question):
        decision = _decide(response, key_now)
        if decision.left_alone:
            outcomes.append(
                LeftAlone(attempt=response.attempt, slot=response.slot, why=decision.left_alone)
            )
        elif decision.shown is not None:
            pending.append((response.pk, response.attempt_id))
    stop_at = None if seconds is None else time.monotonic() + seconds
    done = 0
    for index, (response_id, attempt_id) in enumerate(pending):
        if done and stop_at is not None and time.monotonic() >= stop_at:
            return _collected(
                question, key_now, outcomes, failed=failed, unfinished=len(pending) - index,
                applied=True,
            )  # fmt: skip
        try:
            with transaction.atomic():
                # Decided again under the attempt's lock: it may have changed meanwhile.
                outcome = _regrade_answer(
                    response_id, attempt_id, key_now, by=by, reason=reason, now=now
                )
                if isinstance(outcome, AttemptChange) and after_each is not None:
                    after_each(outcome.rescored)
        except Exception:
            # Anything at all: one learner's attempt must not stop everyone else's regrade.
            logger.exception("Could not regrade attempt %s", attempt_id)
            failed.append(attempt_id)
        else:
            outcomes.append(outcome)
            done += 1
    return _collected(question, key_now, outcomes, failed=failed, applied=True)


@dataclass(frozen=True)
class _AppliedChange(AttemptChange):
    rescored: Attempt | None = None  # the attempt as saved after the change


def _regrade_answer(response_id: int, attempt_id: int, key_now: dict, *, by, reason, now):
    """Regrade one answer under its attempt's lock (a submission, a grade or another regrade
    of the attempt waits, and this sees what they wrote). Returns the ``AttemptChange``, a
    ``LeftAlone``, True when only the key was corrected, or False when nothing changed."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("learner")
        .get(pk=attempt_id)
    )
    response = _with_latest_change(Response.objects.filter(pk=response_id)).get()
    response.attempt = attempt
    decision = _decide(response, key_now)
    if decision.left_alone:
        return LeftAlone(attempt=attempt, slot=response.slot, why=decision.left_alone)
    if decision.shown is None:
        return False
    shown = _keeping_earlier_key(decision.shown, replaced=response.shown, now=now)
    if not _grade_changes(response, decision.grade):
        Response.objects.filter(pk=response.pk).update(shown=shown)
        return True
    new = decision.grade
    GradeChange.objects.create(
        response=response,
        source=GradeChange.Source.REGRADE,
        score_before=response.score,
        score_after=new.score,
        is_correct_before=response.is_correct,
        is_correct_after=new.is_correct,
        reason=reason,
        by=by,
        created_at=now,
    )
    score_before = response.score
    response.shown, response.score, response.is_correct = shown, new.score, new.is_correct
    response.save(update_fields=["shown", "score", "is_correct"])
    rescored = attempt_rescore(attempt=attempt)
    return _AppliedChange(
        attempt=attempt,
        slot=response.slot,
        points=Decimal(shown.get("points") or 0),
        score_before=score_before,
        score_after=new.score,
        result_before=_result_of(attempt),
        result_after=_result_of(rescored),
        rescored=rescored,
    )


def _keeping_earlier_key(shown: dict, *, replaced: dict, now: datetime) -> dict:
    earlier = {
        "replaced_at": now.isoformat(),
        "choices": replaced.get("choices", []),
        "explanation": replaced.get("explanation", ""),
    }
    return {**shown, EARLIER_KEYS: [*replaced.get(EARLIER_KEYS, []), earlier]}


def _pass_changes(question: Question, changes: list[AttemptChange]) -> list[PassChange]:
    """The learners among ``changes`` whose pass of the quiz changes: a quiz is passed once
    any used attempt passed, so each learner's other attempts count too. One query."""
    if not changes:
        return []
    changed = {change.attempt.pk: change for change in changes}
    learners = {change.attempt.learner_id: change.attempt.learner for change in changes}
    before, after = defaultdict(bool), defaultdict(bool)
    attempts = Attempt.objects.used().filter(quiz_id=question.quiz_id, learner__in=learners)
    for pk, learner_id, passed in attempts.values_list("pk", "learner_id", "passed"):
        change = changed.get(pk)
        before[learner_id] |= bool(change.result_before.passed if change else passed)
        after[learner_id] |= bool(change.result_after.passed if change else passed)
    return [
        PassChange(learner=learner, passes_before=before[pk], passes_after=after[pk])
        for pk, learner in learners.items()
        if before[pk] != after[pk]
    ]
