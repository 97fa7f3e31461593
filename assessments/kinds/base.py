"""What every question kind answers, and the pieces the kinds share.

A kind is one module under ``assessments/kinds/`` holding a ``QuestionKind`` subclass: how
its question is frozen into a snapshot, what of it the learner may see, how its answer is
read from a page, checked, graded and read back in a review, how its choices are counted
and how it reads and writes GIFT. The rest of the application asks the registry
(``assessments.kinds.kind_for``) and never branches on the kind.

Everything here is a pure function of a *snapshot* (the dict stored in ``Response.shown``
when the attempt started) and the learner's answer, so an attempt grades the same today and
in five years, whatever happens to the live ``Question`` rows. Snapshots are years-old JSON:
a kind's methods take whatever they hold, and the answer and grading methods raise nothing but
``InvalidAnswer``.

This package imports no model: ``assessments.models`` reads the registry (the kinds whose
answers are choice ids, for a column the database computes).
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from random import Random
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from assessments import gift
from assessments.limits import WEIGHT_PLACES
from lessons.validators import control_character_message

if TYPE_CHECKING:
    from xml.etree import ElementTree as ET

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# Weights are kept to WEIGHT_PLACES decimals: three right answers of 33.33333 % add up to
# 99.99999 %. Within this much of 100 % counts as full marks.
FULL_MARKS_SLACK = Decimal("0.01")
SHORT_ANSWER_MAX_LENGTH = 500
ESSAY_MAX_LENGTH = 20_000

# Keys of a snapshot's choice a learner must not see before submitting: they give the
# answer away.
ANSWER_KEYS = ("weight", "feedback", "feedback_format", "match", "value", "tolerance")


class InvalidAnswer(ValueError):
    """An answer that cannot be saved; the message is meant for the learner."""


@dataclass(frozen=True)
class Grade:
    score: Decimal
    # None when the question is not graded automatically (essay).
    is_correct: bool | None
    feedback: list[str] = field(default_factory=list)


def wrong() -> Grade:
    return Grade(score=Decimal("0.00"), is_correct=False)


# --- Option tokens --------------------------------------------------------------------

# Option tokens: what the page calls each option of one attempt. Drawn afresh for every
# attempt from a secure source, so neither their numeric or lexical order nor their value says
# anything about file order or correctness; the server maps them back to choices.
TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
TOKEN_LENGTH = 8


def draw_tokens(count: int, rng: Random) -> list[str]:
    tokens: list[str] = []
    while len(tokens) < count:
        token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        if token not in tokens:
            tokens.append(token)
    return tokens


def choice_token(choice: dict) -> str:
    # Snapshots taken before tokens existed name their options by id.
    return str(choice.get("token") or choice.get("id"))


class _Unknown:
    """A posted token that names no option of the question: never a valid answer."""

    def __repr__(self):
        return "<unknown option>"


UNKNOWN_OPTION = _Unknown()


def listing_order(text: str) -> tuple:
    """How unshuffled options are listed: alphabetically, numbers by value ("2" before "10")."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


# --- Reading snapshots and answers ------------------------------------------------------


def plain(number: Decimal | str | int | None) -> str | None:
    """A number as a person writes it, without trailing zeros or exponent: 3.1400 -> "3.14",
    2.00 -> "2" (points, percentages, a numerical answer's value)."""
    if number is None:
        return None
    return format(Decimal(number).normalize(), "f")


def choice_id(value: Any) -> int | None:
    # bool is an int in Python; True is not choice 1.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if isinstance(value, str) and value.strip().isdecimal():
        try:
            return int(value.strip())
        except ValueError:  # thousands of digits: Python's int-from-text limit
            return None
    return None


def listed_choices(shown: dict) -> list[dict]:
    return [choice for choice in shown.get("choices", []) if isinstance(choice, dict)]


def to_decimal(value: Any, default: Decimal | None = Decimal(0)) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return default
    return number if number.is_finite() else default


