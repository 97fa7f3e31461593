"""Matching: each item (a choice's text, the left side) paired with one of the right sides.

Stored answer: ``{"<left choice id>": "<right side text>"}``. Choices without a left side are
Moodle's extra wrong right sides, not items.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext, gettext_lazy

from assessments import gift, moodle_xml
from assessments.kinds.base import (
    CENT,
    UNKNOWN_OPTION,
    AnswerEditor,
    Fields,
    Grade,
    InvalidAnswer,
    MatchItem,
    Option,
    QuestionKind,
    choice_token,
    draw_tokens,
    field_name,
    is_blank,
    listed_choices,
    listing_order,
    wrong,
)
from assessments.text_formats import choice_plain_text, choice_text_html

PICK_EACH = gettext_lazy("Pick an answer from the list for each item.")


def left_items(shown: dict) -> list[dict]:
    # Matching choices without a left side are extra wrong answers, not items.
    return [choice for choice in listed_choices(shown) if choice.get("text")]


def option_tokens(shown: dict) -> dict[str, str]:
    """Each right side's text and its token."""
    options = shown.get("options") or []
    tokens = shown.get("option_tokens") or options
    return dict(zip(options, tokens, strict=False))


class Matching(QuestionKind):
    name = "matching"
    label = gettext_lazy("Matching")
    position = 60
    editor = AnswerEditor(
        fields=("text", "text_format", "match_text"),
        labels={
            "text": gettext_lazy("Item (left side)"),
            "match_text": gettext_lazy("Its match (right side)"),
        },
        # A pair without an item is allowed (a wrong match more), never one without a match.
        required=("match_text",),
        min_answers=2,
        # Every pair is worth the same share: Moodle gives no pair a weight of its own.
        fixed={"weight": 100},
        heading=gettext_lazy("Matching pairs (a pair without an item adds a wrong match)"),
    )
    template = "progress/kinds/matching.html"
    answer_text_format = True
    hint = gettext_lazy("Choose the matching answer for each item.")

    def snapshot_extras(self, snapshot, *, rng, shuffle):
        # Distinct right sides (two lefts may share one; Moodle's extra wrong answers have no
        # left side). Unshuffled they are sorted, never listed in the order of their lefts,
        # which would give the key away.
        options = list(dict.fromkeys(c["match"] for c in snapshot["choices"] if c["match"]))
        if shuffle:
            rng.shuffle(options)
        else:
            options.sort(key=listing_order)
        return {"options": options, "option_tokens": draw_tokens(len(options), rng)}

    def public_view(self, shown, public):
        return {
            **public,
            "choices": [choice for choice in public["choices"] if choice.get("text")],
            "options": [
                {"id": token, "text": text} for text, token in option_tokens(shown).items()
            ],
        }

    def answer_from_public(self, shown, answer):
        if not isinstance(answer, dict):
            return answer
        ids = {choice_token(choice): choice.get("id") for choice in listed_choices(shown)}
        texts = {token: text for text, token in option_tokens(shown).items()}
        return {
            str(ids[left]) if left in ids else UNKNOWN_OPTION: (
                right if is_blank(right) else texts.get(str(right), UNKNOWN_OPTION)
            )
            for left, right in answer.items()
        }

    def answer_to_public(self, shown, answer):
        if not isinstance(answer, dict):
            return answer
        tokens = {str(choice.get("id")): choice_token(choice) for choice in listed_choices(shown)}
        options = option_tokens(shown)
        return {tokens.get(left): options.get(right) for left, right in answer.items()}

    def posted_answer(self, shown, data, slot):
        return {
            choice_token(left): data.get(field_name(slot, choice_token(left)), "")
            for left in left_items(shown)
        }

    def fields_posted(self, slot, answer):
        return {field_name(slot, left): right for left, right in answer.items()}

    def validate(self, shown, answer):
        if not isinstance(answer, dict):
            raise InvalidAnswer(PICK_EACH)
        lefts = [str(choice["id"]) for choice in left_items(shown)]
        options = set(shown.get("options", []))
        cleaned = {}
        for key, value in answer.items():
            if str(key) not in lefts or (value not in options and not is_blank(value)):
                raise InvalidAnswer(PICK_EACH)
            if not is_blank(value):
                cleaned[str(key)] = value
        # Stored in the order the items were shown.
        return {left: cleaned[left] for left in lefts if left in cleaned} or None

    def grade(self, *, points, choices, answer):
        if not isinstance(answer, dict):
            return wrong()
        pairs = {str(key): choice for key, choice in choices.items() if choice.get("text")}
        if not pairs or any(
            key not in pairs or not isinstance(v, str) for key, v in answer.items()
        ):
            return wrong()
        right = sum(
            1
            for key, choice in pairs.items()
            if key in answer
            and isinstance(choice.get("match"), str)
            and " ".join(answer[key].split()) == " ".join(choice["match"].split())
        )
        score = (points * right / len(pairs)).quantize(CENT, rounding=ROUND_HALF_UP)
        return Grade(score=score, is_correct=right == len(pairs))

    def fields(self, public, *, slot, answer):
        picked = answer if isinstance(answer, dict) else {}
        return Fields(
            items=[
                MatchItem(
                    id=f"{field_name(slot)}-item-{left['id']}",
                    name=field_name(slot, left["id"]),
                    label=choice_text_html(public, left),
                    options=[
                        Option(
                            id="",
                            value=option["id"],
                            label=option["text"],
                            selected=picked.get(left["id"]) == option["id"],
                        )
                        for option in public.get("options", [])
                    ],
                )
                for left in public["choices"]
            ]
        )

    def field_names(self, slot, fields):
        return [item.name for item in fields.items]

    def answer_lines(self, shown, answer):
        pairs = answer if isinstance(answer, dict) else {}
        return [
            f"{choice_plain_text(shown, left)} → {pairs[str(left['id'])]}"
            for left in left_items(shown)
            if pairs.get(str(left["id"]))
        ]

    def key_lines(self, shown):
        return [
            f"{choice_plain_text(shown, left)} → {left.get('match', '')}"
            for left in left_items(shown)
        ]

    # GIFT: "=left -> right" pairs (an empty left side is an extra wrong right side).
    gift_order = 40

    def gift_claims(self, body):
        return "=" in body.mask and "->" in body.mask

    def gift_answers(self, body):
        lead, items = gift.split_answers(body, "=")
        gift.refuse_lead(lead)
        answers = []
        for _, item in items:
            arrow = item.find("->")
            if arrow < 0:
                raise gift.GiftError(
                    "a matching pair needs '->' between its two sides", line=item.line
                )
            if item.find("#") >= 0:
                raise gift.GiftError(
                    "matching pairs take no feedback (escape # as \\#)", line=item.line
                )
            right = item[arrow + 2 :].strip().text
            if not right:
                raise gift.GiftError("a matching pair has nothing after '->'", line=item.line)
            answers.append(gift.GiftAnswer(item[:arrow].strip().text, Decimal(100), match=right))
        return answers

    def gift_check(self, answers):
        gift.uses_only(answers, "text", "weight", "match", "text_format")
        if any(a.weight != 100 for a in answers):
            raise gift.Unrepresentable(gettext("matching pairs always have weight 100"))
        if any(not a.match for a in answers):
            raise gift.Unrepresentable(gettext("a matching pair has no right side"))
        if any("->" in a.text for a in answers):
            raise gift.Unrepresentable(
                gettext("the left side of a matching pair cannot contain '->'")
            )
        if sum(1 for a in answers if a.text) < 2:
            raise gift.Unrepresentable(gettext("a matching question needs at least two pairs"))

    def gift_answer_line(self, a):
        return f"={gift.written_text(a.text, a.text_format)} -> {gift.escape(a.match)}"

    # Moodle XML: matching, a <subquestion> per item with its <answer> (no text: an extra
    # wrong right side).
    moodle_type = "matching"
    moodle_aliases = ("match",)

    def moodle_answers(self, element):
        answers = []
        for item in element.iterfind("subquestion"):
            text, text_format = moodle_xml.formatted(item)
            right = moodle_xml.clean(item.findtext("answer/text"))
            answers.append(
                gift.GiftAnswer(text, Decimal(100), match=right, text_format=text_format)
            )
        return answers

    def moodle_write(self, question, element):
        moodle_xml.add_value(element, "shuffleanswers", "true")
        for a in question.answers:
            item = moodle_xml.add_text(
                element, "subquestion", a.text, moodle_xml.effective(a.text_format, question)
            )
            moodle_xml.add_text(item, "answer", a.match)

    def right_answer(self, shown):
        return {str(c["id"]): c["match"] for c in shown["choices"] if c["text"]}

    def wrong_answer(self, shown):
        lefts = left_items(shown)
        # Every left gets the right side of its neighbour.
        return {str(c["id"]): lefts[(i + 1) % len(lefts)]["match"] for i, c in enumerate(lefts)}


KIND = Matching()
