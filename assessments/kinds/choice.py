"""What the kinds whose answer is picked from the listed choices share (single, true/false,
multiple): options named by tokens, ticked on the page, counted in the statistics."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from assessments import gift, moodle_xml
from assessments.kinds.base import (
    UNKNOWN_OPTION,
    Fields,
    Option,
    QuestionKind,
    choice_token,
    field_name,
    is_blank,
    listed_choices,
    written_weight,
)
from assessments.text_formats import choice_plain_text, choice_text_html


class ChoiceKind(QuestionKind):
    template = "progress/kinds/choice.html"
    answer_text_format = True
    answer_is_choice_ids = True
    input_type = "radio"

    @staticmethod
    def choice_ids_by_token(shown: dict) -> dict:
        return {choice_token(choice): choice.get("id") for choice in listed_choices(shown)}

    @staticmethod
    def tokens_by_choice_id(shown: dict) -> dict[str, str]:
        return {str(choice.get("id")): choice_token(choice) for choice in listed_choices(shown)}

    @classmethod
    def choice_id_of(cls, shown: dict, token: Any) -> Any:
        if is_blank(token):
            return token
        return cls.choice_ids_by_token(shown).get(str(token), UNKNOWN_OPTION)

    def fields(self, public, *, slot, answer):
        if isinstance(answer, list):
            chosen = {str(item) for item in answer}
        else:
            chosen = set() if answer is None else {str(answer)}
        return Fields(
            options=[
                Option(
                    id=f"{field_name(slot)}-choice-{choice['id']}",
                    value=str(choice["id"]),
                    label=choice_text_html(public, choice),
                    selected=str(choice["id"]) in chosen,
                )
                for choice in public["choices"]
            ]
        )

    def choice_tally(self, shown, picks):
        picks = dict(picks)
        rows = [
            (
                choice_plain_text(shown, choice),
                written_weight(choice) > 0,
                picks.pop(str(choice["id"]), 0),
            )
            for choice in sorted(shown["choices"], key=lambda choice: choice["id"])
        ]
        # Picked in an older version of the question, since edited away.
        return rows + [
            (gettext("A choice no longer in the question"), False, n) for n in picks.values()
        ]


def gift_choice_answers(body: "gift.Source") -> list["gift.GiftAnswer"]:
    """``=right``, ``~wrong`` and ``~%weight%text`` answers, each with its ``#feedback``."""
    lead, items = gift.split_answers(body, "=~")
    gift.refuse_lead(lead)
    answers = []
    for marker, item in items:
        if marker == "=":  # Moodle reads no %weight% after '=' in a multiple choice
            weight, rest = Decimal(100), item
        else:
            weight, rest = gift.take_weight(item)
        text, feedback = gift.answer_text(rest)
        answers.append(gift.GiftAnswer(text, Decimal(0) if weight is None else weight, feedback))
    return answers


def gift_check_choice(answers: list["gift.GiftAnswer"], *, single: bool) -> None:
    gift.uses_only(answers, "text", "weight", "feedback", "text_format", "feedback_format")
    if len(answers) < 2:
        raise gift.Unrepresentable(
            gettext("a multiple choice question needs at least two answers")
        )
    if any(not a.text for a in answers):
        raise gift.Unrepresentable(gettext("an answer has no text"))
    if single and not any(a.weight == 100 for a in answers):
        raise gift.Unrepresentable(gettext("a single-choice question needs a 100% answer"))
    if single and all(a.weight == 100 for a in answers):
        raise gift.Unrepresentable(
            gettext("every answer of the single-choice question is fully correct")
        )
    if not any(a.weight > 0 for a in answers):
        raise gift.Unrepresentable(gettext("the multiple choice question has no correct answer"))


def moodle_choice_answers(element) -> list["gift.GiftAnswer"]:
    """Moodle XML's ``<answer fraction="…" format="…"><text>…<feedback…>`` choices."""
    answers = []
    for answer in element.iterfind("answer"):
        text, text_format = moodle_xml.formatted(answer)
        feedback, feedback_format = moodle_xml.feedback(answer)
        answers.append(
            gift.GiftAnswer(
                text,
                moodle_xml.fraction(answer),
                feedback,
                text_format=text_format,
                feedback_format=feedback_format,
            )
        )
    return answers


def moodle_write_choices(question: "gift.GiftQuestion", element, *, single: bool) -> None:
    moodle_xml.add_value(element, "single", "true" if single else "false")
    moodle_xml.add_value(element, "shuffleanswers", "true")
    moodle_xml.add_value(element, "answernumbering", "abc")
    for a in question.answers:
        moodle_xml.add_answer(
            element, question, a, a.text, moodle_xml.effective(a.text_format, question)
        )
