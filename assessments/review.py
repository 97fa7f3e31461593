"""A submitted answer and its key, read back from the snapshot as the learner saw them.

Used by the result page and by the instructor's view of a learner's attempts,
so both say the same thing in the same words.
"""

from decimal import Decimal
from typing import Any

from assessments.forms import is_unanswered, left_items
from assessments.models import Question

Kind = Question.Kind


def _choices_by_id(shown: dict) -> dict[str, dict]:
    return {str(choice.get("id")): choice for choice in shown.get("choices", [])}


def answer_lines(shown: dict, answer: Any) -> list[str]:
    """The learner's answer as text, a line per part: the choices ticked, the pairs made."""
    kind = shown.get("kind")
    if is_unanswered(shown, answer):
        return []
    choices = _choices_by_id(shown)
    if kind in (Kind.SINGLE, Kind.TRUE_FALSE):
        choice = choices.get(str(answer))
        return [choice.get("text", "")] if choice else []
    if kind == Kind.MULTIPLE:
        ticked = {str(item) for item in answer} if isinstance(answer, list) else set()
        return [choice.get("text", "") for key, choice in choices.items() if key in ticked]
    if kind == Kind.MATCHING:
        pairs = answer if isinstance(answer, dict) else {}
        return [
            f"{left['text']} → {pairs[str(left['id'])]}"
            for left in left_items(shown)
            if pairs.get(str(left["id"]))
        ]
    return [str(answer)]


def _weight(choice: dict) -> Decimal:
    try:
        return Decimal(str(choice.get("weight", "0")))
    except ArithmeticError:
        return Decimal(0)


def key_lines(shown: dict) -> list[str]:
    """The right answer(s), read from the full snapshot: only for a submitted attempt."""
    kind = shown.get("kind")
    choices = shown.get("choices", [])
    if kind == Kind.MATCHING:
        return [f"{left['text']} → {left.get('match', '')}" for left in left_items(shown)]
    if kind == Kind.MULTIPLE:
        return [choice.get("text", "") for choice in choices if _weight(choice) > 0]
    if kind not in (Kind.SINGLE, Kind.TRUE_FALSE, Kind.SHORT, Kind.NUMERICAL):
        return []
    if kind == Kind.NUMERICAL:
        choices = [choice for choice in choices if choice.get("value") is not None]
    best = max((_weight(choice) for choice in choices), default=Decimal(0))
    if best <= 0:
        return []
    lines = []
    for choice in choices:
        if _weight(choice) != best:
            continue
        if kind == Kind.NUMERICAL:
            tolerance = choice.get("tolerance")
            plus_minus = f" (± {tolerance})" if tolerance not in (None, "", "0") else ""
            lines.append(f"{choice['value']}{plus_minus}")
        else:
            lines.append(choice.get("text", ""))
    return lines
