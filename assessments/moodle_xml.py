"""Read and write question banks in Moodle XML, the format Moodle's question bank exports.

The questions read are the same ``GiftQuestion`` values GIFT reads, held to the same rules
(``gift.check_question``: what a course folder's GIFT file could not hold is refused), so a
bank moves Moodle → Courseware → GIFT or Moodle XML and back without changing meaning. Which
``<question type="…">`` a kind reads and writes, and how its answers look, is the kind's own
(``moodle_*`` in ``assessments/kinds/``); this module holds what every question shares:

    <question type="category">   sets the category of the questions after it (a path:
                                 ``$course$/top/Unit 1``); ``$course$/top`` alone is none
    <name>, <questiontext format>, <generalfeedback format>, <defaultgrade> (points),
    <idnumber>, <tags><tag><text>, and on answers <text>, fraction="…" (percent),
    format="…", <feedback format>

Text formats: ``html``, ``moodle_auto_format``, ``plain_text`` and ``markdown``; Courseware's
default (no format) is written as ``moodle_auto_format`` and read back as none.

Refused, each naming the question and the element: a question type Courseware has no kind
for (description, cloze, calculated, drag and drop…), a file embedded in base64 (``<file>``)
or a text pointing at one (``@@PLUGINFILE@@``), as questions cannot hold figures yet, and
anything ``check_question`` refuses (weights beyond 7 decimals, a single choice with no right
answer…). Moodle's interactive-mode extras are not kept: penalty, hints, combined feedback
(correct / partially correct / incorrect), answer numbering, the essay's response template; docs/moodle.md says so. The essay's grader
information is the question's rubric.

The file is read with defusedxml: a document type declaration (and so any entity, the
"billion laughs") is refused, and so are elements nested deeper than Moodle writes, a file
over ``MAX_BYTES``, and bytes that are not the encoding the file declares. Reading checks
every question before anything is written.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from assessments.gift import (
    GiftQuestion,
    Unrepresentable,
    check_question,
    effective_format,
    own_format,
    question_kinds,
    take_format,
    write_number,
    written_number,
)

MAX_BYTES = 20 * 1024 * 1024
# Moodle writes quiz/question/answer/feedback/text: 5 levels. Deeper is not a question bank.
MAX_DEPTH = 12
# Moodle's names for the text formats, and Courseware's.
READ_FORMATS = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
}
WRITTEN_FORMATS = {"": "moodle_auto_format", "moodle": "moodle_auto_format", "plain": "plain_text"}
TOP_CATEGORY = "$course$/top"
# What XML 1.0 cannot hold that Courseware's texts may (control characters are refused
# wherever text is typed): the two non-characters.
_NOT_XML = re.compile("[\ufffe\uffff]")


class MoodleXmlError(ValueError):
    """A Moodle XML file that cannot be read; the message names the question and element."""


# --- Reading -------------------------------------------------------------------------------


def parse_moodle_xml(data: bytes) -> list[GiftQuestion]:
    """Every question of a Moodle XML file, or MoodleXmlError for the first problem."""
    root = _document(data)
    if root.tag != "quiz":
        raise MoodleXmlError(f"the file holds <{root.tag}>, not <quiz>: not Moodle XML questions")
    questions = []
    category = ""
    for element in root:
        # Counted as Moodle lists them: categories are not questions.
        where = f"question {len(questions) + 1}"
        if element.tag != "question":
            raise MoodleXmlError(f"{where}: <{element.tag}> where a <question> was expected")
        qtype = element.get("type", "")
        if qtype == "category":
            category = _category(text_of(element, "category"))
            continue
        if title := text_of(element, "name"):
            where += f" “{title}”"
        try:
            questions.append(_question(element, qtype, title, category))
        except (MoodleXmlError, Unrepresentable) as problem:
            raise MoodleXmlError(f"{where}: {problem}") from None
    return questions


def _document(data: bytes) -> ET.Element:
    if len(data) > MAX_BYTES:
        raise MoodleXmlError(f"the file is larger than {MAX_BYTES // 2**20} MB")
    depth = 0
    root = None
    try:
        for event, element in iterparse(
            io.BytesIO(data), events=("start", "end"), forbid_dtd=True
        ):
            if event == "start":
                depth += 1
                root = root if root is not None else element
                if depth > MAX_DEPTH:
                    raise MoodleXmlError(
                        f"<{element.tag}> is nested {depth} elements deep: "
                        "not a Moodle XML question file"
                    )
            else:
                depth -= 1
    except MoodleXmlError:
        raise
    except DefusedXmlException:
        raise MoodleXmlError(
            "the file declares a document type or entities, which Moodle never writes: "
            "refused, as such a file can expand beyond any size"
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        raise MoodleXmlError(
            f"not valid XML at line {line}, column {column + 1}: {error.msg}"
        ) from None
    except (UnicodeError, LookupError, ValueError) as error:
        raise MoodleXmlError(f"cannot read the file's text: {error}") from None
    if root is None:
        raise MoodleXmlError("the file is empty")
    return root


def _category(path: str) -> str:
    path = path.strip()
    return "" if path.rstrip("/") in (TOP_CATEGORY, "$course$") else path


def _question(element: ET.Element, qtype: str, title: str, category: str) -> GiftQuestion:
    kind = next(
        (k for k in question_kinds().moodle_kinds(qtype) if k.moodle_claims(element)), None
    )
    if kind is None:
        raise MoodleXmlError(f'Courseware has no “{qtype}” questions (<question type="{qtype}">)')
    refuse_files(element)
    text, text_format = formatted(element, "questiontext")
    # Moodle's auto-format is Courseware's default for a question, which GIFT writes without a
    # [format]; unless the text itself starts with what reads as one.
    if text_format == "moodle" and not take_format(text)[0]:
        text_format = ""
    explanation, explanation_format = formatted(element, "generalfeedback")
    answers = kind.moodle_answers(element)
    for answer in answers:
        answer.text_format = own_format(answer.text_format, text_format, answer.text)
        if not kind.answer_text_format:
            answer.text_format = ""
        answer.feedback_format = own_format(answer.feedback_format, text_format, answer.feedback)
    question = GiftQuestion(
        kind=kind.name,
        text=text,
        text_format=text_format,
        answers=answers,
        title=title,
        explanation=explanation,
        explanation_format=own_format(explanation_format, text_format, explanation),
        category=category,
        points=number(element.find("defaultgrade"), "<defaultgrade>", default=Decimal(1)),
        tags=[tag for tag in (clean(t.text) for t in element.iterfind("tags/tag/text")) if tag],
        idnumber=clean(element.findtext("idnumber")),
        # Moodle writes grader information for essays only: the rubric of a written answer.
        rubric=text_of(element, "graderinfo"),
    )
    check_question(question)
    return question


def refuse_files(element: ET.Element) -> None:
    """Refuse a question that embeds a file or points at one: questions hold no figures."""
    for parent in element.iter():
        for child in parent:
            if child.tag == "file":
                raise MoodleXmlError(
                    f"<{parent.tag}> embeds the file “{child.get('name', '')}” (base64): "
                    "Courseware questions cannot hold images or files yet; remove it in "
                    "Moodle, or describe it in words, and export again"
                )
        if "@@PLUGINFILE@@" in (parent.text or ""):
            raise MoodleXmlError(
                f"<{parent.tag}> refers to a file of Moodle's (@@PLUGINFILE@@): Courseware "
                "questions cannot hold images or files yet"
            )


def clean(text: str | None) -> str:
    """A text as Courseware keeps it: plain newlines, no surrounding whitespace (Moodle's
    forms trim, and GIFT cannot hold it)."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def text_of(element: ET.Element, tag: str) -> str:
    return clean(element.findtext(f"{tag}/text"))


