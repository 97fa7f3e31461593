"""Grades given by people: an instructor grades a written answer or overrides any grade.

Every change of a response's grade is written here (or by a regrade, which records its own
``GradeChange`` the same way): the grade before and after, who, when and why go into the
history, and the attempt's result is worked out again by ``attempt_rescore``, the rule
submission uses. What a new result earns (module, course, certificate) follows in
``progress.services.quiz_response_grade``.

A written answer worth no points (a reflection) has no grade to wait for: its attempt's result
is given on submission. The instructor reads it and comments (``awaits_comment``): the first
comment is a ``GRADED`` change from 0 to 0 carrying the comment, which changes no result; a
later change of the comment is an ``OVERRIDE`` with a reason, as for any grade.

Two instructors may open the same answer at once. The page carries the grade's version (the
id of its latest change, ``assessments.selectors.grade_version``); a save made against an
older version is refused with ``GradeConflict`` and changes nothing, so no grade is
overwritten unseen.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from assessments.forms import points_label, score_label
from assessments.grading import CENT, is_read_and_commented, to_decimal
from assessments.models import Attempt, GradeChange, Response
from assessments.selectors import grade_version
from assessments.services import attempt_rescore

Source = GradeChange.Source


class GradeConflict(Exception):
    """The grade changed since the page showing it was loaded; the message says how."""


def response_points(response: Response) -> Decimal:
    """The most the response can score: its question's points as the learner saw them."""
    return to_decimal(response.shown.get("points"))


def awaits_comment(response: Response, *, version: int) -> bool:
    """Whether ``response`` waits for an instructor to read it and comment: a written answer
    worth no points, not blank, graded on submission (0 of 0) and changed by no one since
    (its grade ``version`` is 0). The grading queue lists it as "to read"; ``response_grade``
    takes its first comment as ``GRADED``."""
    return (
        version == 0
        and response.score is not None
        and is_read_and_commented(response.shown, response.answer)
    )


def grade_problems(
    *, response: Response, score, source: str, reason: str, feedback: str = ""
) -> dict[str, str]:
    """What is wrong with this grade, by field, in words for the instructor; empty if nothing.
    ``response_grade`` asks it; a form may ask it first to show the errors beside the fields."""
    errors = {}
    points = response_points(response)
    try:
        score = Decimal(score)
    except (InvalidOperation, TypeError, ValueError):
        errors["score"] = gettext("Give the points as a number, such as 2 or 1.5.")
    else:
        if not score.is_finite() or not Decimal(0) <= score <= points:
            errors["score"] = gettext("Give between 0 and %(points)s.") % {
                "points": points_label(points)
            }
        elif score != score.quantize(CENT):
            errors["score"] = gettext("Give the points with at most two decimals.")
    if source == Source.OVERRIDE and not (reason or "").strip():
        errors["reason"] = gettext("Say why you change this grade: the learner reads it.")
    if source == Source.GRADED and points == 0 and not (feedback or "").strip():
        # With no points to give, the comment is all a first grade of this answer can be.
        errors["feedback"] = gettext(
            "Write your comment: it is what the learner gets for this answer."
        )
    if source not in Source.values:
        errors["source"] = gettext("Unknown kind of grade change.")
    return errors


def response_grade(
    *,
    response: Response,
    score,
    by,
    source: str,
    expected_version: int,
    feedback: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> GradeChange:
    """Give ``response`` the grade ``score`` (0 … its points, two decimals at most) and record
    the change with the grade before it; then work out its attempt's result again.

    ``source`` says what this is: ``GRADED``, the first grade of a written answer awaiting
    one, or the first comment (``feedback``, required) on one worth no points; ``OVERRIDE``, a change of a grade given before (automatic or not), with a reason;
    ``REGRADE``, a regrade after a key fix. ``expected_version`` is the ``grade_version`` the
    caller's page showed.

    Raises ``ValidationError`` (by field) for a grade that cannot be given and
    ``GradeConflict`` when the grade changed since the page was loaded; either way nothing
    is written. The returned change's ``response.attempt`` is the attempt rescored, with
    its quiz, course and learner.
    """
    now = now or timezone.now()
    reason, feedback = (reason or "").strip(), (feedback or "").strip()
    errors = grade_problems(
        response=response, score=score, source=source, reason=reason, feedback=feedback
    )
    if errors:
        raise ValidationError(errors)
    # "-0" is a person's zero: kept as 0, never as a signed zero that pages would write "-0".
    # (Any other negative score was refused above.)
    score = Decimal(score).quantize(CENT).copy_abs()
    with transaction.atomic():
        # Every grade of an attempt queues on its row: two saves of one response, or of two
        # responses of one attempt, never work its result out from half of the other's.
        attempt = Attempt.objects.select_for_update().get(pk=response.attempt_id)
        current = Response.objects.get(pk=response.pk)
        if not attempt.is_submitted:
            raise ValidationError(
                gettext("This attempt is still open: it is graded once submitted.")
            )
        version = grade_version(current)
        grade_version_check(current, version=version, expected=expected_version)
        if (
            source == Source.GRADED
            and current.score is not None
            and not awaits_comment(current, version=version)
        ):
            raise ValidationError(
                gettext(
                    "This answer is graded already: override the grade, with a reason, "
                    "to change it."
                )
            )
        change = GradeChange.objects.create(
            response=current,
            source=source,
            score_before=current.score,
            score_after=score,
            is_correct_before=current.is_correct,
            is_correct_after=score == response_points(current),
            reason=reason,
            feedback=feedback,
            by=by,
            created_at=now,
        )
        current.score, current.is_correct = change.score_after, change.is_correct_after
        current.save(update_fields=["score", "is_correct"])
        current.attempt = attempt_rescore(attempt=attempt)
    change.response = current
    return change


def grade_version_check(response: Response, *, version: int, expected) -> None:
    """Raise ``GradeConflict``, saying who changed the grade and to what, unless the grade
    is still at the version the page showed (``expected``). ``response_grade`` checks under
    the attempt's lock; a page may check first, before it reads the rest of its form."""
    if str(version) != str(expected):
        raise GradeConflict(_conflict_message(response, version))


def _conflict_message(response: Response, version: int) -> str:
    latest = GradeChange.objects.select_related("by").filter(pk=version).first()
    if latest is None:
        return gettext(
            "This grade is not the one your page showed. Nothing was saved: reload the page."
        )
    who = gettext("A regrade")
    if latest.by is not None:
        who = latest.by.get_full_name() or latest.by.get_username()
    when = dateformat.format(timezone.localtime(latest.created_at), "d M Y, H:i")
    if response_points(response) == 0:
        return gettext(
            "%(who)s commented on this answer on %(when)s, after you opened this page. "
            "Nothing was saved: read their comment below, then change it if you must."
        ) % {"who": who, "when": when}
    return gettext(
        "%(who)s gave this answer %(score)s on %(when)s, after you opened this page. "
        "Nothing was saved: read their grade below, then change it if you must."
    ) % {
        "who": who,
        "when": when,
        "score": score_label(latest.score_after, response_points(response)),
    }
