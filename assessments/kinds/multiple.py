"""Multiple answer: any of the listed choices; their weights add up, 100 % is full marks."""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift
from assessments.kinds.base import (
    HUNDRED,
    Grade,
    InvalidAnswer,
    choice_id,
    feedback_of,
    field_name,
    fraction_score,
    listed_choices,
    percent,
    weight,
    written_weight,
    wrong,
)
from assessments.kinds.choice import gift_check_choice, moodle_write_choices
from assessments.kinds.single import SingleChoice
from assessments.text_formats import choice_plain_text


class MultipleAnswer(SingleChoice):
    name = "multiple"
    label = gettext_lazy("Multiple answer")
    position = 20
    hint = gettext_lazy("Choose all that apply.")
    input_type = "checkbox"

    def answer_from_public(self, shown, answer):
        if not isinstance(answer, list):
            return answer
        return [self.choice_id_of(shown, token) for token in answer]

    def answer_to_public(self, shown, answer):
        if not isinstance(answer, list):
            return answer
        tokens = self.tokens_by_choice_id(shown)
        return [tokens.get(str(item)) for item in answer]

    def posted_answer(self, shown, data, slot):
        name = field_name(slot)
        # Browsers post nothing for a set of checkboxes left unticked.
        return data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])

    def fields_posted(self, slot, answer):
        return {field_name(slot): list(answer)}

    def validate(self, shown, answer):
        choice_ids = [choice_id(choice.get("id")) for choice in listed_choices(shown)]
        items = answer if isinstance(answer, list) else [answer]
        selected = {choice_id(item) for item in items}
        if not selected <= set(choice_ids):
            raise InvalidAnswer(gettext("Choose from the options shown."))
        return [picked for picked in choice_ids if picked in selected]

    def grade(self, *, points, choices, answer):
        if not isinstance(answer, list):
            return wrong()
        ids = [choice_id(item) for item in answer]
        if any(picked not in choices for picked in ids):
            return wrong()
        # A choice ticked twice (a replayed request) counts once.
        selected = [choices[picked] for picked in dict.fromkeys(ids)]
        earned = percent(sum((weight(choice) for choice in selected), Decimal(0)))
        return Grade(
            score=fraction_score(points, earned),
            is_correct=earned == HUNDRED,
            feedback=feedback_of(selected),
        )

    def answer_lines(self, shown, answer):
        ticked = {str(item) for item in answer} if isinstance(answer, list) else set()
        return [
            choice_plain_text(shown, choice)
            for choice in listed_choices(shown)
            if str(choice.get("id")) in ticked
        ]

    def key_lines(self, shown):
        return [
            choice_plain_text(shown, choice)
            for choice in listed_choices(shown)
            if written_weight(choice) > 0
        ]

    # GIFT: "~%weight%" answers only, no "=".
    def gift_claims(self, body):
        return "~" in body.mask and "=" not in body.mask

    def gift_check(self, answers):
        gift_check_choice(answers, single=False)

    def gift_answer_line(self, a):
        text = gift.written_text(a.text, a.text_format)
        return f"~{gift.written_weight(a)}{text}{gift.written_feedback(a)}"

    # Moodle XML: multichoice with <single>false</single>.
    def moodle_claims(self, element):
        return not super().moodle_claims(element)

    def moodle_write(self, question, element):
        moodle_write_choices(question, element, single=False)

    def right_answer(self, shown):
        return [c["id"] for c in shown["choices"] if Decimal(c["weight"]) > 0]

    def wrong_answer(self, shown):
        return [c["id"] for c in shown["choices"] if Decimal(c["weight"]) <= 0]


KIND = MultipleAnswer()
