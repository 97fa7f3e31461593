"""Quiz answers as HTML form fields, and back.

The attempt page renders each question from ``shown_for_learner`` (never
the full snapshot), names its fields after the question's slot, and reads a
POST back into the answer formats of ``assessments.grading``. Parsing here
only reshapes what was typed or ticked; whether it is an acceptable answer
is ``grading.validate_answer``'s call, made by the saving service.

Options are named by the tokens of their attempt (``grading.shown_for_learner``), never by
their ids: the values on the page say nothing about the key or the file's order, and a POST
is mapped back to choices here (``answer_from_public``).

Field names: ``q<slot>`` for every kind but matching, which has one
``q<slot>-<left token>`` select per item. Beside them, ``shown-q<slot>``
carries a fingerprint of the answer the page showed as saved, so that a POST
saves only what the learner changed on that page (see ``AttemptAnswers``).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, ngettext

from assessments.grading import (
    InvalidAnswer,
    answer_from_public,
    answer_to_public,
    shown_for_learner,
    validate_answer,
)
from assessments.kinds import kind_for
from assessments.kinds.base import Fields, MatchItem, Option, field_name
from assessments.kinds.matching import left_items
from assessments.models import Response
from assessments.text_formats import question_text_html

# Re-exported: pages and tests build and read fields through this module.
__all__ = ["MatchItem", "Option", "field_name", "left_items"]

# Posted by the attempt form alongside the answers. A POST without it (the
# "Submit anyway" confirmation) carries no answers, and must not be read as
# "every question left blank".
ANSWERS_MARKER = "answers"


def local_number(number: Decimal | str | int) -> str:
    """``plain`` in the reader's number format: 0.5 reads "0,5" in French."""
    return formats.number_format(Decimal(number).normalize())


def score_label(score: Decimal | str | int, points: Decimal | str | int) -> str:
    """ "1.5 of 2 points", in the reader's language."""
    return gettext("%(score)s of %(points)s") % {
        "score": local_number(score),
        "points": points_label(points),
    }


def points_label(points: Decimal | str | int) -> str:
    """2 -> "2 points", in the reader's language and number format (0,5 point in French)."""
    number = local_number(points)
    count = 1 if Decimal(points) == 1 else 2
    return ngettext("%(points)s point", "%(points)s points", count) % {"points": number}


def shown_field_name(slot: int) -> str:
    return f"shown-{field_name(slot)}"


def answer_fingerprint(shown: dict, answer: Any) -> str:
    """A short digest of a saved answer, for the page to send back: the learner's own answer in
    the page's tokens, never anything of the key or of choice ids."""
    public = answer_to_public(shown, answer)
    return hashlib.sha256(json.dumps(public, sort_keys=True).encode()).hexdigest()[:16]


def answer_from_post(shown: dict, data: Mapping, slot: int) -> Any:
    """The answer to question ``slot`` as posted, in its grading format, unvalidated.

    A question whose fields are missing from ``data`` reads as unanswered:
    that is how browsers post an unticked set of checkboxes.
    """
    posted = kind_for(shown).posted_answer(shown, data, slot)
    return answer_from_public(shown, posted)


def is_unanswered(shown: dict, answer: Any) -> bool:
    try:
        return validate_answer(shown, answer) is None
    except InvalidAnswer:
        return False  # something was given, even if it cannot be saved as it is


def answer_changed(shown: dict, saved: Any, posted: Any) -> bool:
    """Whether saving ``posted`` would change the saved answer; an invalid one counts as a change,
    so that saving it reports the problem."""
    try:
        return validate_answer(shown, posted) != saved
    except InvalidAnswer:
        return True


# --- Fields for the template --------------------------------------------------


@dataclass(frozen=True)
class QuestionFieldset:
    """One question of an attempt as its fieldset shows it: built from the public snapshot only.

    Not a Django form (nor the admin's ``QuestionForm``, which edits a question): what the
    question's partial template reads to draw its fields; ``AttemptAnswers`` reads them back."""

    slot: int
    kind: str
    text: str
    text_html: str  # the text in its format, as the page shows it (text_formats)
    points: str
    fields: Fields = field(default_factory=Fields)
    answered: bool = False
    error: str = ""
    shown_fingerprint: str = ""

    @property
    def name(self) -> str:
        return field_name(self.slot)

    @property
    def shown_name(self) -> str:
        return shown_field_name(self.slot)

    @property
    def input_id(self) -> str:
        return f"{self.name}-answer"

    # What the kind's template reads.

    @property
    def options(self) -> list[Option]:
        return self.fields.options

    @property
    def items(self) -> list[MatchItem]:
        return self.fields.items

    @property
    def value(self) -> str:
        return self.fields.value

    @property
    def field_names(self) -> list[str]:
        """What this question posts: the autosave sends these and nothing else."""
        return kind_for(self.kind).field_names(self.slot, self.fields)

    @property
    def template(self) -> str:
        return kind_for(self.kind).template

    @property
    def hint(self) -> str:
        return kind_for(self.kind).hint

    @property
    def max_length(self) -> int:
        return kind_for(self.kind).max_length

    @property
    def input_type(self) -> str:
        return kind_for(self.kind).input_type

    @property
    def points_label(self) -> str:
        return points_label(self.points)


