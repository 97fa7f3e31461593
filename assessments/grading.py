"""Grading of quiz answers against the question as the learner saw it.

Everything here is a pure function of a *snapshot* (the dict stored in
``Response.shown`` when the attempt started) and the learner's answer, so
an attempt grades the same today and in five years, whatever happens to the
live ``Question`` rows. Scores follow Moodle's semantics, so question banks
moved in as GIFT grade as they did there.

Answer formats (``Response.answer``):

=================  ==============================================
single, true_false  a choice id (int)
multiple            a list of choice ids
short               the text typed
numerical           the number as typed (string)
matching            ``{"<left choice id>": "<right side text>"}``
essay               the text typed (never graded)
=================  ==============================================
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)
from random import Random
from typing import Any

from assessments.models import Choice, Question
from lessons.validators import control_character_message

Kind = Question.Kind

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# Weights are stored to 4 places, so three right answers of 33.3333 % add up to
# 99.9999 %: within this much of 100 % counts as full marks.
FULL_MARKS_SLACK = Decimal("0.01")
SHORT_ANSWER_MAX_LENGTH = 500
ESSAY_MAX_LENGTH = 20_000

# The numbers a learner may save. Within these bounds an answer has at most 25 digits, so it
# compares exactly with any key the Choice columns hold (30 digits, 10 of them decimals).
NUMBER_LIMIT = Decimal(10) ** 15
NUMBER_DECIMALS = Choice._meta.get_field("numeric_value").decimal_places
NUMBER_OUT_OF_BOUNDS = (
    f"Type a number between -{NUMBER_LIMIT:,} and {NUMBER_LIMIT:,}, "
    f"with at most {NUMBER_DECIMALS} decimal places."
)
# The most points a question can be worth (the column's bound); a snapshot claiming more is
# not one this application wrote, and scores nothing rather than a score no column holds.
_points = Question._meta.get_field("points")
POINTS_LIMIT = Decimal(10) ** (_points.max_digits - _points.decimal_places)
# Numbers are compared in this context: exact for anything the bounds above let through,
# and for anything else (an answer saved before there were bounds, such as "1e1000000") it
# rounds, or overflows to infinity, instead of raising as the default context does.
_COMPARING = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])

# Keys of a snapshot a learner must not see before submitting: they give the answer away.
ANSWER_KEYS = ("weight", "feedback", "match", "value", "tolerance")


class InvalidAnswer(ValueError):
    """An answer that cannot be saved; the message is meant for the learner."""


@dataclass(frozen=True)
class Grade:
    score: Decimal
    # None when the question is not graded automatically (essay).
    is_correct: bool | None
    feedback: list[str] = field(default_factory=list)


# --- Snapshots ---------------------------------------------------------------


def _plain(number: Decimal | int | None) -> str | None:
    """A decimal as a string without trailing zeros or exponent: 3.1400 -> "3.14"."""
    if number is None:
        return None
    text = format(Decimal(number).normalize(), "f")
    return text


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


def listing_order(text: str) -> tuple:
    """How unshuffled options are listed: alphabetically, numbers by value ("2" before "10")."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text.casefold())
        if part
    )


def question_snapshot(question: Question, *, rng: Random, shuffle_choices: bool) -> dict:
    """The question, its choices and its key, frozen as they are shown in one attempt.

    Choices are never listed in the order they were written: files commonly put the right
    answer first. They are shuffled or, when the quiz does not shuffle, listed
    alphabetically; true/false keeps True before False, matching its items in order.

    ``question`` should come with ``prefetch_related("choices")`` and
    ``select_related("lesson")``, or this costs two queries per question.
    """
    choices = list(question.choices.all())
    if question.kind in (Kind.SINGLE, Kind.MULTIPLE):
        # Shuffled first either way: choices that sort as equals must not keep file order.
        rng.shuffle(choices)
        if not shuffle_choices:
            choices.sort(key=lambda choice: listing_order(choice.text))
    lesson = question.lesson
    snapshot = {
        "question_id": question.pk,
        "kind": str(question.kind),
        "title": question.title,
        "text": question.text,
        "points": str(Decimal(question.points).quantize(CENT)),
        "explanation": question.explanation,
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
                "weight": str(Decimal(choice.weight).quantize(Decimal("0.0001"))),
                "feedback": choice.feedback,
                "match": choice.match_text,
                "value": _plain(choice.numeric_value),
                "tolerance": _plain(choice.tolerance),
            }
            for choice, token in zip(choices, draw_tokens(len(choices), rng), strict=True)
        ],
    }
    if question.kind == Kind.MATCHING:
        # Distinct right sides (two lefts may share one; Moodle's extra wrong
        # answers have no left side). Unshuffled they are sorted, never listed
        # in the order of their lefts, which would give the key away.
        options = list(dict.fromkeys(choice.match_text for choice in choices if choice.match_text))
        if shuffle_choices:
            rng.shuffle(options)
        else:
            options.sort(key=listing_order)
        snapshot["options"] = options
        snapshot["option_tokens"] = draw_tokens(len(options), rng)
    return snapshot


