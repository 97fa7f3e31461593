"""Grading of quiz answers against the question as the learner saw it.

Everything here is a pure function of a *snapshot* (the dict stored in ``Response.shown``
when the attempt started) and the learner's answer, so an attempt grades the same today and
in five years, whatever happens to the live ``Question`` rows. Scores follow Moodle's
semantics, so question banks moved in as GIFT grade as they did there.

These are the entry points the quiz engine calls; what differs between kinds of question
(single choice, matching, essay…) is each kind's own, in ``assessments/kinds/``. Stored
answer formats, by kind:

=================  ==============================================
single, true_false  a choice id (int)
multiple            a list of choice ids
short               the text typed
numerical           the number as typed (string)
matching            ``{"<left choice id>": "<right side text>"}``
essay               the text typed (never graded)
=================  ==============================================
"""

from decimal import Decimal
from random import Random
from typing import Any

from django.db.models import Q

from assessments.kinds import KINDS, kind_for
from assessments.kinds.base import (
    ANSWER_KEYS,
    CENT,
    ESSAY_MAX_LENGTH,
    HUNDRED,
    SHORT_ANSWER_MAX_LENGTH,
    UNKNOWN_OPTION,
    Grade,
    InvalidAnswer,
    choice_id,
    choice_token,
    draw_tokens,
    is_blank,
    listing_order,
    plain,
    to_decimal,
    wrong,
)
from assessments.limits import WEIGHT_PLACES
from assessments.models import ANSWERED_FOR_NO_POINTS, Question

# Re-exported: the quiz engine, migrations and tests import these from here.
__all__ = [
    "CENT",
    "ESSAY_MAX_LENGTH",
    "HUNDRED",
    "SHORT_ANSWER_MAX_LENGTH",
    "UNKNOWN_OPTION",
    "Grade",
    "InvalidAnswer",
    "answer_from_public",
    "answer_to_public",
    "awaits_grader",
    "draw_tokens",
    "grade",
    "is_graded",
    "is_read_and_commented",
    "listing_order",
    "question_snapshot",
    "read_and_commented_sql",
    "shown_for_learner",
    "validate_answer",
]

# The most points a question can be worth (the column's bound); a snapshot claiming more is
# not one this application wrote, and scores nothing rather than a score no column holds.
_points = Question._meta.get_field("points")
POINTS_LIMIT = Decimal(10) ** (_points.max_digits - _points.decimal_places)
WEIGHT_QUANTUM = Decimal(1).scaleb(-WEIGHT_PLACES)


# --- Snapshots ---------------------------------------------------------------

# Where a snapshot keeps the keys a regrade replaced (``assessments.regrade``), oldest first.
EARLIER_KEYS = "earlier_keys"


def question_snapshot(
    question: Question, *, rng: Random, shuffle_choices: bool, choices: list | None = None
) -> dict:
    """The question, its choices and its key, frozen as they are shown in one attempt.

    Choices are listed as the kind orders them (shuffled or sorted, never in the order they
    were written, where it matters), each named by a token drawn for this attempt.

    ``question`` should come with ``prefetch_related("choices")`` and
    ``select_related("lesson")``, or this costs two queries per question. ``choices``, when
    given, stand for its saved ones (a question being edited, not saved yet).
    """
    kind = kind_for(question.kind)
    if choices is None:
        choices = list(question.choices.all())
    choices = kind.order_choices(choices, rng=rng, shuffle=shuffle_choices)
    lesson = question.lesson
    snapshot = {
        "question_id": question.pk,
        "kind": str(question.kind),
        "title": question.title,
        "text": question.text,
        "text_format": question.text_format,
        "points": str(Decimal(question.points).quantize(CENT)),
        "explanation": question.explanation,
        "explanation_format": question.explanation_format,
        # For the grader, as it stood when the learner answered; never sent to the learner.
        "rubric": question.rubric,
        "lesson": (
            {"slug": lesson.slug, "title": lesson.title, "passage": question.passage}
            if lesson is not None
            else None
        ),
        "choices": [
            {
                "id": choice.pk,
                "token": token,
                "text": choice.text,
                "text_format": choice.text_format,
                "weight": format(Decimal(choice.weight).quantize(WEIGHT_QUANTUM), "f"),
                "feedback": choice.feedback,
                "feedback_format": choice.feedback_format,
                "match": choice.match_text,
                "value": plain(choice.numeric_value),
                "tolerance": plain(choice.tolerance),
            }
            for choice, token in zip(choices, draw_tokens(len(choices), rng), strict=True)
        ],
    }
    return snapshot | kind.snapshot_extras(snapshot, rng=rng, shuffle=shuffle_choices)


