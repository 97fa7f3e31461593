"""Moodle XML question banks: read as Moodle writes them, written as Moodle reads them, and
hostile files refused whole."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessments.gift import dump_gift, parse_gift, take_format
from assessments.moodle_xml import (
    MAX_DEPTH,
    MoodleXmlError,
    dump_moodle_xml,
    parse_moodle_xml,
    question_texts,
)
from assessments.tests.test_gift import questions as gift_questions

D = Decimal
EXAMPLES = Path(__file__).parent / "moodle" / "documented_examples.xml"
DEFAULT = "$course$/top/Default for Documented examples"


def read(xml: str) -> list:
    return parse_moodle_xml(xml.encode())


def one_question(body: str, qtype: str = "multichoice") -> str:
    return f'<quiz><question type="{qtype}"><name><text>Q</text></name>{body}</question></quiz>'


def test_the_documented_examples_read_as_moodle_wrote_them():
    questions = parse_moodle_xml(EXAMPLES.read_bytes())

    assert [(q.kind, q.title, q.category) for q in questions] == [
        ("single", "Name of question", DEFAULT),
        ("multiple", "Three right of four", DEFAULT),
        ("true_false", "Moodle acronym (False)", DEFAULT),
        ("short", "Shortanswer", f"{DEFAULT}/Typed answers"),
        ("numerical", "Grant's birth", f"{DEFAULT}/Typed answers"),
        ("matching", "Moodle activities", DEFAULT),
        ("essay", "Kappa Essay Question", DEFAULT),
    ]
    single, multiple, true_false, short, numerical, matching, essay = questions
    assert (single.text, single.text_format) == (
        "<p>What is the answer to this question?</p>",
        "html",
    )
    assert (single.idnumber, single.tags) == ("mc-1", ["documented", "multiple choice"])
    # Each text keeps its format where it differs from the question's.
    assert [(a.text_format, a.feedback, a.feedback_format) for a in single.answers] == [
        ("", "Correct!", ""),
        ("", "Ooops!", "plain"),
        ("markdown", "Ooops!", ""),
    ]
    assert [a.weight for a in multiple.answers] == [
        D("33.33333"),
        D("33.33333"),
        D("33.33334"),
        D(-100),
    ]
    assert multiple.points == 2
    assert [(a.text, a.weight) for a in true_false.answers] == [("True", 0), ("False", 100)]
    assert [(a.text, a.weight) for a in short.answers] == [("Frog", 100), ("Cat", 50), ("*", 0)]
    assert [(a.value, a.tolerance, a.weight, a.feedback_format) for a in numerical.answers] == [
        (D(1822), D(0), D(100), "html"),
        (D(1822), D(2), D(50), ""),
        (None, D(0), D(0), ""),
    ]
    assert [(a.text_format, a.match) for a in matching.answers] == [
        ("", "Forum"),
        ("moodle", "Choice"),
        ("plain", "Database"),
        ("", "Chat"),
    ]
    assert (essay.explanation, essay.explanation_format) == (
        "A *good* answer names two reasons.",
        "markdown",
    )


def test_the_documented_examples_are_written_back_equivalently():
    questions = parse_moodle_xml(EXAMPLES.read_bytes())

    written = dump_moodle_xml(questions)

    assert parse_moodle_xml(written.encode()) == questions
    assert dump_moodle_xml(parse_moodle_xml(written.encode())) == written
    # And through GIFT, the course folder's format, nothing changes either.
    assert parse_gift(dump_gift(questions)) == [replace(q, line=0) for q in questions]


def test_the_written_file_is_what_moodle_imports():
    [question] = parse_gift("::Q::[html]<b>Pick</b>{=a#[markdown]*yes* ~%-50%[plain]b}")

    written = dump_moodle_xml([question])

    assert written.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    assert '<question type="multichoice">' in written
    assert "<text>&lt;b&gt;Pick&lt;/b&gt;</text>" in written
    assert '<answer fraction="-50" format="plain_text">' in written
    assert '<feedback format="markdown">' in written
    assert "<single>true</single>" in written


# --- What Courseware cannot hold -------------------------------------------------------------

REFUSED = {
    "description": (
        one_question("<questiontext><text>Read this.</text></questiontext>", "description"),
        "question 1 “Q”: Courseware has no “description” questions",
    ),
    "cloze": (
        one_question("<questiontext><text>{1:SA:=x}</text></questiontext>", "multianswer"),
        "no “multianswer” questions",
    ),
    "a base64 image": (
        one_question(
            '<questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/a.png">]]>'
            '</text><file name="a.png" encoding="base64">iVBORw0K</file></questiontext>'
        ),
        "<questiontext> embeds the file “a.png” (base64)",
    ),
    "a file reference": (
        one_question(
            "<questiontext><text>x</text></questiontext><answer fraction='100'>"
            '<text>&lt;img src="@@PLUGINFILE@@/b.png"&gt;</text></answer>'
        ),
        "<text> refers to a file of Moodle's (@@PLUGINFILE@@)",
    ),
    "case-sensitive short answers": (
        one_question(
            "<questiontext><text>x</text></questiontext><usecase>1</usecase>"
            "<answer fraction='100'><text>Paris</text></answer>",
            "shortanswer",
        ),
        "<usecase>1</usecase>",
    ),
    "units": (
        one_question(
            "<questiontext><text>x</text></questiontext><answer fraction='100'><text>3"
            "</text></answer><units><unit><unit_name>m</unit_name></unit></units>",
            "numerical",
        ),
        "<units>: Courseware numerical questions have no units",
    ),
    "a weight with a huge exponent": (
        one_question(
            "<questiontext><text>x</text></questiontext>"
            "<answer fraction='100'><text>a</text></answer>"
            "<answer fraction='1e999999999'><text>b</text></answer>"
        ),
        "<answer fraction=\"…\"> '1e999999999' is not a number",
    ),
    "points with a huge exponent": (
        one_question(
            "<questiontext><text>x</text></questiontext><defaultgrade>1e999999999</defaultgrade>"
            "<answer fraction='100'><text>a</text></answer>"
            "<answer fraction='0'><text>b</text></answer>"
        ),
        "<defaultgrade> '1e999999999' is not a number",
    ),
    "a weight finer than Moodle's": (
        one_question(
            "<questiontext><text>x</text></questiontext>"
            "<answer fraction='100'><text>a</text></answer>"
            "<answer fraction='33.333333333'><text>b</text></answer>"
        ),
        "answer weight 33.333333333% has more than 7 decimal places",
    ),
    "an unknown format": (
        one_question(
            '<questiontext format="wiki_like"><text>x</text></questiontext>'
            "<answer fraction='100'><text>a</text></answer>"
        ),
        '<questiontext format="wiki_like">',
    ),
    "a single choice without a right answer": (
        one_question(
            "<questiontext><text>x</text></questiontext><single>true</single>"
            "<answer fraction='50'><text>a</text></answer><answer fraction='0'><text>b</text>"
            "</answer>"
        ),
        "needs a 100% answer",
    ),
    "a true/false without both answers": (
        one_question(
            "<questiontext><text>x</text></questiontext>"
            "<answer fraction='100'><text>true</text></answer>",
            "truefalse",
        ),
        "two <answer>s, “true” and “false”",
    ),
}


@pytest.mark.parametrize(("xml", "message"), REFUSED.values(), ids=REFUSED)
def test_what_courseware_cannot_hold_is_refused_naming_the_question_and_element(xml, message):
    with pytest.raises(MoodleXmlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(xml)


# --- Hostile files ---------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<quiz><question type='essay'><name><text>&lol3;</text></name></question></quiz>"
)
HOSTILE = {
    "billion laughs": (LAUGHS.encode(), "declares a document type or entities"),
    "an external entity": (
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='essay'><name><text>&x;</text></name></question></quiz>",
        "declares a document type or entities",
    ),
    "huge nesting": (
        b"<quiz>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</quiz>",
        f"nested {MAX_DEPTH + 1} elements deep",
    ),
    "the wrong encoding": (
        '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="essay"><name><text>'
        "Café</text></name></question></quiz>".encode("latin-1"),
        "not valid XML at line 1",
    ),
    "an encoding nobody has": (
        b'<?xml version="1.0" encoding="x-none"?><quiz/>',
        "not valid XML|cannot read the file's text",
    ),
    "not XML": (b"::Q::GIFT, not XML{T}", "not valid XML at line 1, column 1"),
    "another XML document": (b"<html><body/></html>", "holds <html>, not <quiz>"),
    "nothing": (b"", "not valid XML"),
}


@pytest.mark.parametrize(("data", "message"), HOSTILE.values(), ids=HOSTILE)
def test_a_hostile_or_broken_file_is_refused_with_a_clear_message(data, message):
    with pytest.raises(MoodleXmlError, match=message):
        parse_moodle_xml(data)


def test_text_xml_cannot_hold_is_refused_when_writing():
    [question] = parse_gift("Is this \ufffe here?{T}")

    with pytest.raises(ValueError, match="cannot hold"):
        dump_moodle_xml([question])


# --- Round trips -----------------------------------------------------------------------------


def meaning(question):
    """What a question means, as both formats keep it: Moodle's auto-format is Courseware's
    default format (unless the text starts with a [format] GIFT would read), and Moodle XML
    names no lesson, and keeps grader information (a rubric) for essays only."""
    auto = question.text_format == "moodle" and not take_format(question.text)[0]
    text_format = "" if auto else question.text_format
    rubric = question.rubric if question.kind == "essay" else ""
    return replace(question, text_format=text_format, lesson="", rubric=rubric, line=0)


@settings(max_examples=300, deadline=None)
@given(st.lists(gift_questions(), max_size=5))
def test_moodle_xml_reads_back_everything_it_writes(qs):
    assume(all(q.category not in ("$course$/top", "$course$") for q in qs))
    texts = "".join(text for q in qs for text in question_texts(q))
    assume("\ufffe" not in texts and "\uffff" not in texts)

    written = dump_moodle_xml(qs)

    assert parse_moodle_xml(written.encode()) == [meaning(q) for q in qs]
    assert dump_moodle_xml(parse_moodle_xml(written.encode())) == written


def test_an_essays_rubric_is_moodles_grader_information_both_ways():
    [essay] = parse_gift(
        "// rubric: Full marks: two examples.\\nHalf marks: one.\n::Trust::How do attachés build trust?{}"
    )
    written = dump_moodle_xml([essay])

    assert '<graderinfo format="plain_text">' in written
    assert "Full marks: two examples.\nHalf marks: one." in written
    [back] = parse_moodle_xml(written.encode())
    assert back.rubric == "Full marks: two examples.\nHalf marks: one."
