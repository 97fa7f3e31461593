"""Numerical: a number typed, right within a tolerance of an accepted value."""

import re
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext

from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy

from assessments import gift, moodle_xml
from assessments.kinds.base import (
    WEIGHT_LABEL,
    AnswerEditor,
    Grade,
    InvalidAnswer,
    QuestionKind,
    best_of,
    feedback_of,
    to_decimal,
    written_weight,
    wrong,
)

# The numbers a learner may save. Within these bounds an answer has at most 25 digits, so it
# compares exactly with any key the Choice columns hold (30 digits, 10 of them decimals:
# ``Choice.numeric_value`` is declared with these decimal places).
NUMBER_LIMIT = Decimal(10) ** 15
NUMBER_DECIMALS = 10
# What a key may be: the columns' 20 digits before the point.
VALUE_LIMIT = Decimal(10) ** 20
NUMBER_OUT_OF_BOUNDS = lazy(
    lambda: (
        gettext(
            "Type a number between -%(limit)s and %(limit)s, with at most %(decimals)s decimal places."
        )
        % {
            "limit": formats.number_format(NUMBER_LIMIT, force_grouping=True),
            "decimals": NUMBER_DECIMALS,
        }
    ),
    str,
)()
# Numbers are compared in this context: exact for anything the bounds above let through,
# and for anything else (an answer saved before there were bounds, such as "1e1000000") it
# rounds, or overflows to infinity, instead of raising as the default context does.
_COMPARING = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
_RANGE_RE = re.compile(rf"({gift.NUMBER})\s*\.\.\s*({gift.NUMBER})")
TYPE_A_NUMBER = gettext_lazy("Type a number, for example 3.14 or 3,14.")


def parse_number(typed) -> Decimal | None:
    """The number a learner typed, or None. Accepts "3,14", " 3.14 ", "−2", "1e3"."""
    if isinstance(typed, bool):
        return None
    if isinstance(typed, int | float):
        typed = str(typed)
    if not isinstance(typed, str):
        return None
    text = typed.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    if "," in text:
        if "." in text or text.count(",") > 1:
            return None  # "1,000.5" or "1,000,000": ambiguous, ask again rather than guess
        text = text.replace(",", ".")
    if not text or len(text) > 100:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None  # "NaN", "Infinity"
    return number


def _decimal_places(number: Decimal) -> int:
    """Decimals that count: 3.1400 has two. Read from the digits, so no context can overflow."""
    _, digits, exponent = number.as_tuple()
    if not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def number_within_bounds(number: Decimal) -> bool:
    """Whether a learner may save ``number``: see NUMBER_LIMIT."""
    return number.copy_abs() < NUMBER_LIMIT and _decimal_places(number) <= NUMBER_DECIMALS


def _within(number: Decimal, value: Decimal, tolerance: Decimal) -> bool:
    with localcontext(_COMPARING):
        return abs(number - value) <= abs(tolerance)