def shown_for_learner(shown: dict) -> dict:
    """The snapshot without weights, feedback, matches, explanation, rubric and lesson reference,
    each option named by its token instead of its id.

    What a page may send to the browser while the attempt is open.
    """
    # The lesson and passage that answer the question come with the feedback, not before;
    # so does the module (or category) it was drawn from, which points at them; and the keys
    # a regrade replaced (``EARLIER_KEYS``) are keys.
    public = {
        key: value
        for key, value in shown.items()
        if key
        not in (
            "explanation",
            "explanation_format",
            "rubric",
            "lesson",
            "option_tokens",
            "drawn_from",
            EARLIER_KEYS,
        )
    }
    public["choices"] = [
        {
            **{
                key: value
                for key, value in choice.items()
                if key not in ANSWER_KEYS and key != "token"
            },
            "id": choice_token(choice),
        }
        for choice in shown.get("choices", [])
        if isinstance(choice, dict)
    ]
    return kind_for(shown).public_view(shown, public)


# --- Public answers: what the page posts and shows, in tokens -------------------


def answer_from_public(shown: dict, answer: Any) -> Any:
    """An answer posted in tokens, in the stored format (choice ids, right side texts).

    A token the question did not show becomes ``UNKNOWN_OPTION``, which validation refuses:
    a choice id posted in place of a token is refused like any other stranger.
    """
    return kind_for(shown).answer_from_public(shown, answer)


def answer_to_public(shown: dict, answer: Any) -> Any:
    """A stored answer in the tokens its page shows: what the page and downloads carry."""
    return kind_for(shown).answer_to_public(shown, answer)


# --- Grading -----------------------------------------------------------------


def grade(shown: dict, answer: Any) -> Grade:
    """Grade one answer from the snapshot alone.

    Never raises, whatever the snapshot and the answer hold (they are years-old JSON): what
    cannot be read scores 0, and the score always fits the column it is stored in.
    """
    if not isinstance(shown, dict) or is_blank(answer):
        return wrong()
    kind = kind_for(shown)
    if not kind.graded_automatically:
        return Grade(score=Decimal("0.00"), is_correct=None)
    points = to_decimal(shown.get("points"))
    if not Decimal(0) <= points < POINTS_LIMIT:
        return wrong()
    choices = {}
    listed = shown.get("choices")
    for choice in listed if isinstance(listed, list) else []:
        if isinstance(choice, dict) and choice_id(choice.get("id")) is not None:
            choices[choice_id(choice["id"])] = choice
    return kind.grade(points=points, choices=choices, answer=answer)


def choices_chosen(shown: dict, answer: Any) -> set[int]:
    """The ids of the question's answers (``Choice`` rows) that a stored answer leans on: the
    options it ticked, and any without which it would be graded otherwise (a pair matched,
    an accepted text or value typed, the feedback it was given). Deleting one would change
    that learner's grade at the next regrade (``rekeyed`` gives a gone answer no key) and
    take it out of the question's statistics."""
    if not isinstance(shown, dict) or is_blank(answer):
        return set()
    chosen = set()
    if kind_for(shown).answer_is_choice_ids:
        picked = answer if isinstance(answer, list) else [answer]
        chosen = {number for number in map(choice_id, picked) if number is not None}
    listed = [choice for choice in shown.get("choices") or [] if isinstance(choice, dict)]
    graded = grade(shown, answer)
    for choice in listed:
        without = {**shown, "choices": [other for other in listed if other is not choice]}
        if grade(without, answer) != graded and choice_id(choice.get("id")) is not None:
            chosen.add(choice_id(choice["id"]))
    return chosen


def is_graded(shown: dict) -> bool:
    """Whether the question is graded on submission (an essay waits for a human)."""
    return not isinstance(shown, dict) or kind_for(shown).graded_automatically


def awaits_grader(shown: dict, answer: Any) -> bool:
    """Whether a person has to grade this answer: a written one (an essay) worth points, not
    blank. A blank answer scores nothing, of any kind: there is nothing to read. An essay
    worth no points (a reflection) has no grade to wait for (``is_read_and_commented``)."""
    return not is_graded(shown) and not is_blank(answer) and to_decimal(shown.get("points")) > 0


def is_read_and_commented(shown: dict, answer: Any) -> bool:
    """Whether a person is to read this answer and comment on it, with no grade to give: a
    written one worth no points (a reflection), not blank. Its attempt's result is given on
    submission; the instructor's comment is formative feedback and changes no score.
    ``read_and_commented_sql`` is its twin for the grading queue."""
    return not is_graded(shown) and not is_blank(answer) and to_decimal(shown.get("points")) == 0


def read_and_commented_sql() -> Q:
    """``is_read_and_commented`` as a filter on responses. The kinds are read when asked, as a
    kind may be registered later. A stored answer is never blank text: saving keeps a blank
    answer as null (``validate_answer``)."""
    written = [name for name, kind in KINDS.items() if not kind.graded_automatically]
    return ANSWERED_FOR_NO_POINTS & Q(shown_kind__in=written)


# --- Validation when saving -------------------------------------------------


def validate_answer(shown: dict, answer: Any) -> Any:
    """The answer cleaned for storage, None for "no answer", or InvalidAnswer.

    Saving does not grade; this only makes sure what is stored is something
    the question could have received from its own form.
    """
    kind = kind_for(shown.get("kind"))
    if is_blank(answer):
        return None
    return kind.validate(shown, answer)
