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
saves only what the learner changed on that page (see ``AttemptForm``).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assessments.grading import (
    ESSAY_MAX_LENGTH,
    SHORT_ANSWER_MAX_LENGTH,
    InvalidAnswer,
    answer_from_public,
    answer_to_public,
    shown_for_learner,
    validate_answer,
)
from assessments.models import Question, Response

Kind = Question.Kind

# Posted by the attempt form alongside the answers. A POST without it (the
# "Submit anyway" confirmation) carries no answers, and must not be read as
# "every question left blank".
ANSWERS_MARKER = "answers"

HINTS = {
    Kind.MULTIPLE: "Choose all that apply.",
    Kind.NUMERICAL: "Type a number, for example 3.14 or 3,14.",
    Kind.MATCHING: "Choose the matching answer for each item.",
    Kind.ESSAY: "Your instructor reads this answer; it does not count towards the score.",
}


def plain_number(number: Decimal | str | int) -> str:
    """2.00 -> "2", 0.50 -> "0.5": points as a person writes them."""
    return f"{Decimal(number).normalize():f}"


def points_label(points: Decimal | str | int) -> str:
    return f"{plain_number(points)} point" + ("" if Decimal(points) == 1 else "s")


def field_name(slot: int, left_id: int | str | None = None) -> str:
    return f"q{slot}" if left_id is None else f"q{slot}-{left_id}"


def shown_field_name(slot: int) -> str:
    return f"shown-{field_name(slot)}"


def answer_fingerprint(shown: dict, answer: Any) -> str:
    """A short digest of a saved answer, for the page to send back: the learner's own answer in
    the page's tokens, never anything of the key or of choice ids."""
    public = answer_to_public(shown, answer)
    return hashlib.sha256(json.dumps(public, sort_keys=True).encode()).hexdigest()[:16]


def left_items(shown: dict) -> list[dict]:
    # Matching choices without a left side are extra wrong answers, not items.
    return [choice for choice in shown.get("choices", []) if choice.get("text")]


def answer_from_post(shown: dict, data: Mapping, slot: int) -> Any:
    """The answer to question ``slot`` as posted, in its grading format, unvalidated.

    A question whose fields are missing from ``data`` reads as unanswered:
    that is how browsers post an unticked set of checkboxes.
    """
    kind = shown.get("kind")
    name = field_name(slot)
    if kind == Kind.MULTIPLE:
        posted = data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])
    elif kind == Kind.MATCHING:
        posted = {
            left["id"]: data.get(field_name(slot, left["id"]), "")
            for left in left_items(shown_for_learner(shown))
        }
    elif kind in (Kind.SINGLE, Kind.TRUE_FALSE):
        posted = data.get(name) or None
    else:
        posted = data.get(name, "")
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
class Option:
    id: str
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class MatchItem:
    id: str
    name: str
    label: str
    options: list[Option]


@dataclass(frozen=True)
class QuestionForm:
    """One question of an attempt as its fieldset shows it: built from the public snapshot only."""

    slot: int
    kind: str
    text: str
    points: str
    options: list[Option] = field(default_factory=list)
    items: list[MatchItem] = field(default_factory=list)
    value: str = ""
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

    @property
    def field_names(self) -> list[str]:
        """What this question posts: the autosave sends these and nothing else."""
        return [item.name for item in self.items] if self.kind == Kind.MATCHING else [self.name]

    @property
    def hint(self) -> str:
        return HINTS.get(self.kind, "")

    @property
    def max_length(self) -> int:
        return ESSAY_MAX_LENGTH if self.kind == Kind.ESSAY else SHORT_ANSWER_MAX_LENGTH

    @property
    def points_label(self) -> str:
        return points_label(self.points)


def question_form(
    shown: dict, *, slot: int, answer: Any, error: str = "", saved: Any = None
) -> QuestionForm:
    """The fields of one question, pre-filled with ``answer`` (saved, or as just posted);
    ``saved`` is what is stored for it, as far as this page knows."""
    public = shown_for_learner(shown)
    kind = public.get("kind", "")
    common = {
        "slot": slot,
        "kind": kind,
        "text": public.get("text", ""),
        "points": public.get("points") or "0",
        "answered": not is_unanswered(shown, answer),
        "error": error,
        "shown_fingerprint": answer_fingerprint(shown, saved),
    }
    answer = answer_to_public(shown, answer)
    if kind in (Kind.SINGLE, Kind.TRUE_FALSE, Kind.MULTIPLE):
        if isinstance(answer, list):
            chosen = {str(item) for item in answer}
        else:
            chosen = set() if answer is None else {str(answer)}
        options = [
            Option(
                id=f"{field_name(slot)}-choice-{choice['id']}",
                value=str(choice["id"]),
                label=choice.get("text", ""),
                selected=str(choice["id"]) in chosen,
            )
            for choice in public["choices"]
        ]
        return QuestionForm(**common, options=options)
    if kind == Kind.MATCHING:
        picked = answer if isinstance(answer, dict) else {}
        items = [
            MatchItem(
                id=f"{field_name(slot)}-item-{left['id']}",
                name=field_name(slot, left["id"]),
                label=left["text"],
                options=[
                    Option(
                        id="",
                        value=option["id"],
                        label=option["text"],
                        selected=picked.get(left["id"]) == option["id"],
                    )
                    for option in public.get("options", [])
                ],
            )
            for left in public["choices"]
        ]
        return QuestionForm(**common, items=items)
    value = "" if answer is None or isinstance(answer, list | dict) else str(answer)
    return QuestionForm(**common, value=value)


class AttemptForm:
    """All the answers of an attempt: the page's fields, and what a POST of them changes.

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

    def unanswered(self) -> list[QuestionForm]:
        return [question for question in self.questions() if not question.answered]

    def questions(self) -> list[QuestionForm]:
        return [
            question_form(
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
    inverse of ``answer_from_post``, for scripts that drive the pages (the load bench, tests)."""
    public = answer_to_public(shown, answer)
    if public is None:  # left blank: nothing posted
        return []
    if isinstance(public, dict):  # matching: one select per item
        return [(field_name(slot, item), option) for item, option in public.items()]
    if isinstance(public, list):  # multiple: one checkbox per choice
        return [(field_name(slot), token) for token in public]
    return [(field_name(slot), str(public))]