class Numerical(QuestionKind):
    name = "numerical"
    label = gettext_lazy("Numerical")
    position = 50
    editor = AnswerEditor(
        fields=("numeric_value", "tolerance", "weight", "feedback", "feedback_format"),
        labels={
            "numeric_value": gettext_lazy("Value"),
            "tolerance": gettext_lazy("Tolerance (±)"),
            "weight": WEIGHT_LABEL,
        },
        min_answers=1,
        heading=gettext_lazy(
            "Accepted values (a last row without a value gives feedback to any other)"
        ),
    )
    hint = TYPE_A_NUMBER
    input_type = "decimal"

    choices_shown = False

    def public_view(self, shown, public):
        # The accepted values themselves are the key.
        return {**public, "choices": []}

    def validate(self, shown, answer):
        number = parse_number(answer)
        if number is None:
            raise InvalidAnswer(TYPE_A_NUMBER)
        if not number_within_bounds(number):
            raise InvalidAnswer(NUMBER_OUT_OF_BOUNDS)
        return str(answer).strip()

    def grade(self, *, points, choices, answer):
        number = parse_number(answer)
        if number is None:
            return wrong()
        matching, others = [], []
        for choice in choices.values():
            if choice.get("value") is None:
                others.append(choice)  # GIFT's "~#feedback": what any other answer gets told
                continue
            value = to_decimal(choice["value"], default=None)
            if value is not None and _within(number, value, to_decimal(choice.get("tolerance"))):
                matching.append(choice)
        if not matching:
            return Grade(score=Decimal("0.00"), is_correct=False, feedback=feedback_of(others))
        return best_of(points, matching)

    def answer_lines(self, shown, answer):
        return [str(answer)]

    def key_lines(self, shown):
        valued = [c for c in shown.get("choices", []) if c.get("value") is not None]
        best = max((written_weight(choice) for choice in valued), default=Decimal(0))
        if best <= 0:
            return []
        lines = []
        for choice in valued:
            if written_weight(choice) == best:
                tolerance = choice.get("tolerance")
                plus_minus = f" (± {tolerance})" if tolerance not in (None, "", "0") else ""
                lines.append(f"{choice['value']}{plus_minus}")
        return lines

    # GIFT: the block opens with "{#"; "=value:tolerance" answers, "~#feedback" last.
    gift_order = 20
    gift_opener = "{#"

    def gift_claims(self, body):
        return body.mask.startswith("#")

    def gift_answers(self, body):
        body = body[1:]
        lead, items = gift.split_answers(body, "=~")
        if lead.text:  # Moodle's own example, {#1822:5}, has no '=' before the first answer
            items.insert(0, ("=", lead))
        answers = []
        for n, (marker, item) in enumerate(items):
            if marker == "~":
                if n != len(items) - 1:
                    raise gift.GiftError(
                        "'~#feedback' for other answers must come last", line=item.line
                    )
                spec, feedback = gift.split_feedback(item)
                if spec:
                    raise gift.GiftError(
                        "'~' in a numerical question takes only '#feedback'", line=item.line
                    )
                answers.append(gift.GiftAnswer(feedback=feedback))
                continue
            weight, rest = gift.take_weight(item)
            hash_at = rest.find("#")
            spec = rest[: hash_at if hash_at >= 0 else len(rest.text)]
            feedback = rest[hash_at + 1 :].strip().text if hash_at >= 0 else ""
            value, tolerance = _gift_value(spec)
            weight = Decimal(100) if weight is None else weight
            answers.append(
                gift.GiftAnswer(weight=weight, feedback=feedback, value=value, tolerance=tolerance)
            )
        return answers

    def gift_check(self, answers):
        gift.uses_only(answers, "weight", "feedback", "value", "tolerance", "feedback_format")
        valued = [a for a in answers if a.value is not None]
        others = [a for a in answers if a.value is None]
        if others and (len(others) > 1 or answers[-1] is not others[0]):
            raise gift.Unrepresentable(
                gettext("feedback for other answers ('~#…') comes once, last")
            )
        if any(a.weight != 0 or a.tolerance != 0 for a in others):
            raise gift.Unrepresentable(
                gettext("feedback for other answers ('~#…') has no weight or tolerance")
            )
        if not valued:
            raise gift.Unrepresentable(
                gettext("a numerical question needs at least one answer value")
            )
        if not all(
            Decimal(a.value).is_finite() and Decimal(a.tolerance).is_finite() for a in valued
        ):
            raise gift.Unrepresentable(gettext("numerical values must be finite"))
        if any(a.tolerance < 0 for a in valued):
            raise gift.Unrepresentable(gettext("a numerical tolerance is negative"))
        for a in valued:
            for what, number in ((gettext("value"), a.value), (gettext("tolerance"), a.tolerance)):
                if abs(number) >= VALUE_LIMIT or gift.decimal_places(number) > NUMBER_DECIMALS:
                    raise gift.Unrepresentable(
                        gettext(
                            "numerical %(what)s %(number)s is beyond what Courseware keeps: "
                            "below 10^20, %(decimals)s decimal places"
                        )
                        % {"what": what, "number": number, "decimals": NUMBER_DECIMALS}
                    )
        gift.require_full_credit(valued)

    def gift_answer_line(self, a):
        feedback = gift.written_feedback(a)
        if a.value is None:
            return "~" + feedback
        tolerance = f":{gift.write_number(a.tolerance)}" if a.tolerance else ""
        weight = "" if a.weight == 100 else gift.written_weight(a)
        return f"={weight}{gift.write_number(a.value)}{tolerance}{feedback}"

    # Moodle XML: numerical, an <answer> per value with its <tolerance>, "*" for any other.
    moodle_type = "numerical"

    def moodle_answers(self, element):
        for unit in element.iterfind("units/unit"):
            if moodle_xml.clean(unit.findtext("unit_name")):
                raise moodle_xml.MoodleXmlError(
                    "<units>: Courseware numerical questions have no units; remove them in "
                    "Moodle (or put the unit in the question text) and export again"
                )
        answers = []
        for answer in element.iterfind("answer"):
            text = moodle_xml.clean(answer.findtext("text"))
            feedback, feedback_format = moodle_xml.feedback(answer)
            weight = moodle_xml.fraction(answer)
            other = gift.GiftAnswer(
                weight=weight, feedback=feedback, feedback_format=feedback_format
            )
            if text != "*":
                other.value = moodle_xml.read_decimal(text, "the <answer> value")
                other.tolerance = moodle_xml.number(
                    answer.find("tolerance"), "<tolerance>", default=Decimal(0)
                )
            answers.append(other)
        return answers

    def moodle_write(self, question, element):
        for a in question.answers:
            value = "*" if a.value is None else gift.write_number(a.value)
            answer = moodle_xml.add_answer(element, question, a, value, "moodle")
            moodle_xml.add_value(answer, "tolerance", gift.write_number(a.tolerance))
        for name, value in (("unitgradingtype", "0"), ("unitpenalty", "0.1"), ("showunits", "3")):
            moodle_xml.add_value(element, name, value)
        moodle_xml.add_value(element, "unitsleft", "0")

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["value"]

    def wrong_answer(self, shown):
        return "-987654321"