def question_fieldset(
    shown: dict, *, slot: int, answer: Any, error: str = "", saved: Any = None
) -> QuestionFieldset:
    """The fields of one question, pre-filled with ``answer`` (saved, or as just posted);
    ``saved`` is what is stored for it, as far as this page knows."""
    public = shown_for_learner(shown)
    kind = public.get("kind", "")
    common = {
        "slot": slot,
        "kind": kind,
        "text": public.get("text", ""),
        "text_html": question_text_html(public),
        "points": public.get("points") or "0",
        "answered": not is_unanswered(shown, answer),
        "error": error,
        "shown_fingerprint": answer_fingerprint(shown, saved),
    }
    fields = kind_for(shown).fields(public, slot=slot, answer=answer_to_public(shown, answer))
    return QuestionFieldset(**common, fields=fields)


class AttemptAnswers:
    """All the answers of an attempt: the page's fields, and what a POST of them changes.

    Not a Django form: each kind of question reads its own fields from the POST
    (``answer_from_post``) and the saving service validates each answer, so this only
    keeps track of which answers the page showed, which the learner changed, and the
    errors to show beside their questions.

    Unbound (``data`` None, or a POST without the answers marker) it shows the
    saved answers; bound it shows what the learner changed and the saved answers
    elsewhere, so nothing typed is lost when an answer comes back with an error.

    A page may be older than the saved answers: another tab of the learner's
    may have saved some since it was loaded. So a posted answer is taken only
    where it differs from what that page showed (its ``shown-q<slot>``
    fingerprint); an answer the learner left alone there keeps the newer save.
    """

    def __init__(self, responses: Iterable[Response], data: Mapping | None = None):
        self.responses = list(responses)
        self.is_bound = data is not None and ANSWERS_MARKER in data
        self.errors: dict[int, str] = {}
        self.saved: dict[int, Any] = {
            response.slot: response.answer for response in self.responses
        }
        self.answers: dict[int, Any] = dict(self.saved)
        self.edited: set[int] = set()
        if self.is_bound:
            for response in self.responses:
                posted = answer_from_post(response.shown, data, response.slot)
                if _differs_from_page(
                    response.shown, posted, data.get(shown_field_name(response.slot))
                ):
                    self.edited.add(response.slot)
                    self.answers[response.slot] = posted

    def changed(self) -> dict[int, Any]:
        """Answers the learner changed that differ from the saved ones, by slot: only these need
        saving."""
        return {
            response.slot: self.answers[response.slot]
            for response in self.responses
            if response.slot in self.edited
            and answer_changed(response.shown, response.answer, self.answers[response.slot])
        }

    def mark_saved(self, slot: int, answer: Any) -> None:
        """Record a save, so that the page shown again sends back what is now saved."""
        self.saved[slot] = answer

    def add_error(self, slot: int, message: str) -> None:
        self.errors[slot] = message

    def unanswered(self) -> list[QuestionFieldset]:
        return [question for question in self.questions() if not question.answered]

    def questions(self) -> list[QuestionFieldset]:
        return [
            question_fieldset(
                response.shown,
                slot=response.slot,
                answer=self.answers[response.slot],
                error=self.errors.get(response.slot, ""),
                saved=self.saved[response.slot],
            )
            for response in self.responses
        ]


def _differs_from_page(shown: dict, posted: Any, fingerprint: str | None) -> bool:
    """Whether ``posted`` is not the answer its page showed as saved; a POST that does not say
    what its page showed counts every answer as the learner's."""
    if fingerprint is None:
        return True
    try:
        return answer_fingerprint(shown, validate_answer(shown, posted)) != fingerprint
    except InvalidAnswer:
        return True


def answer_as_posted(shown: dict, slot: int, answer: Any) -> list[tuple[str, str]]:
    """The fields a browser posts for a stored ``answer``, options named by their tokens: the
    inverse of ``answer_from_post``, for scripts that drive the pages (the load bench)."""
    public = answer_to_public(shown, answer)
    if public is None:  # left blank: nothing posted
        return []
    fields = kind_for(shown).fields_posted(slot, public)
    # A field posted more than once (ticked checkboxes) is one pair per value.
    return [
        (name, item)
        for name, value in fields.items()
        for item in (value if isinstance(value, list) else [value])
    ]