def shown_for_learner(shown: dict) -> dict:
    """The snapshot without weights, feedback, matches, explanation and lesson reference,
    each option named by its token instead of its id.

    What a page may send to the browser while the attempt is open.
    """
    # The lesson and passage that answer the question come with the feedback, not before.
    public = {
        key: value
        for key, value in shown.items()
        if key not in ("explanation", "lesson", "option_tokens")
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
    if shown.get("kind") in (Kind.SHORT, Kind.NUMERICAL):
        # The accepted answers themselves are the key.
        public["choices"] = []
    if shown.get("kind") == Kind.MATCHING:
        public["choices"] = [choice for choice in public["choices"] if choice.get("text")]
        public["options"] = [
            {"id": token, "text": text} for text, token in _option_tokens(shown).items()
        ]
    return public


# --- Public answers: what the page posts and shows, in tokens -------------------


def choice_token(choice: dict) -> str:
    # Snapshots taken before tokens existed name their options by id.
    return str(choice.get("token") or choice.get("id"))


def _option_tokens(shown: dict) -> dict[str, str]:
    """Matching: each right side's text and its token."""
    options = shown.get("options") or []
    tokens = shown.get("option_tokens") or options
    return dict(zip(options, tokens, strict=False))


class _Unknown:
    """A posted token that names no option of the question: never a valid answer."""

    def __repr__(self):
        return "<unknown option>"


UNKNOWN_OPTION = _Unknown()


def answer_from_public(shown: dict, answer: Any) -> Any:
    """An answer posted in tokens, in the stored format (choice ids, right side texts).

    A token the question did not show becomes ``UNKNOWN_OPTION``, which validation refuses:
    a choice id posted in place of a token is refused like any other stranger.
    """
    kind = shown.get("kind")
    choices = [choice for choice in shown.get("choices", []) if isinstance(choice, dict)]
    ids = {choice_token(choice): choice.get("id") for choice in choices}

    def choice_id(token):
        return token if _is_blank(token) else ids.get(str(token), UNKNOWN_OPTION)

    if kind in (Kind.SINGLE, Kind.TRUE_FALSE):
        return choice_id(answer)
    if kind == Kind.MULTIPLE:
        return [choice_id(token) for token in answer] if isinstance(answer, list) else answer
    if kind == Kind.MATCHING and isinstance(answer, dict):
        texts = {token: text for text, token in _option_tokens(shown).items()}
        return {
            str(ids[left]) if left in ids else UNKNOWN_OPTION: (
                right if _is_blank(right) else texts.get(str(right), UNKNOWN_OPTION)
            )
            for left, right in answer.items()
        }
    return answer


def answer_to_public(shown: dict, answer: Any) -> Any:
    """A stored answer in the tokens its page shows: what the page and downloads carry."""
    kind = shown.get("kind")
    tokens = {
        str(choice.get("id")): choice_token(choice)
        for choice in shown.get("choices", [])
        if isinstance(choice, dict)
    }
    if kind in (Kind.SINGLE, Kind.TRUE_FALSE) and answer is not None:
        return tokens.get(str(answer))
    if kind == Kind.MULTIPLE and isinstance(answer, list):
        return [tokens.get(str(item)) for item in answer]
    if kind == Kind.MATCHING and isinstance(answer, dict):
        options = _option_tokens(shown)
        return {tokens.get(left): options.get(right) for left, right in answer.items()}
    return answer


# --- Reading answers ---------------------------------------------------------


def _choice_id(value: Any) -> int | None:
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


def parse_number(typed: Any) -> Decimal | None:
    """The number a learner typed, or None. Accepts "3,14", " 3.14 ", "−2", "1e3"."""
    if isinstance(typed, bool):
        return None
    if isinstance(typed, int | float):
        typed = str(typed)
    if not isinstance(typed, str):
        return None
    text = typed.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if "," in text:
        if "." in text or text.count(",") > 1:
            return None  # "1,000.5" or "1,000,000": ambiguous, ask again rather than guess
        text = text.replace(",", ".")
    if not text or len(text) > 100:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None  # "NaN", "Infinity"
    return number


def _decimal_places(number: Decimal) -> int:
    """Decimals that count: 3.1400 has two. Read from the digits, so no context can overflow."""
    _, digits, exponent = number.as_tuple()
    if not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def number_within_bounds(number: Decimal) -> bool:
    """Whether a learner may save ``number``: see NUMBER_LIMIT."""
    return number.copy_abs() < NUMBER_LIMIT and _decimal_places(number) <= NUMBER_DECIMALS


def normalise_text(text: str) -> str:
    """Text as compared for short answers: NFKC, trimmed, single spaces, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _accepts(accepted: str, typed: str) -> bool:
    pattern = normalise_text(accepted)
    if "*" in pattern:
        # Moodle's short-answer wildcard: "*" stands for any characters.
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        return re.fullmatch(regex, typed, flags=re.DOTALL) is not None
    return pattern == typed


def _decimal(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return default
    return number if number.is_finite() else default


def _weight(choice: dict) -> Decimal:
    """A choice's weight, a percent of the points: held to -100…100 as the column is, so
    sums of weights stay small whatever a snapshot holds."""
    return min(max(_decimal(choice.get("weight")), -HUNDRED), HUNDRED)


def _within(number: Decimal, value: Decimal, tolerance: Decimal) -> bool:
    with localcontext(_COMPARING):
        return abs(number - value) <= abs(tolerance)


def _is_blank(answer: Any) -> bool:
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    return isinstance(answer, list | dict) and not answer


# --- Grading -----------------------------------------------------------------


def _percent(weight: Decimal) -> Decimal:
    """A weight or sum of weights as the percent of the points earned, 0…100."""
    if weight >= HUNDRED - FULL_MARKS_SLACK:
        return HUNDRED
    return max(weight, Decimal(0))


def _fraction_score(points: Decimal, percent: Decimal) -> Decimal:
    return (points * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _feedback(choices: Iterable[dict]) -> list[str]:
    return [
        choice["feedback"]
        for choice in choices
        if isinstance(choice.get("feedback"), str) and choice["feedback"]
    ]


def _wrong() -> Grade:
    return Grade(score=Decimal("0.00"), is_correct=False)


def _grade_single(points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
    choice = choices.get(_choice_id(answer))
    if choice is None:
        return _wrong()
    percent = _percent(_weight(choice))
    return Grade(
        score=_fraction_score(points, percent),
        is_correct=percent == HUNDRED,
        feedback=_feedback([choice]),
    )


def _grade_multiple(points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
    if not isinstance(answer, list):
        return _wrong()
    ids = [_choice_id(item) for item in answer]
    if any(choice_id not in choices for choice_id in ids):
        return _wrong()
    # A choice ticked twice (a replayed request) counts once.
    selected = [choices[choice_id] for choice_id in dict.fromkeys(ids)]
    percent = _percent(sum((_weight(choice) for choice in selected), Decimal(0)))
    return Grade(
        score=_fraction_score(points, percent),
        is_correct=percent == HUNDRED,
        feedback=_feedback(selected),
    )


def _best(points: Decimal, matching: list[dict]) -> Grade:
    if not matching:
        return _wrong()
    best = max(matching, key=_weight)
    percent = _percent(_weight(best))
    return Grade(
        score=_fraction_score(points, percent),
        is_correct=percent == HUNDRED,
        feedback=_feedback([best]),
    )


def _grade_short(points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
    if not isinstance(answer, str):
        return _wrong()
    typed = normalise_text(answer)
    return _best(
        points,
        [c for c in choices.values() if c.get("text") and _accepts(str(c["text"]), typed)],
    )


def _grade_numerical(points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
    number = parse_number(answer)
    if number is None:
        return _wrong()
    matching, others = [], []
    for choice in choices.values():
        if choice.get("value") is None:
            others.append(choice)  # GIFT's "~#feedback": what any other answer gets told
            continue
        value = _decimal(choice["value"], default=None)
        if value is not None and _within(number, value, _decimal(choice.get("tolerance"))):
            matching.append(choice)
    if not matching:
        return Grade(score=Decimal("0.00"), is_correct=False, feedback=_feedback(others))
    return _best(points, matching)


def _grade_matching(points: Decimal, choices: dict[int, dict], answer: Any) -> Grade:
    if not isinstance(answer, dict):
        return _wrong()
    pairs = {str(choice_id): choice for choice_id, choice in choices.items() if choice.get("text")}
    if not pairs or any(key not in pairs or not isinstance(v, str) for key, v in answer.items()):
        return _wrong()
    right = sum(
        1
        for key, choice in pairs.items()
        if key in answer
        and isinstance(choice.get("match"), str)
        and " ".join(answer[key].split()) == " ".join(choice["match"].split())
    )
    score = (points * right / len(pairs)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Grade(score=score, is_correct=right == len(pairs))


_GRADERS = {
    Kind.SINGLE: _grade_single,
    Kind.TRUE_FALSE: _grade_single,
    Kind.MULTIPLE: _grade_multiple,
    Kind.SHORT: _grade_short,
    Kind.NUMERICAL: _grade_numerical,
    Kind.MATCHING: _grade_matching,
}


def grade(shown: dict, answer: Any) -> Grade:
    """Grade one answer from the snapshot alone.

    Never raises, whatever the snapshot and the answer hold (they are years-old JSON): what
    cannot be read scores 0, and the score always fits the column it is stored in.
    """
    if not isinstance(shown, dict):
        return _wrong()
    kind = shown.get("kind")
    if kind == Kind.ESSAY:
        return Grade(score=Decimal("0.00"), is_correct=None)
    grader = _GRADERS.get(kind) if isinstance(kind, str) else None
    if grader is None or _is_blank(answer):
        return _wrong()
    points = _decimal(shown.get("points"))
    if not Decimal(0) <= points < POINTS_LIMIT:
        return _wrong()
    choices = {}
    listed = shown.get("choices")
    for choice in listed if isinstance(listed, list) else []:
        if isinstance(choice, dict) and _choice_id(choice.get("id")) is not None:
            choices[_choice_id(choice["id"])] = choice
    return grader(points, choices, answer)


def is_graded(shown: dict) -> bool:
    """Whether the question counts towards the score (an essay waits for a human)."""
    return not isinstance(shown, dict) or shown.get("kind") != Kind.ESSAY


# --- Validation when saving -------------------------------------------------


def validate_answer(shown: dict, answer: Any) -> Any:
    """The answer cleaned for storage, None for "no answer", or InvalidAnswer.

    Saving does not grade; this only makes sure what is stored is something
    the question could have received from its own form.
    """
    kind = shown.get("kind")
    if _is_blank(answer):
        return None
    choice_ids = [_choice_id(choice.get("id")) for choice in shown.get("choices", [])]

    if kind in (Kind.SINGLE, Kind.TRUE_FALSE):
        choice_id = _choice_id(answer)
        if choice_id is None or choice_id not in choice_ids:
            raise InvalidAnswer("Choose one of the options.")
        return choice_id

    if kind == Kind.MULTIPLE:
        items = answer if isinstance(answer, list) else [answer]
        selected = {_choice_id(item) for item in items}
        if not selected <= set(choice_ids):
            raise InvalidAnswer("Choose from the options shown.")
        return [choice_id for choice_id in choice_ids if choice_id in selected]

    if kind in (Kind.SHORT, Kind.ESSAY):
        if not isinstance(answer, str):
            raise InvalidAnswer("Type your answer as text.")
        limit = SHORT_ANSWER_MAX_LENGTH if kind == Kind.SHORT else ESSAY_MAX_LENGTH
        # Checked before stripping: Python strips some controls (\x1c-\x1f, \x85) as space.
        if message := control_character_message(answer):
            raise InvalidAnswer(message)
        text = answer.strip()
        if len(text) > limit:
            raise InvalidAnswer(
                f"Your answer is too long: {limit:,} characters at most, it has {len(text):,}."
            )
        return text

    if kind == Kind.NUMERICAL:
        number = parse_number(answer)
        if number is None:
            raise InvalidAnswer("Type a number, for example 3.14 or 3,14.")
        if not number_within_bounds(number):
            raise InvalidAnswer(NUMBER_OUT_OF_BOUNDS)
        return str(answer).strip()

    if kind == Kind.MATCHING:
        if not isinstance(answer, dict):
            raise InvalidAnswer("Pick an answer from the list for each item.")
        lefts = [str(choice["id"]) for choice in shown.get("choices", []) if choice.get("text")]
        options = set(shown.get("options", []))
        cleaned = {}
        for key, value in answer.items():
            if str(key) not in lefts or (value not in options and not _is_blank(value)):
                raise InvalidAnswer("Pick an answer from the list for each item.")
            if not _is_blank(value):
                cleaned[str(key)] = value
        # Stored in the order the items were shown.
        return {left: cleaned[left] for left in lefts if left in cleaned} or None

    raise InvalidAnswer("This question cannot be answered.")