def weight(choice: dict) -> Decimal:
    """A choice's weight, a percent of the points: held to -100…100 as the column is, so
    sums of weights stay small whatever a snapshot holds."""
    return min(max(to_decimal(choice.get("weight")), -HUNDRED), HUNDRED)


def written_weight(choice: dict) -> Decimal:
    """A choice's weight as the snapshot writes it, for showing the key."""
    try:
        return Decimal(str(choice.get("weight", "0")))
    except ArithmeticError:
        return Decimal(0)


def is_blank(answer: Any) -> bool:
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    return isinstance(answer, list | dict) and not answer


def typed_text(answer: Any, *, limit: int) -> str:
    """Text a learner typed, trimmed, or InvalidAnswer."""
    if not isinstance(answer, str):
        raise InvalidAnswer(gettext("Type your answer as text."))
    # Checked before stripping: Python strips some controls (\x1c-\x1f, \x85) as space.
    if message := control_character_message(answer):
        raise InvalidAnswer(message)
    text = answer.strip()
    if len(text) > limit:
        raise InvalidAnswer(
            gettext("Your answer is too long: %(limit)s characters at most, it has %(length)s.")
            % {
                "limit": formats.number_format(limit, force_grouping=True),
                "length": formats.number_format(len(text), force_grouping=True),
            }
        )
    return text


def percent(weight: Decimal) -> Decimal:
    """A weight or sum of weights as the percent of the points earned, 0…100."""
    if weight >= HUNDRED - FULL_MARKS_SLACK:
        return HUNDRED
    return max(weight, Decimal(0))


