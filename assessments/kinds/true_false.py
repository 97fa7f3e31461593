"""True/false: a single choice between True and False, always listed in that order."""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift, moodle_xml
from assessments.kinds.base import WEIGHT_LABEL, AnswerEditor
from assessments.kinds.single import SingleChoice

_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class TrueFalse(SingleChoice):
    name = "true_false"
    label = gettext_lazy("True/false")
    position = 30
    editor = AnswerEditor(
        fields=("text", "weight", "feedback", "feedback_format"),
        labels={"text": gettext_lazy("Answer"), "weight": WEIGHT_LABEL},
        required=("text",),
        min_answers=2,
        max_answers=2,
        starting_rows=({"text": "True", "weight": 100}, {"text": "False", "weight": 0}),
        heading=gettext_lazy("True and False: the right one is graded 100"),
    )

    def order_choices(self, choices, *, rng, shuffle):
        return choices

    # GIFT: {T}, {FALSE#feedback if wrong#feedback if right}, written inline as Moodle does.
    gift_order = 50

    def gift_claims(self, body):
        return _head(body) in _TRUE_FALSE

    def gift_answers(self, body):
        correct = _TRUE_FALSE[_head(body)]
        # {T#fb1#fb2}: fb1 is for a learner who answers wrong, fb2 for one who answers right
        # (Moodle's split_truefalse_comment); each answer carries what its picker sees.
        wrong = right = ""
        if (first := body.find("#")) >= 0:
            wrong, right = gift.split_feedback(body[first + 1 :])
        true = gift.GiftAnswer("True", Decimal(100 if correct else 0), right if correct else wrong)
        false = gift.GiftAnswer(
            "False", Decimal(0 if correct else 100), wrong if correct else right
        )
        return [true, false]

    def gift_check(self, answers):
        gift.uses_only(answers, "text", "weight", "feedback", "feedback_format")
        texts, weights = [a.text for a in answers], {a.weight for a in answers}
        if texts != ["True", "False"] or weights != {0, 100}:
            raise gift.Unrepresentable(
                gettext("true/false needs answers True and False, one weighted 100")
            )

    def gift_block(self, question, general):
        true, false = question.answers
        right, wrong = (true, false) if true.weight == 100 else (false, true)
        parts = [
            "T" if right is true else "F",
            gift.written_text(wrong.feedback, wrong.feedback_format),
            gift.written_text(right.feedback, right.feedback_format),
        ]
        while not parts[-1]:
            parts.pop()
        if not general:
            return "{" + "#".join(parts) + "}"
        # One answer per line, as in the other block layouts, keeps long feedback readable.
        return "{\n\t" + "#".join(parts) + "\n\t" + general + "\n}"

    # Moodle XML: truefalse, an <answer> "true" and one "false", in either order.
    moodle_type = "truefalse"

    def moodle_claims(self, element):
        return True

    def moodle_answers(self, element):
        found = {}
        for answer in element.iterfind("answer"):
            text = moodle_xml.clean(answer.findtext("text")).lower()
            if text not in ("true", "false") or text in found:
                break
            found[text] = answer
        else:
            if len(found) == 2:
                return [
                    _moodle_answer("True", found["true"]),
                    _moodle_answer("False", found["false"]),
                ]
        raise moodle_xml.MoodleXmlError(
            "a true/false question has two <answer>s, “true” and “false”"
        )

    def moodle_write(self, question, element):
        for a in question.answers:
            moodle_xml.add_answer(element, question, a, a.text.lower(), "moodle")


def _moodle_answer(text: str, answer) -> "gift.GiftAnswer":
    feedback, feedback_format = moodle_xml.feedback(answer)
    return gift.GiftAnswer(
        text, moodle_xml.fraction(answer), feedback, feedback_format=feedback_format
    )


def _head(body: "gift.Source") -> str:
    hash_at = body.find("#")
    return body[: hash_at if hash_at >= 0 else len(body.text)].strip().text


KIND = TrueFalse()
