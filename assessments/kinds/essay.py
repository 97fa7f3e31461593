"""Essay: text written at length, read and graded by an instructor, never automatically
(``assessments.grades``); until then the attempt awaits grading."""

from decimal import Decimal

from assessments import gift
from assessments.kinds.base import (
    ESSAY_MAX_LENGTH,
    Grade,
    QuestionKind,
    typed_text,
)


class Essay(QuestionKind):
    name = "essay"
    label = "Essay (graded by an instructor)"
    position = 70
    template = "progress/kinds/essay.html"
    hint = "Your instructor reads and grades this answer; your result waits for the grade."
    graded_automatically = False
    max_length = ESSAY_MAX_LENGTH

    def validate(self, shown, answer):
        return typed_text(answer, limit=ESSAY_MAX_LENGTH)

    def grade(self, *, points, choices, answer):
        return Grade(score=Decimal("0.00"), is_correct=None)

    def answer_lines(self, shown, answer):
        return [str(answer)]

    def key_lines(self, shown):
        return []

    # GIFT: an empty block, {} or {#### model answer}, written inline.
    gift_order = 10

    def gift_claims(self, body):
        return not body.text

    def gift_answers(self, body):
        return []

    def gift_check(self, answers):
        if answers:
            raise gift.Unrepresentable("an essay question has no answers")

    def gift_block(self, question, general):
        return "{" + general + "}"

    def right_answer(self, shown):
        return "An essay."

    def wrong_answer(self, shown):
        return ""


KIND = Essay()
