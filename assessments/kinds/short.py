"""Short answer: text typed, compared with the accepted answers (``*`` is a wildcard)."""

import re
import unicodedata
from decimal import Decimal

from assessments import gift
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
    position = 40

    choices_shown = False

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

    # GIFT: "=" answers, anything no other kind claims.
    gift_order = 90

    def gift_claims(self, body):
        return True

    def gift_answers(self, body):
        lead, items = gift.split_answers(body, "=")
        gift.refuse_lead(lead)
        answers = []
        for _, item in items:
            weight, rest = gift.take_weight(item)
            text, feedback = gift.answer_text(rest)
            answers.append(
                gift.GiftAnswer(text, Decimal(100) if weight is None else weight, feedback)
            )
        return answers

    def gift_check(self, answers):
        gift.uses_only(answers, "text", "weight", "feedback")
        if not answers or any(not a.text for a in answers):
            raise gift.Unrepresentable("a short-answer question needs answers with text")
        if any("->" in a.text or "->" in a.feedback for a in answers):
            raise gift.Unrepresentable("'->' in a short answer would read as a matching question")
        gift.require_full_credit(answers)

    def gift_answer_line(self, a):
        # Answer text that starts with '%' gets an explicit weight so it is not read as one.
        plain = a.weight == 100 and not a.text.startswith("%")
        weight = "" if plain else gift.written_weight(a)
        return f"={weight}{gift.escape(a.text)}{gift.written_feedback(a)}"

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["text"]

    def wrong_answer(self, shown):
        return "certainly not this"


KIND = ShortAnswer()