def _gift_value(spec: "gift.Source") -> tuple[Decimal, Decimal]:
    """``value``, ``value:tolerance`` or the range ``low..high``."""
    if bounds := _RANGE_RE.fullmatch(spec.text.strip()):
        low, high = Decimal(bounds[1]), Decimal(bounds[2])
        if low > high:
            raise gift.GiftError(f"range {low}..{high} runs backwards", line=spec.line)
        middle = (low + high) / 2
        return _kept(middle, high - middle, spec)
    colon = spec.find(":")
    if colon < 0:
        return _kept(gift.read_number(spec, "numerical answer"), Decimal(0), spec)
    value = gift.read_number(spec[:colon], "numerical answer")
    tolerance = gift.read_number(spec[colon + 1 :], "tolerance")
    if tolerance < 0:
        raise gift.GiftError(f"tolerance {tolerance} is negative", line=spec.line)
    return _kept(value, tolerance, spec)


def _kept(value: Decimal, tolerance: Decimal, spec: "gift.Source") -> tuple[Decimal, Decimal]:
    """The value and tolerance, if the columns hold them exactly, else ``GiftError``."""
    for what, number in (("numerical answer", value), ("tolerance", tolerance)):
        if abs(number) >= VALUE_LIMIT:
            raise gift.GiftError(f"{what} {number} is too large", line=spec.line)
        gift.refuse_places(number, NUMBER_DECIMALS, f"{what} {number}", line=spec.line)
    return value, tolerance


KIND = Numerical()
