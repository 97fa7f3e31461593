"""Essay: text written at length, read and graded by an instructor, never automatically
(``assessments.grades``); until then the attempt awaits grading."""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift, moodle_xml
from assessments.kinds.base import (
    ESSAY_MAX_LENGTH,
    AnswerEditor,
    Grade,
    QuestionKind,
    typed_text,
)


class Essay(QuestionKind):
    name = "essay"
    label = gettext_lazy("Essay (graded by an instructor)")
    position = 70
    editor = AnswerEditor(
        fields=("text",),
        max_answers=0,
        question_fields=("rubric",),
        heading=gettext_lazy("Answers (an essay has none: delete those left from another kind)"),
    )
    template = "progress/kinds/essay.html"
    hint = gettext_lazy(
        "Your instructor reads and grades this answer; your result waits for the grade."
    )
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
            raise gift.Unrepresentable(gettext("an essay question has no answers"))

    def gift_block(self, question, general):
        return "{" + general + "}"

    # Moodle XML: essay, answered in Moodle's editor; its grader information is the rubric.
    moodle_type = "essay"

    def moodle_write(self, question, element):
        for name, value in (
            ("responseformat", "editor"),
            ("responserequired", "1"),
            ("responsefieldlines", "15"),
            ("attachments", "0"),
            ("attachmentsrequired", "0"),
        ):
            moodle_xml.add_value(element, name, value)
        moodle_xml.add_text(element, "graderinfo", question.rubric, "plain")
        moodle_xml.add_text(element, "responsetemplate", "", "html")

    def right_answer(self, shown):
        return "An essay."

    def wrong_answer(self, shown):
        return ""


KIND = Essay()
