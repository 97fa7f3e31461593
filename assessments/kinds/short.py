"""Short answer: text typed, compared with the accepted answers (``*`` is a wildcard)."""

import re
import unicodedata
from decimal import Decimal

from assessments.kinds.base import (
    SHORT_ANSWER_MAX_LENGTH,
    QuestionKind,
    best_of,
    typed_text,
    wrong,
)
from assessments.kinds.single import best_texts


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


class ShortAnswer(QuestionKind):
    name = "short"
    label = "Short answer"

    def public_view(self, shown, public):
        # The accepted answers themselves are the key.
        return {**public, "choices": []}

    def validate(self, shown, answer):
        return typed_text(answer, limit=SHORT_ANSWER_MAX_LENGTH)

    def grade(self, *, points, choices, answer):
        if not isinstance(answer, str):
            return wrong()
        typed = normalise_text(answer)
        return best_of(
            points,
            [c for c in choices.values() if c.get("text") and _accepts(str(c["text"]), typed)],
        )

    def answer_lines(self, shown, answer):
        return [str(answer)]

    def key_lines(self, shown):
        return best_texts(shown.get("choices", []))

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["text"]

    def wrong_answer(self, shown):
        return "certainly not this"


KIND = ShortAnswer()
