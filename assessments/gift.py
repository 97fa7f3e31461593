"""Read and write quiz questions in Moodle's GIFT format.

Course quizzes live in ``quizzes/*.gift`` (docs/course-format.md) so question banks move
between Courseware and Moodle both ways. ``parse_gift`` follows Moodle's own importer
(``qformat_gift::readquestion`` in question/format/gift/format.php): questions are
separated by blank lines, ``//`` lines are comments, ``$CATEGORY:`` sets the category,
``::title::`` names a question, ``\\`` escapes ``~ = # { } :`` and itself, ``\\n`` is a
newline, ``[html]``/``[markdown]``/``[plain]``/``[moodle]`` before the question text sets
its format, ``####`` starts the general feedback, and the kind comes from the answer block
the way Moodle decides it:

    empty                                   essay
    starts with ``#``                       numerical
    contains ``~``                          multiple choice: ``single`` when any answer is
                                            ``=``, otherwise ``multiple`` (weights only)
    contains ``=`` and ``->``               matching
    ``T``, ``TRUE``, ``F`` or ``FALSE``     true/false
    anything else                           short answer (``=`` answers only)

This module holds the syntax every kind shares (blocks, escapes, titles, directives, weights,
feedback); which kind an answer block is, how its answers read, what makes them valid and
how they are written back are the kind's own (``gift_*`` in ``assessments/kinds/``), each
asked in turn through the registry.

Canonical layout, written by ``dump_gift`` and read back byte for byte::

    $CATEGORY: name              only where the category changes, then a blank line
    // lesson: slug#passage-2    only when set
    // points: 2                 only when not 1
    // rubric: what to look for  only when set; ``\\n`` for a line break
    ::Title::Question text{      ``::Title::`` only when there is a title
    \t=right answer#feedback     one answer per line, indented with a tab
    \t~wrong answer
    \t#### general feedback
    }

One blank line between questions, a single newline at the end. Answer lines per kind:

    single      ``=text`` (100 %), ``~text`` (0 %), ``~%w%text`` (anything else)
    multiple    ``~%w%text`` for every answer
    short       ``=text`` (100 %), ``=%w%text`` (anything else)
    numerical   the block opens with ``{#``; ``=value``, ``=value:tolerance``, ``=%w%value:…``,
                and ``~#feedback`` last for feedback on any other answer
    matching    ``=left -> right`` (an empty left side is an extra wrong right side)

True/false and essay are written inline, as Moodle's exporter does: ``Text{T}``,
``Text{F#feedback if wrong#feedback if right}``, ``Text{}``, ``Text{#### model answer}``.
A true/false question with general feedback takes the block layout, the answer on its
own line and ``#### because…`` on the next.

A missing-word question keeps its answer block in the middle of the text; the text then
holds ``_____`` where the block was, and ``dump_gift`` writes the block at the first
``_____`` (after the text when that ``_____`` ends it: Moodle only inserts the blank when
text follows the block).

Numbers are written plainly, without exponent or trailing zeros (``// points: 1.5``,
``=%33.333%``). A range ``{#1..5}`` is read as value 3, tolerance 2.

What GIFT cannot hold, so ``dump_gift`` raises ``ValueError`` rather than write a file that
reads back differently: leading or trailing whitespace in any text, and carriage returns
(Moodle trims and drops them); question text without a text format that itself starts with
``[html]``, ``[markdown]``, ``[plain]`` or ``[moodle]`` (``[`` has no escape); ``->`` in a
short answer or its feedback (Moodle would read a matching question) or in the left side of
a matching pair; a line break in a category or lesson.

Text wrapped over several lines keeps its line breaks and the indentation of its
continuation lines, as in Moodle, and is written back on one line with ``\\n``.

Text formats, as Moodle reads them: ``[html]``, ``[markdown]``, ``[plain]`` or ``[moodle]``
before the question text sets its format; before the general feedback, a choice, a matching
item or any feedback it sets that text's own format, which otherwise is the question's. A text
keeps a format of its own only where it differs from the question's (``own_format``), and
``dump_gift`` writes a ``[format]`` exactly there. Short answers keep no format (Moodle drops
it: the answer is compared with what is typed).

Tags and idnumber, as Moodle writes them: ``[tag:…]`` and ``[id:…]`` anywhere in the comment
lines of a question (``\\]`` for a ``]``), written back on one line before it:
``// [id:q1] [tag:unit-1] [tag:hard]``.

Precision kept, each refused with its line beyond it: weights to 7 decimal places (Moodle's
fractions: a third is ``%33.33333%``), points to 2, numerical values and tolerances to 10.

Refused as Moodle's question editor refuses them: a multiple choice with fewer than two
answers or no positive weight, a short-answer or numerical question with no 100 % answer, a
matching question with fewer than two pairs. Stricter than Moodle, on purpose: answers must
start with ``=`` or ``~`` (Moodle takes a bare ``{four}`` as a short answer; only the first
numerical answer may omit ``=``), a malformed ``%weight%`` is an error rather than part of
the answer text, matching pairs take no ``#`` feedback, a question without an answer block is
an error (Courseware has no description items), a ``// lesson:`` or ``// points:`` line must
directly precede a question, and a ``$CATEGORY:`` line needs a blank line after it (Moodle
would read the question into the category name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

from django.utils.translation import gettext

from assessments.limits import MAX_POINTS, POINTS_PLACES, WEIGHT_PLACES

TEXT_FORMATS = ("html", "markdown", "plain", "moodle")
BLANK = "_____"

# Moodle accepts exponents (is_numeric); capped so a value cannot make dump_gift write
# millions of digits.
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?"
_NUMBER_RE = re.compile(NUMBER)
_FORMAT_TAG_RE = re.compile(r"\[(html|markdown|plain|moodle)\]")
# Moodle's tags and idnumber, in any comment of the question: ``// [tag:x] [id:y]``, with
# ``\]`` for a ``]`` in the value; a value never runs over two lines.
_TAG_RE = re.compile(r"\[(tag|id):((?:\\\]|[^\]\n])*)\]")
_DIRECTIVE_RE = re.compile(r"//\s*(lesson|points|rubric)\s*:(.*)")
# A rubric's line breaks and backslashes, escaped to keep it on its directive's one line.
_RUBRIC_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n"})
_RUBRIC_UNESCAPE_RE = re.compile(r"\\(.)")
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\~=#{}:"} | {"\n": "\\n"})


def question_kinds():
    """The registry of question kinds (``assessments.kinds``), for reading and writing files.

    The kinds build on the file formats (this module's ``Source``, ``GiftAnswer`` and errors,
    ``moodle_xml``'s elements), so the formats ask for the registry only when a file is read
    or written, never while they load: whichever module a process imports first, each is
    whole before anything takes a name from it."""
    from assessments import kinds

    return kinds


def __getattr__(name: str):
    # KINDS, the kinds GIFT can hold, is read from the registry when asked.
    if name == "KINDS":
        registry = question_kinds().KINDS
        return tuple(name for name, kind in registry.items() if kind.gift_order is not None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class GiftError(ValueError):
    """A GIFT file that cannot be read; ``str()`` gives ``file:line: what is wrong``."""

    def __init__(self, message: str, *, line: int, source: str = "<gift>"):
        super().__init__(f"{source}:{line}: {message}")
        self.message = message
        self.line = line
        self.source = source


@dataclass
class GiftAnswer:
    text: str = ""
    weight: Decimal = Decimal(0)
    feedback: str = ""
    match: str = ""
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    # A text's own format where it differs from the question's, else "" (``own_format``).
    text_format: str = ""
    feedback_format: str = ""


@dataclass
class GiftQuestion:
    kind: str
    text: str
    answers: list[GiftAnswer]
    title: str = ""
    explanation: str = ""
    category: str = ""
    lesson: str = ""
    points: Decimal = Decimal(1)
    text_format: str = ""
    explanation_format: str = ""
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    rubric: str = ""
    line: int = field(default=0, compare=False)


def effective_format(text_format: str, question_format: str = "") -> str:
    """The format a text is in: its own, else its question's, else Moodle's default."""
    return text_format or question_format or "moodle"


def own_format(text_format: str, question_format: str, text: str = "x") -> str:
    """What is stored of a text's format: "" when it is the question's (or there is no text),
    so a question written in one format carries it once."""
    if not text or effective_format(text_format, question_format) == effective_format(
        question_format
    ):
        return ""
    return text_format


def take_format(text: str) -> tuple[str, str]:
    """A leading ``[html]``, ``[markdown]``, ``[plain]`` or ``[moodle]`` and the text after it,
    as Moodle's parse_text_with_format reads them; ("", text) without one."""
    if tag := _FORMAT_TAG_RE.match(text):
        return tag[1], text[tag.end() :].strip()
    return "", text


def tags_and_idnumber(comments: list[str]) -> tuple[list[str], str]:
    """The ``[tag:…]`` values and the ``[id:…]`` of a question's comment lines."""
    tags, idnumber = [], ""
    for name, raw in _TAG_RE.findall("\n".join(comments)):
        value = raw.replace("\\]", "]").strip()
        if not value:
            continue
        if name == "tag":
            tags.append(value)
        elif not idnumber:
            idnumber = value
    return tags, idnumber


# --- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Question source with escapes resolved.

    ``mask`` is ``text`` with every escaped character replaced by NUL, so searching the mask
    finds only characters that carry syntax; both share one index space. ``lines`` holds the
    source line of each character for error messages.
    """

    text: str
    mask: str
    lines: tuple[int, ...]
    line: int  # blamed when the span is empty

    @classmethod
    def decode(cls, numbered_lines: list[tuple[int, str]]) -> Source:
        text: list[str] = []
        mask: list[str] = []
        lines: list[int] = []
        for lineno, line in numbered_lines:
            if text:  # the line break belongs to the line it ends
                text.append("\n")
                mask.append("\n")
                lines.append(lines[-1])
            pos = 0
            while pos < len(line):
                escaped = line[pos : pos + 2]
                if len(escaped) == 2 and escaped[0] == "\\" and escaped[1] in "\\~=#{}:n":
                    text.append("\n" if escaped[1] == "n" else escaped[1])
                    mask.append("\0")
                    pos += 2
                else:
                    text.append(line[pos])
                    mask.append(line[pos])
                    pos += 1
                lines.append(lineno)
        return cls("".join(text), "".join(mask), tuple(lines), numbered_lines[0][0])

    def __getitem__(self, key: slice) -> Source:
        start = key.indices(len(self.text))[0]
        return Source(self.text[key], self.mask[key], self.lines[key], self.line_at(start))

    def line_at(self, index: int) -> int:
        return self.lines[min(index, len(self.lines) - 1)] if self.lines else self.line

    def find(self, syntax: str, start: int = 0) -> int:
        return self.mask.find(syntax, start)

    def strip(self) -> Source:
        start = len(self.text) - len(self.text.lstrip())
        return self[start : start + len(self.text.strip())]


@dataclass
class _Block:
    start: int
    lines: list[tuple[int, str]]
    category: str
    directives: dict[str, tuple[int, str]]
    comments: list[tuple[int, str]]


def parse_gift(text: str, *, source: str = "<gift>") -> list[GiftQuestion]:
    """Read every question of a GIFT file, or raise GiftError for the first problem."""
    try:
        return [_parse_question(block) for block in _blocks(text)]
    except GiftError as error:
        raise GiftError(error.message, line=error.line, source=source) from None


def _blocks(text: str):
    """Yield the lines of each question with the category and directives that apply to it."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    category = ""
    category_line = 0  # a $CATEGORY: line not yet followed by a blank line
    pending: dict[str, tuple[int, str]] = {}
    comments: list[tuple[int, str]] = []  # before the question, for its tags and idnumber
    current: _Block | None = None
    for lineno, raw in enumerate(text.split("\n"), start=1):
        # Moodle trims a line to tell what it is, and keeps a question's lines as written
        # (the indentation of <pre> text counts); answers and texts are trimmed later.
        line = raw.strip()
        if not line:
            if current:
                yield current
                current = None
            _refuse_stray_directives(pending)
            _refuse_stray_tags(comments)
            comments = []
            category_line = 0
        elif directive := _DIRECTIVE_RE.fullmatch(line):
            if current:  # a directive silently ignored would be an author's mistake
                raise GiftError(
                    f"'// {directive[1]}:' must come directly before a question", line=lineno
                )
            _read_directive(pending, directive[1], directive[2].strip(), lineno)
        elif line.startswith("//"):
            (current.comments if current else comments).append((lineno, line))
        elif line.startswith("$CATEGORY:"):
            if current:
                raise GiftError(
                    "$CATEGORY: needs a blank line before it, after the question", line=lineno
                )
            _refuse_stray_directives(pending)
            _refuse_stray_tags(comments)
            comments = []
            category = line.removeprefix("$CATEGORY:").strip()
            category_line = lineno
        elif current:
            current.lines.append((lineno, raw))
        elif category_line:  # Moodle would read the question as part of the category name
            raise GiftError(
                f"a blank line must follow the $CATEGORY: line {category_line}", line=lineno
            )
        else:
            current = _Block(lineno, [(lineno, raw)], category, pending, comments)
            pending, comments = {}, []
    if current:
        yield current
    _refuse_stray_directives(pending)
    _refuse_stray_tags(comments)


def _refuse_stray_tags(comments: list[tuple[int, str]]) -> None:
    # Moodle reads tags only from the comments of the question they stand with.
    for lineno, line in comments:
        if _TAG_RE.search(line):
            raise GiftError(
                "a [tag:…] or [id:…] comment must come directly before its question "
                "(no blank line between)",
                line=lineno,
            )


def _read_directive(pending: dict, name: str, value: str, lineno: int) -> None:
    if name in pending:
        raise GiftError(f"'// {name}:' given twice for one question", line=lineno)
    if name == "points":
        if not _NUMBER_RE.fullmatch(value):
            raise GiftError(f"points must be a number, 0 or more, not {value!r}", line=lineno)
        if problem := points_problem(Decimal(value), written=value):
            raise GiftError(problem, line=lineno)
    elif not value:
        raise GiftError(
            "'// lesson:' needs a lesson slug" if name == "lesson" else "'// rubric:' is empty",
            line=lineno,
        )
    pending[name] = (lineno, value)


def _rubric_read(value: str) -> str:
    """A rubric as written on its directive line: ``\\n`` is a line break, ``\\\\`` a
    backslash, and a backslash before anything else stands for that character."""
    return _RUBRIC_UNESCAPE_RE.sub(lambda m: "\n" if m[1] == "n" else m[1], value)


def _refuse_stray_directives(pending: dict[str, tuple[int, str]]) -> None:
    for name, (lineno, _) in pending.items():
        raise GiftError(
            f"'// {name}:' must come directly before a question (no blank line between)",
            line=lineno,
        )


def _parse_question(block: _Block) -> GiftQuestion:
    src = Source.decode(block.lines).strip()
    title = ""
    if src.mask.startswith("::"):
        end = src.find("::", 2)
        if end < 0:
            raise GiftError("the title is not closed with '::'", line=src.line)
        title = src[2:end].strip().text
        src = src[end + 2 :].strip()

    open_at, close_at = src.find("{"), src.find("}")
    if open_at < 0 and close_at < 0:
        raise GiftError(
            "no answer block {…}: Courseware has no description items; "
            "write {} for an essay question",
            line=block.start,
        )
    if close_at >= 0 and (open_at < 0 or close_at < open_at):
        raise GiftError(
            "'}' without an opening '{' (escape a literal brace as \\})",
            line=src.line_at(close_at),
        )
    if close_at < 0:
        raise GiftError(
            "'{' is not closed with '}' before the blank line that ends the question",
            line=src.line_at(open_at),
        )
    for pos, char in enumerate(src.mask):
        if char in "{}" and pos not in (open_at, close_at):
            raise GiftError(
                f"a question has one answer block; escape a literal {char} as \\{char}",
                line=src.line_at(pos),
            )

    # Moodle marks the block's place with a blank unless the block ends the question.
    after = src[close_at + 1 :].text
    text = src[:open_at].text + (BLANK + after if after else "")
    text_format = ""
    if tag := _FORMAT_TAG_RE.match(text):
        text_format, text = tag[1], text[tag.end() :]
    text = text.strip()
    if not text:
        raise GiftError("the question has no text", line=block.start)

    content = src[open_at + 1 : close_at]
    explanation = ""
    if (general_at := content.mask.rfind("####")) >= 0:
        explanation = content[general_at + 4 :].strip().text
        content = content[:general_at]
    explanation_format, explanation = take_format(explanation)
    kind, answers = _parse_answers(content.strip())
    for answer in answers:
        _take_answer_formats(question_kinds().KINDS[kind], answer, text_format)

    lesson = block.directives.get("lesson", (0, ""))[1]
    points = Decimal(block.directives.get("points", (0, "1"))[1])
    tags, idnumber = tags_and_idnumber([line for _, line in block.comments])
    rubric = _rubric_read(block.directives.get("rubric", (0, ""))[1])
    question = GiftQuestion(
        kind=kind,
        text=text,
        answers=answers,
        title=title,
        explanation=explanation,
        category=block.category,
        lesson=lesson,
        points=points,
        text_format=text_format,
        explanation_format=own_format(explanation_format, text_format, explanation),
        tags=tags,
        idnumber=idnumber,
        rubric=rubric,
        line=block.start,
    )
    try:
        check_question(question)
    except Unrepresentable as problem:
        line = block.directives.get(problem.directive, (block.start, ""))[0]
        raise GiftError(str(problem), line=line) from None
    return question


def _take_answer_formats(kind, answer: GiftAnswer, question_format: str) -> None:
    """Move a leading ``[format]`` of an answer and its feedback into their formats, as
    Moodle does; a kind whose answers are not shown as text (short answers, numbers) drops
    the answer's, as Moodle does too."""
    text_format, answer.text = take_format(answer.text)
    if kind.answer_text_format:
        answer.text_format = own_format(text_format, question_format, answer.text)
    feedback_format, answer.feedback = take_format(answer.feedback)
    answer.feedback_format = own_format(feedback_format, question_format, answer.feedback)


def _parse_answers(body: Source) -> tuple[str, list[GiftAnswer]]:
    """The kind of an answer block, as Moodle decides it (see above), and its answers: each
    kind says which blocks are its own, asked in turn."""
    for kind in question_kinds().gift_kinds():
        if kind.gift_claims(body):
            return kind.name, kind.gift_answers(body)
    raise GiftError("the answer block is no kind of question", line=body.line)


def split_answers(body: Source, markers: str) -> tuple[Source, list[tuple[str, Source]]]:
    """Cut an answer block at each unescaped marker; return what precedes the first one."""
    cuts = [pos for pos, char in enumerate(body.mask) if char in markers]
    bounds = [*cuts, len(body.text)]
    items = [(body.mask[cut], body[cut + 1 : bounds[n + 1]]) for n, cut in enumerate(cuts)]
    return body[: bounds[0]].strip(), items


def refuse_lead(lead: Source) -> None:
    if lead.text:
        raise GiftError(
            f"unexpected {lead.text!r} in the answer block: answers start with '=' or '~'",
            line=lead.line,
        )


def take_weight(item: Source) -> tuple[Decimal | None, Source]:
    item = item.strip()
    if not item.mask.startswith("%"):
        return None, item
    end = item.find("%", 1)
    if end < 0:
        raise GiftError("the answer weight is not closed with '%'", line=item.line)
    written = item[1:end]
    weight = read_number(written, "answer weight")
    if problem := weight_problem(weight, written=written.text.strip()):
        raise GiftError(problem, line=item.line)
    return weight, item[end + 1 :]


def decimal_places(value: Decimal) -> int:
    """How many decimals ``value`` needs: 2 for 1.25 and 1.2500, none for 1E+2."""
    return max(0, -value.normalize().as_tuple().exponent)


def weight_problem(weight: Decimal, *, written: str = "") -> str | None:
    """Why an answer's weight cannot be kept, or None: a percent from -100 to 100, with no
    more decimals than the database keeps (refused rather than rounded)."""
    written = written or str(weight)
    if not (weight.is_finite() and -100 <= weight <= 100):
        return f"answer weight {written}% is outside -100..100"
    places = WEIGHT_PLACES
    if decimal_places(weight) > places:
        kept = weight.quantize(Decimal(1).scaleb(-places))
        return f"answer weight {written}% has more than {places} decimal places (write {kept}%)"
    return None


def points_problem(points: Decimal, *, written: str = "") -> str | None:
    """Why a question's points cannot be kept, or None."""
    written = written or str(points)
    places, most = POINTS_PLACES, MAX_POINTS
    if not (points.is_finite() and points >= 0):
        return f"points must be a number, 0 or more, not {written}"
    if decimal_places(points) > places:
        return f"points {written} have more than {places} decimal places"
    if points > most:
        return f"points {written} are more than the {most} a question may be worth"
    return None


def refuse_places(number: Decimal, places: int, what: str, *, line: int) -> None:
    if decimal_places(number) > places:
        raise GiftError(
            f"{what} has more than {places} decimal places: Courseware keeps {places}",
            line=line,
        )


def split_feedback(item: Source) -> tuple[str, str]:
    hash_at = item.find("#")
    if hash_at < 0:
        return item.strip().text, ""
    return item[:hash_at].strip().text, item[hash_at + 1 :].strip().text


def written_number(text: str) -> Decimal | None:
    """The number ``text`` writes, as GIFT and Moodle XML files may write one (an exponent of
    at most three digits), or None: the one rule for numbers read from a file."""
    text = text.strip()
    return Decimal(text) if _NUMBER_RE.fullmatch(text) else None


def read_number(src: Source, what: str) -> Decimal:
    value = written_number(src.text)
    if value is None:
        raise GiftError(f"{what} {src.text.strip()!r} is not a number", line=src.line)
    return value


def answer_text(item: Source) -> tuple[str, str]:
    text, feedback = split_feedback(item)
    if not text:
        raise GiftError("an answer has no text", line=item.line)
    return text, feedback


# --- Validity, shared by both directions --------------------------------------------------


class Unrepresentable(ValueError):
    """A question GIFT cannot hold; ``directive`` names the ``// name:`` line at fault, if
    one is."""

    def __init__(self, message: str, *, directive: str = ""):
        super().__init__(message)
        self.directive = directive


def check_question(q: GiftQuestion) -> None:
    """Raise Unrepresentable unless q is a valid question that GIFT writes back exactly."""
    kind = question_kinds().KINDS.get(q.kind) if isinstance(q.kind, str) else None
    if kind is None:
        raise Unrepresentable(f"unknown kind {q.kind!r}")
    text_formats = [q.text_format, q.explanation_format]
    text_formats += [f for a in q.answers for f in (a.text_format, a.feedback_format)]
    if unknown := set(text_formats) - {"", *TEXT_FORMATS}:
        raise Unrepresentable(f"unknown text format {sorted(unknown)[0]!r}")
    texts = {"text": q.text, "title": q.title, "explanation": q.explanation}
    for n, a in enumerate(q.answers, start=1):
        texts |= {f"answer {n}": a.text, f"answer {n} feedback": a.feedback}
        texts |= {f"answer {n} match": a.match}
    texts |= {"category": q.category, "lesson": q.lesson, "rubric": q.rubric}
    for what, value in texts.items():
        if value != value.strip() or "\r" in value:
            raise Unrepresentable(f"{what} has surrounding whitespace or a carriage return")
    if "\n" in q.category or "\n" in q.lesson:
        raise Unrepresentable("a category or lesson must fit on one line")
    if not q.text:
        raise Unrepresentable("the question has no text")
    if not q.text_format and _FORMAT_TAG_RE.match(q.text):
        raise Unrepresentable("question text starting with a [format] tag needs a text format")
    formatted = {"general feedback": (q.explanation, q.explanation_format)}
    for n, a in enumerate(q.answers, start=1):
        formatted |= {f"answer {n}": (a.text, a.text_format)}
        formatted |= {f"answer {n} feedback": (a.feedback, a.feedback_format)}
    for what, (value, text_format) in formatted.items():
        if text_format and own_format(text_format, q.text_format, value) != text_format:
            raise Unrepresentable(f"{what} has a format but no text, or the question's format")
    for value in (*q.tags, q.idnumber):
        if value != value.strip() or "\n" in value or "\r" in value or value.endswith("\\"):
            raise Unrepresentable(f"tag or idnumber {value!r} cannot be written in a comment")
    if "" in q.tags:
        raise Unrepresentable("a tag is empty")
    if problem := points_problem(Decimal(q.points)):
        raise Unrepresentable(problem)
    if q.rubric and kind.graded_automatically:
        # Nobody grades this answer by hand, so nobody would read a rubric for it.
        raise Unrepresentable(
            "'// rubric:' is for written answers (essays), graded by a person; "
            "this question is graded by its key",
            directive="rubric",
        )
    if q.points == 0 and kind.graded_automatically:
        # A written answer worth nothing is read and commented on, and no result waits for
        # it; a question graded by its key must count for something.
        raise Unrepresentable("only a written answer (an essay) may be worth 0 points")
    for a in q.answers:
        if problem := weight_problem(Decimal(a.weight)):
            raise Unrepresentable(problem)
        if a.text_format and not kind.answer_text_format:
            raise Unrepresentable("this kind of question keeps no format for its answers")
    kind.gift_check(q.answers)


def uses_only(answers: list[GiftAnswer], *used: str) -> None:
    blank = GiftAnswer()
    for a in answers:
        for f in fields(a):
            if f.name not in used and getattr(a, f.name) != getattr(blank, f.name):
                raise Unrepresentable(f"this kind of question has no answer {f.name}")


def require_full_credit(answers: list[GiftAnswer]) -> None:
    # Moodle refuses these too ("one of the answers should have a score of 100%").
    if not any(a.weight == 100 for a in answers):
        raise Unrepresentable(gettext("no answer gives full credit (100%)"))


# --- Writing -------------------------------------------------------------------------------


def dump_gift(questions: list[GiftQuestion]) -> str:
    """Write questions in the canonical layout; ValueError for what GIFT cannot hold."""
    chunks = []
    category = ""
    for q in questions:
        try:
            check_question(q)
        except Unrepresentable as problem:
            raise ValueError(f"cannot write question {q.title or q.text!r}: {problem}") from None
        if q.category != category:
            chunks.append(f"$CATEGORY: {q.category}".rstrip())
            category = q.category
        chunks.append(_dump_question(q))
    return "\n\n".join(chunks) + "\n" if chunks else ""


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def write_number(value: Decimal) -> str:
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _dump_question(q: GiftQuestion) -> str:
    lines = []
    if q.idnumber or q.tags:
        marks = ([f"[id:{_escape_mark(q.idnumber)}]"] if q.idnumber else []) + [
            f"[tag:{_escape_mark(tag)}]" for tag in q.tags
        ]
        lines.append("// " + " ".join(marks))
    if q.lesson:
        lines.append(f"// lesson: {q.lesson}")
    if q.points != 1:
        lines.append(f"// points: {write_number(q.points)}")
    if q.rubric:
        lines.append(f"// rubric: {q.rubric.translate(_RUBRIC_ESCAPES)}")
    head = ""
    # An empty title keeps text that starts with '//' from reading as a comment.
    if q.title or (not q.text_format and q.text.startswith("//")):
        head = f"::{escape(q.title)}::"
    if q.text_format:
        head += f"[{q.text_format}]"
    before, after = q.text, ""
    blank_at = q.text.find(BLANK)
    if 0 <= blank_at < len(q.text) - len(BLANK):
        before, after = q.text[:blank_at], q.text[blank_at + len(BLANK) :]
    lines.append(head + escape(before) + _dump_block(_with_explicit_formats(q)) + escape(after))
    return "\n".join(lines)


def _escape_mark(value: str) -> str:
    return value.replace("]", "\\]")


def _with_explicit_formats(q: GiftQuestion) -> GiftQuestion:
    """``q`` with the question's format written out on the texts that start with what reads
    as a ``[format]`` tag, so that tag stays part of the text."""

    def explicit(text: str, text_format: str) -> str:
        if not text_format and _FORMAT_TAG_RE.match(text):
            return effective_format(q.text_format)
        return text_format

    answers = [
        replace(
            a,
            text_format=explicit(a.text, a.text_format),
            feedback_format=explicit(a.feedback, a.feedback_format),
        )
        for a in q.answers
    ]
    explanation_format = explicit(q.explanation, q.explanation_format)
    return replace(q, answers=answers, explanation_format=explanation_format)


def _dump_block(q: GiftQuestion) -> str:
    general = f"#### {written_text(q.explanation, q.explanation_format)}" if q.explanation else ""
    return question_kinds().kind_for(q.kind).gift_block(q, general)


def written_text(text: str, text_format: str) -> str:
    """A text as GIFT writes it: its ``[format]`` (if it has its own) and the text, escaped."""
    return (f"[{text_format}]" if text_format else "") + escape(text)


def written_feedback(a: GiftAnswer) -> str:
    return f"#{written_text(a.feedback, a.feedback_format)}" if a.feedback else ""


def written_weight(a: GiftAnswer) -> str:
    return f"%{write_number(a.weight)}%"
