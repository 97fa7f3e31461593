"""Single choice: one of the listed choices, each weighted a percent of the points."""

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift
from assessments.kinds.base import (
    CHOICE_FIELDS,
    HUNDRED,
    WEIGHT_LABEL,
    AnswerEditor,
    Grade,
    InvalidAnswer,
    choice_id,
    feedback_of,
    fraction_score,
    listed_choices,
    listing_order,
    percent,
    weight,
    written_weight,
    wrong,
)
from assessments.kinds.choice import (
    ChoiceKind,
    gift_check_choice,
    gift_choice_answers,
    moodle_choice_answers,
    moodle_write_choices,
)
from assessments.text_formats import choice_plain_text


class SingleChoice(ChoiceKind):
    name = "single"
    label = gettext_lazy("Single choice")
    position = 10
    editor = AnswerEditor(
        fields=CHOICE_FIELDS,
        labels={"text": gettext_lazy("Choice"), "weight": WEIGHT_LABEL},
        required=("text",),
        min_answers=2,
        heading=gettext_lazy("Choices"),
    )

    def order_choices(self, choices, *, rng, shuffle):
        # Never in the order they were written: files commonly put the right answer first.
        # Shuffled first either way: choices that sort as equals must not keep file order.
        rng.shuffle(choices)
        if not shuffle:
            choices.sort(key=lambda choice: listing_order(choice.text))
        return choices

    def answer_from_public(self, shown, answer):
        return self.choice_id_of(shown, answer)

    def answer_to_public(self, shown, answer):
        if answer is None:
            return None
        return self.tokens_by_choice_id(shown).get(str(answer))

    def posted_answer(self, shown, data, slot):
        return super().posted_answer(shown, data, slot) or None

    def validate(self, shown, answer):
        picked = choice_id(answer)
        if picked is None or picked not in [
            choice_id(choice.get("id")) for choice in listed_choices(shown)
        ]:
            raise InvalidAnswer(gettext("Choose one of the options."))
        return picked

    def grade(self, *, points, choices, answer):
        choice = choices.get(choice_id(answer))
        if choice is None:
            return wrong()
        earned = percent(weight(choice))
        return Grade(
            score=fraction_score(points, earned),
            is_correct=earned == HUNDRED,
            feedback=feedback_of([choice]),
        )

    def answer_lines(self, shown, answer):
        for choice in listed_choices(shown):
            if str(choice.get("id")) == str(answer):
                return [choice_plain_text(shown, choice)]
        return []

    def key_lines(self, shown):
        return [
            choice_plain_text(shown, choice) for choice in best_of_choices(listed_choices(shown))
        ]

    # GIFT: "~" answers, one of them "=" (fully right).
    gift_order = 30

    def gift_claims(self, body):
        return "~" in body.mask and "=" in body.mask

    def gift_answers(self, body):
        return gift_choice_answers(body)

    def gift_check(self, answers):
        gift_check_choice(answers, single=True)

    def gift_answer_line(self, a):
        text, feedback = gift.written_text(a.text, a.text_format), gift.written_feedback(a)
        if a.weight == 100:
            return f"={text}{feedback}"  # Moodle reads no weight after '=' here
        # Answer text that starts with '%' gets an explicit weight so it is not read as one.
        if a.weight == 0 and not text.startswith("%"):
            return f"~{text}{feedback}"
        return f"~{gift.written_weight(a)}{text}{feedback}"

    # Moodle XML: multichoice with <single>true</single> (Moodle's default).
    moodle_type = "multichoice"

    def moodle_claims(self, element):
        return (element.findtext("single") or "true").strip().lower() in ("true", "1")

    def moodle_answers(self, element):
        return moodle_choice_answers(element)

    def moodle_write(self, question, element):
        moodle_write_choices(question, element, single=True)

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["id"]

    def wrong_answer(self, shown):
        return min(shown["choices"], key=lambda c: Decimal(c["weight"]))["id"]


def best_of_choices(choices: list[dict]) -> list[dict]:
    """The best weighted choices, if any earns something."""
    best = max((written_weight(choice) for choice in choices), default=Decimal(0))
    if best <= 0:
        return []
    return [choice for choice in choices if written_weight(choice) == best]


def best_texts(choices: list[dict]) -> list[str]:
    """The texts of the best weighted choices, as written (short answers have no format)."""
    return [choice.get("text", "") for choice in best_of_choices(choices)]


KIND = SingleChoice()
