"""Numerical: a number typed, right within a tolerance of an accepted value."""

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext

from assessments.kinds.base import (
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
NUMBER_OUT_OF_BOUNDS = (
    f"Type a number between -{NUMBER_LIMIT:,} and {NUMBER_LIMIT:,}, "
    f"with at most {NUMBER_DECIMALS} decimal places."
)
# Numbers are compared in this context: exact for anything the bounds above let through,
# and for anything else (an answer saved before there were bounds, such as "1e1000000") it
# rounds, or overflows to infinity, instead of raising as the default context does.
_COMPARING = Context(prec=200, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
TYPE_A_NUMBER = "Type a number, for example 3.14 or 3,14."


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
    label = "Numerical"
    hint = TYPE_A_NUMBER
    input_type = "decimal"

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

    def right_answer(self, shown):
        return max(shown["choices"], key=lambda c: Decimal(c["weight"]))["value"]

    def wrong_answer(self, shown):
        return "-987654321"


KIND = Numerical()