def formatted(element: ET.Element, tag: str = "") -> tuple[str, str]:
    """The ``<text>`` of ``element`` (or of its child ``tag``) and its format."""
    holder = element.find(tag) if tag else element
    if holder is None:
        return "", ""
    name = holder.get("format", "moodle_auto_format")
    if name not in READ_FORMATS:
        raise MoodleXmlError(
            f'<{holder.tag} format="{name}">: a text format Moodle does not write '
            f"(one of {', '.join(READ_FORMATS)})"
        )
    return clean(holder.findtext("text")), READ_FORMATS[name]


def number(element: ET.Element | None, what: str, *, default: Decimal | None = None) -> Decimal:
    text = "" if element is None else clean(element.text)
    if not text and default is not None:
        return default
    return read_decimal(text, what)


def read_decimal(text: str, what: str) -> Decimal:
    value = written_number(text)
    if value is None:
        raise MoodleXmlError(f"{what} {text!r} is not a number")
    return value.normalize() + 0  # 1.0000000 → 1, and never -0


def fraction(answer: ET.Element) -> Decimal:
    return read_decimal(answer.get("fraction", "0"), '<answer fraction="…">')


def feedback(answer: ET.Element) -> tuple[str, str]:
    return formatted(answer, "feedback")


# --- Writing -------------------------------------------------------------------------------


