"""Short answer: text typed, compared with the accepted answers (``*`` is a wildcard)."""

import re
import unicodedata
from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift, moodle_xml
from assessments.kinds.base import (
    SHORT_ANSWER_MAX_LENGTH,
    WEIGHT_LABEL,
    AnswerEditor,
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
    label = gettext_lazy("Short answer")
    position = 40
    editor = AnswerEditor(
        fields=("text", "weight", "feedback", "feedback_format"),
        labels={
            "text": gettext_lazy("Accepted answer"),
            "weight": WEIGHT_LABEL,
        },
        required=("text",),
        min_answers=1,
        heading=gettext_lazy("Accepted answers (* stands for any characters)"),
    )

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
        gift.uses_only(answers, "text", "weight", "feedback", "feedback_format")
        if not answers or any(not a.text for a in answers):
            raise gift.Unrepresentable(gettext("a short-answer question needs answers with text"))
        if any(gift.take_format(a.text)[0] for a in answers):
            # Moodle would read the tag as the answer's format and drop it.
            raise gift.Unrepresentable(gettext("a short answer cannot start with a [format] tag"))
        if any("->" in a.text or "->" in a.feedback for a in answers):
            raise gift.Unrepresentable(
                gettext("'->' in a short answer would read as a matching question")
            )
        gift.require_full_credit(answers)

    def gift_answer_line(self, a):
        # Answer text that starts with '%' gets an explicit weight so it is not read as one.
        plain = a.weight == 100 and not a.text.startswith("%")
        weight = "" if plain else gift.written_weight(a)
        return f"={weight}{gift.escape(a.text)}{gift.written_feedback(a)}"

    # Moodle XML: shortanswer, <usecase>0</usecase>, answers without a format of their own.
    moodle_type = "shortanswer"

    def moodle_answers(self, element):
        if (element.findtext("usecase") or "0").strip() not in ("0", ""):
            raise moodle_xml.MoodleXmlError(
                "<usecase>1</usecase>: Moodle compares these answers case by case, Courseware "
                "never does, so learners would be marked right where Moodle marks them wrong; "
                "set “Case sensitivity” to “No” in Moodle and export again"
            )
        answers = []
        for answer in element.iterfind("answer"):
            feedback, feedback_format = moodle_xml.feedback(answer)
            answers.append(
                gift.GiftAnswer(
                    moodle_xml.clean(answer.findtext("text")),
                    moodle_xml.fraction(answer),
                    feedback,
                    feedback_format=feedback_format,
                )
            )
        return answers

    def moodle_write(self, question, element):
        moodle_xml.add_value(element, "usecase", "0")
        for a in question.answers:
            moodle_xml.add_answer(element, question, a, a.text, "moodle")

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["text"]

    def wrong_answer(self, shown):
        return "certainly not this"


KIND = ShortAnswer()