def fraction_score(points: Decimal, percent: Decimal) -> Decimal:
    return (points * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def feedback_of(choices: Iterable[dict]) -> list[str]:
    return [
        choice["feedback"]
        for choice in choices
        if isinstance(choice.get("feedback"), str) and choice["feedback"]
    ]


def best_of(points: Decimal, matching: list[dict]) -> Grade:
    """The grade of the best weighted of the answers that match what was typed."""
    if not matching:
        return wrong()
    best = max(matching, key=weight)
    earned = percent(weight(best))
    return Grade(
        score=fraction_score(points, earned),
        is_correct=earned == HUNDRED,
        feedback=feedback_of([best]),
    )


# --- Regrading after a key fix ---------------------------------------------------------

# The key of a choice the learner saw that the question no longer has: worth nothing.
# Written as snapshots write weights: fixed point, to Moodle's 7 places.
GONE_KEY = {
    "weight": format(Decimal(0).scaleb(-WEIGHT_PLACES), "f"),
    "feedback": "",
    "match": "",
    "value": None,
    "tolerance": "0",
}


def _key_fields(choice: dict) -> dict:
    return {name: choice.get(name) for name in ANSWER_KEYS}


# --- Page fields -------------------------------------------------------------------------


def field_name(slot: int, left_id: int | str | None = None) -> str:
    return f"q{slot}" if left_id is None else f"q{slot}-{left_id}"


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
class Fields:
    """What a kind puts in its fieldset, pre-filled: options to tick, items to pair, or
    text typed. Rendered by the kind's template."""

    options: list[Option] = field(default_factory=list)
    items: list[MatchItem] = field(default_factory=list)
    value: str = ""


# --- The editor -------------------------------------------------------------------------

# The fields of an answer ticked among listed choices: its text, its grade, its feedback.
CHOICE_FIELDS = ("text", "text_format", "weight", "feedback", "feedback_format")


#: The label of an answer's weight in the editor of every kind that grades each answer.
#: The "%" is a percent sign, not a placeholder: without the flag below, xgettext marks the
#: message python-format and msgfmt then refuses any French that does not hold a "% o".
# xgettext:no-python-format
WEIGHT_LABEL = gettext_lazy("Grade (% of the points)")


@dataclass(frozen=True)
class AnswerEditor:
    """What the admin's question editor shows of a kind's answers (``Choice`` rows) and of
    the question beyond the fields every kind has. The admin builds the answers' inline from
    this and never asks which kind it edits.

    A ``Choice`` field the kind does not show is saved as ``fixed`` says, else as the
    column's default, so a question whose kind changed keeps nothing another kind needed
    (a weight a matching pair cannot have, a number a choice does not)."""

    #: The ``Choice`` fields of one answer row, in order.
    fields: tuple[str, ...] = CHOICE_FIELDS
    #: Labels of those fields in the kind's words (a matching pair's "Left side").
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The fields every answer row must fill (refused on the row's field otherwise).
    required: tuple[str, ...] = ()
    #: Rows the question needs at least (shown empty on a new question), and may have at most.
    min_answers: int = 0
    max_answers: int | None = None
    #: Values of fields the row does not show.
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: The rows a new question starts with, filled in (true/false's True and False).
    starting_rows: tuple[Mapping[str, Any], ...] = ()
    #: ``Question`` fields only this kind uses (an essay's rubric).
    question_fields: tuple[str, ...] = ()
    #: What the answers' part of the page is called.
    heading: str = gettext_lazy("Answers")


# --- The interface -----------------------------------------------------------------------


class QuestionKind(ABC):
    """One kind of question. Subclasses set the attributes and implement the abstract methods;
    the other methods have the behaviour most kinds want.

    Answers have three forms: *public* (what the page posts and shows, options named by the
    attempt's tokens), *stored* (``Response.answer``: choice ids, texts) and *posted*
    (the raw POST fields).
    """

    #: The ``Question.kind`` value, stored in every snapshot.
    name: str
    #: What instructors read (admin, statistics).
    label: str
    #: Where the kind comes in the lists instructors pick from, lowest first.
    position: int
    #: The partial under ``templates/`` that renders the fields, given ``question`` (a
    #: ``QuestionFieldset``) and ``attempt``.
    template: str = "progress/kinds/text.html"
    #: Shown under the question text while answering.
    hint: str = ""
    #: Whether grading gives the score (an essay waits for a human).
    graded_automatically: bool = True
    #: Whether the stored answer is a choice id or a list of them: the database counts the
    #: picks of these for the question statistics (``Response.answer_tally``).
    answer_is_choice_ids: bool = False
    #: For text fields: the most characters a learner may type.
    max_length: int = SHORT_ANSWER_MAX_LENGTH
    #: For choice fields: ``radio`` or ``checkbox``; for text fields: the ``inputmode``.
    input_type: str = ""
    #: Whether the learner sees the choices (options to tick, items to pair). A regrade keeps
    #: the ones they saw and takes only their key from the question as it is now; the
    #: accepted answers of a kind that shows none (short, numerical) are the key itself.
    choices_shown: bool = True
    #: What the admin's question editor shows (``AnswerEditor``).
    editor: AnswerEditor = AnswerEditor()

    # --- Snapshot ---

    def order_choices(self, choices: list, *, rng: Random, shuffle: bool) -> list:
        """The question's choices in the order they are listed in the snapshot."""
        return choices

    def snapshot_extras(self, snapshot: dict, *, rng: Random, shuffle: bool) -> dict:
        """Keys the kind adds to its snapshot, after the common ones (choices drawn tokens)."""
        return {}

    def public_view(self, shown: dict, public: dict) -> dict:
        """``public`` (the snapshot without its key) as the learner may see it."""
        return public

    def rekeyed(self, shown: dict, current: dict) -> dict | None:
        """``shown`` with the key of ``current`` (a snapshot of the question as it is now), for
        a regrade after a key fix; None when the key is the same.

        What the learner saw stays as they saw it: the text, the points, the choices they
        were shown with their texts and tokens, in their order. A choice still in the
        question takes its key fields (``ANSWER_KEYS``) as they are now; one the question no
        longer has keeps its text and loses its key (``GONE_KEY``: worth nothing, no right
        side, no accepted value), so ``grade`` scores it as any choice worth nothing; one
        added since was not shown, so it counts for nothing. A kind that shows no choices
        takes the question's accepted answers as they are now, added ones included. The
        explanation, shown with the key after the attempt, is taken as it is now too.
        """
        if self.choices_shown:
            now = {choice_id(choice.get("id")): choice for choice in listed_choices(current)}
            choices = [
                {**choice, **_key_fields(now.get(choice_id(choice.get("id")), GONE_KEY))}
                for choice in listed_choices(shown)
            ]
            compared = ANSWER_KEYS
        else:
            # Never on a page, so their tokens do not matter; named by id when read back.
            choices = [
                {"id": choice.get("id"), "text": choice.get("text", ""), **_key_fields(choice)}
                for choice in listed_choices(current)
            ]
            compared = ("text", *ANSWER_KEYS)
        explanation = current.get("explanation", "")

        def key(choices: list[dict]) -> list[dict]:
            return [{name: choice.get(name) for name in compared} for choice in choices]

        if key(choices) == key(listed_choices(shown)) and explanation == shown.get(
            "explanation", ""
        ):
            return None
        return {**shown, "choices": choices, "explanation": explanation}

    # --- Answers ---

    def answer_from_public(self, shown: dict, answer: Any) -> Any:
        """An answer posted in tokens, in the stored form; a token the question did not show
        becomes ``UNKNOWN_OPTION``, which validation refuses."""
        return answer

    def answer_to_public(self, shown: dict, answer: Any) -> Any:
        """A stored answer in the tokens its page shows."""
        return answer

    def posted_answer(self, shown: dict, data: Mapping, slot: int) -> Any:
        """The public answer to question ``slot`` as posted in ``data``, unvalidated."""
        return data.get(field_name(slot), "")

    def fields_posted(self, slot: int, answer: Any) -> dict:
        """The POST fields a browser sends for the public ``answer``: what ``posted_answer``
        reads back."""
        return {field_name(slot): str(answer)}

    @abstractmethod
    def validate(self, shown: dict, answer: Any) -> Any:
        """A non-blank stored answer cleaned for storage, or ``InvalidAnswer``: something the
        question could have received from its own form."""

    @abstractmethod
    def grade(self, *, points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
        """A non-blank answer graded against the snapshot's ``choices`` by id; never raises."""

    # --- Page ---

    def fields(self, public: dict, *, slot: int, answer: Any) -> Fields:
        """The fields of the question, pre-filled with the public ``answer``."""
        value = "" if answer is None or isinstance(answer, list | dict) else str(answer)
        return Fields(value=value)

    def field_names(self, slot: int, fields: Fields) -> list[str]:
        """What the question posts: the autosave sends these and nothing else."""
        return [field_name(slot)]

    # --- Review and statistics ---

    @abstractmethod
    def answer_lines(self, shown: dict, answer: Any) -> list[str]:
        """A stored, non-blank answer as text, a line per part."""

    @abstractmethod
    def key_lines(self, shown: dict) -> list[str]:
        """The right answer(s) as text, read from the full snapshot."""

    def choice_tally(self, shown: dict, picks: dict[str, int]) -> list[tuple[str, bool, int]]:
        """(text, is the key, times picked) for each choice, for the statistics; picks are
        counted by choice id from ``Response.answer_tally``."""
        return []

    # --- Editing ---

    def answers_problem(self, answers: list["gift.GiftAnswer"]) -> str | None:
        """Why learners could not answer the question with these answers, or None.

        GIFT's rules are the test: what it cannot hold, learners cannot be graded on. A kind
        without GIFT syntax checks its answers itself, or takes any."""
        if self.gift_order is None:
            return None
        try:
            self.gift_check(answers)
        except gift.Unrepresentable as problem:
            return gettext("Learners could not answer this question: %(problem)s.") % {
                "problem": problem
            }
        return None

    # --- Answers for tests and demo data ---

    @abstractmethod
    def right_answer(self, shown: dict) -> Any:
        """A stored answer that earns full marks (or, ungraded, a real answer)."""

    @abstractmethod
    def wrong_answer(self, shown: dict) -> Any:
        """A stored answer that scores nothing."""

    # --- GIFT (optional: a kind without GIFT syntax is neither read nor written) ---

    #: Where the kind comes when GIFT decides which kind an answer block is (lowest first);
    #: None for a kind GIFT cannot hold.
    gift_order: int | None = None
    #: What the answer block opens with when written.
    gift_opener: str = "{"
    #: Whether an answer's text is shown to the learner as formatted text with a format of
    #: its own (choices, matching items), as Moodle keeps it; short answers and numbers are
    #: compared with what is typed, so they have none.
    answer_text_format: bool = False

    def gift_claims(self, body: "gift.Source") -> bool:
        """Whether an answer block (``{`` … ``}`` without the braces and general feedback)
        is a question of this kind; asked in ``gift_order``."""
        return False

    def gift_answers(self, body: "gift.Source") -> list["gift.GiftAnswer"]:
        """The answers of a block this kind claimed, or ``GiftError``."""
        raise gift.GiftError(f"{self.label} questions cannot be read from GIFT", line=body.line)

    def gift_check(self, answers: list["gift.GiftAnswer"]) -> None:
        """Raise ``gift.Unrepresentable`` unless ``answers`` make a valid question of this
        kind that GIFT writes back exactly."""
        raise gift.Unrepresentable(f"{self.label} questions cannot be written in GIFT")

    def gift_block(self, question: "gift.GiftQuestion", general: str) -> str:
        """The answer block of a checked question; ``general`` is its ``####`` line, if any."""
        lines = [self.gift_answer_line(a) for a in question.answers] + (
            [general] if general else []
        )
        return self.gift_opener + "".join(f"\n\t{line}" for line in lines) + "\n}"

    def gift_answer_line(self, answer: "gift.GiftAnswer") -> str:
        """One answer as ``gift_block`` writes it, on a line of its own."""
        raise gift.Unrepresentable(f"{self.label} questions cannot be written in GIFT")

    # --- Moodle XML (optional: a kind without it is neither read nor written) ---

    #: The ``type`` of Moodle's ``<question>`` element for this kind; None for none.
    moodle_type: str | None = None
    #: Other names Moodle has written for that type.
    moodle_aliases: tuple[str, ...] = ()

    def moodle_claims(self, element: "ET.Element") -> bool:
        """Whether a ``<question>`` of ``moodle_type`` is this kind's (single and multiple
        choice share Moodle's ``multichoice``)."""
        return True

    def moodle_answers(self, element: "ET.Element") -> list["gift.GiftAnswer"]:
        """The answers of a ``<question>`` this kind claimed, each text with its format as
        written, or ``MoodleXmlError``."""
        return []

    def moodle_write(self, question: "gift.GiftQuestion", element: "ET.Element") -> None:
        """Add the kind's own elements (its answers and settings) to ``<question>``."""
        raise ValueError(f"{self.label} questions cannot be written in Moodle XML")

    def __repr__(self):
        return f"<question kind {self.name}>"


class Unreadable(QuestionKind):
    """What a snapshot naming no known kind is read as: shown as text, never accepted,
    scores nothing."""

    name = ""
    label = gettext_lazy("Unknown")
    position = 0

    def validate(self, shown, answer):
        raise InvalidAnswer(gettext("This question cannot be answered."))

    def grade(self, *, points, choices, answer):
        return wrong()

    def answer_lines(self, shown, answer):
        return [str(answer)]

    def key_lines(self, shown):
        return []

    def right_answer(self, shown):
        return None

    def wrong_answer(self, shown):
        return None