def dump_moodle_xml(
    questions: list[GiftQuestion], *, category_idnumbers: dict | None = None
) -> str:
    """The questions as a Moodle XML file, a ``<question type="category">`` wherever the
    category changes; ValueError for a question that cannot be written.

    ``category_idnumbers`` gives the ``<idnumber>`` of a category (a quiz's slug)."""
    root = ET.Element("quiz")
    category = ""  # Moodle's import starts in the category the importer picks
    for q in questions:
        try:
            check_question(q)
            if any(_NOT_XML.search(text) for text in question_texts(q)):
                raise Unrepresentable("it holds a character XML cannot hold (U+FFFE, U+FFFF)")
        except Unrepresentable as problem:
            raise ValueError(f"cannot write question {q.title or q.text!r}: {problem}") from None
        if q.category != category:
            _category_element(root, q.category, (category_idnumbers or {}).get(q.category, ""))
            category = q.category
        kind = question_kinds().kind_for(q.kind)
        element = ET.SubElement(root, "question", type=kind.moodle_type)
        add_text(element, "name", q.title)
        add_text(element, "questiontext", q.text, q.text_format)
        add_text(element, "generalfeedback", q.explanation, effective(q.explanation_format, q))
        add_value(element, "defaultgrade", write_number(q.points))
        add_value(element, "penalty", "0")
        add_value(element, "hidden", "0")
        add_value(element, "idnumber", q.idnumber)
        kind.moodle_write(q, element)
        if q.tags:
            tags = ET.SubElement(element, "tags")
            for tag in q.tags:
                add_text(tags, "tag", tag)
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def question_texts(q: GiftQuestion) -> list[str]:
    """Every text of a question: its own, its tags, its answers'."""
    texts = [q.title, q.text, q.explanation, q.category, q.idnumber, *q.tags]
    return texts + [text for a in q.answers for text in (a.text, a.feedback, a.match)]


def _category_element(root: ET.Element, category: str, idnumber: str) -> None:
    element = ET.SubElement(root, "question", type="category")
    add_text(element, "category", category or TOP_CATEGORY)
    if idnumber:
        add_value(element, "idnumber", idnumber)


def effective(text_format: str, question: GiftQuestion) -> str:
    """A text's format as Moodle XML names every one: its own, else the question's."""
    return effective_format(text_format, question.text_format)


def add_value(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = value
    return element


def add_text(
    parent: ET.Element, tag: str, text: str, text_format: str | None = None, **attributes
) -> ET.Element:
    """``<tag format="…"><text>text</text></tag>``; no format attribute when None."""
    if text_format is not None:
        attributes["format"] = WRITTEN_FORMATS.get(text_format, text_format)
    element = ET.SubElement(parent, tag, attributes)
    add_value(element, "text", text)
    return element


def add_answer(
    parent: ET.Element, q: GiftQuestion, answer, text: str, text_format: str
) -> ET.Element:
    """An ``<answer>`` with its fraction, text and feedback, each text in its format."""
    element = add_text(parent, "answer", text, text_format, fraction=write_number(answer.weight))
    add_text(element, "feedback", answer.feedback, effective(answer.feedback_format, q))
    return element
