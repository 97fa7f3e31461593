"""Moodle's own GIFT test cases (question/format/gift/tests/giftformat_test.php in Moodle),
each read here and compared with the question Moodle's importer makes of it.

The expected questions are written in Moodle's terms (qtype, fractions from 0 to 1, a format
for every text), and ``moodle_view`` says what a Courseware question is in those terms, so
the table reads as Moodle's tests do. What Moodle keeps and Courseware has no use for (penalty,
answer numbering, response field lines) is left out; docs/moodle.md says why.

Export cases: Moodle's expected text must read back as the question Moodle wrote it from,
and what ``dump_gift`` writes for that question is pinned beside it. Where the two texts
differ, the meaning does not (both read back equal), and the difference is one of those
docs/moodle.md lists.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from assessments.gift import GiftQuestion, dump_gift, parse_gift, tags_and_idnumber

D = Decimal
QTYPES = {
    "single": "multichoice",
    "multiple": "multichoice",
    "true_false": "truefalse",
    "short": "shortanswer",
    "numerical": "numerical",
    "matching": "match",
    "essay": "essay",
}


def effective(text_format: str, default: str) -> str:
    """A text's format in Moodle's terms: its own, else the question's, else Moodle's."""
    return text_format or default or "moodle"


def moodle_view(q: GiftQuestion) -> dict:
    """A question as Moodle's importer describes it."""
    qformat = effective(q.text_format, "")
    view = {
        "qtype": QTYPES[q.kind],
        "name": q.title,
        "questiontext": q.text,
        "questiontextformat": qformat,
        "generalfeedback": q.explanation,
        "generalfeedbackformat": effective(q.explanation_format, qformat),
        "defaultmark": q.points,
        "tags": q.tags,
        "idnumber": q.idnumber,
    }

    def text(value: str, text_format: str) -> tuple[str, str]:
        return value, effective(text_format, qformat)

    if q.kind in ("single", "multiple"):
        view["single"] = int(q.kind == "single")
        view["answers"] = [
            (text(a.text, a.text_format), a.weight / 100, text(a.feedback, a.feedback_format))
            for a in q.answers
        ]
    elif q.kind == "short":
        view["answers"] = [
            (a.text, a.weight / 100, text(a.feedback, a.feedback_format)) for a in q.answers
        ]
    elif q.kind == "numerical":
        view["answers"] = [
            (
                "*" if a.value is None else a.value,
                None if a.value is None else a.tolerance,
                a.weight / 100,
                text(a.feedback, a.feedback_format),
            )
            for a in q.answers
        ]
    elif q.kind == "matching":
        view["subquestions"] = [(text(a.text, a.text_format), a.match) for a in q.answers]
    elif q.kind == "true_false":
        true, false = q.answers
        view["correctanswer"] = int(true.weight == 100)
        view["feedbacktrue"] = text(true.feedback, true.feedback_format)
        view["feedbackfalse"] = text(false.feedback, false.feedback_format)
    return view


@dataclass
class Case:
    gift: str
    expected: dict
    # Export cases: what Courseware writes for the same question, where it differs.
    written: str | None = None
    differences: list[str] = field(default_factory=list)


def question(qtype: str, name: str, text: str, text_format: str = "moodle", **rest) -> dict:
    """A question as Moodle's tests state it, with Moodle's defaults."""
    return {
        "qtype": qtype,
        "name": name,
        "questiontext": text,
        "questiontextformat": text_format,
        "generalfeedback": "",
        "generalfeedbackformat": text_format,
        "defaultmark": 1,
        "tags": [],
        "idnumber": "",
    } | rest


MULTICHOICE = question(
    "multichoice",
    "Q2",
    "What's between orange and green in the spectrum?",
    single=1,
    answers=[
        (("yellow", "moodle"), 1, ("right; good!", "moodle")),
        (("red", "moodle"), 0, ("wrong, it's yellow", "html")),
        (("blue", "plain"), 0, ("wrong, it's yellow", "moodle")),
    ],
)
SHORTANSWER_ANSWERS = [
    ("Frog", 1, ("Good!", "moodle")),
    ("Cat", D("0.5"), ("What is it with Moodlers and cats?", "moodle")),
    ("*", 0, ("Completely wrong", "moodle")),
]
TRUEFALSE = question(
    "truefalse",
    "Q1",
    "42 is the Absolute Answer to everything.",
    correctanswer=0,
    feedbacktrue=("42 is the Ultimate Answer.", "moodle"),
    feedbackfalse=("You gave the right answer.", "moodle"),
)
ESSAY = question("essay", "Q8", "How are you?")

IMPORT_CASES = {
    "essay": Case("\n// essay\n::Q8:: How are you? {}", ESSAY),
    "match": Case(
        "\n// question: 2  name: Moodle activities\n"
        "::Moodle activities::[html]Match the <b>activity</b> to the description.{\n"
        "    =[html]An activity supporting asynchronous discussions. -> Forum\n"
        "    =[moodle]A teacher asks a question and specifies a choice of multiple responses."
        " -> Choice\n"
        "    =[plain]A bank of record entries which participants can add to. -> Database\n"
        "    =[markdown]A collection of web pages that anyone can add to or edit. -> Wiki\n"
        "    = -> Chat\n"
        "}",
        question(
            "match",
            "Moodle activities",
            "Match the <b>activity</b> to the description.",
            "html",
            subquestions=[
                (("An activity supporting asynchronous discussions.", "html"), "Forum"),
                (
                    (
                        "A teacher asks a question and specifies a choice of multiple responses.",
                        "moodle",
                    ),
                    "Choice",
                ),
                (("A bank of record entries which participants can add to.", "plain"), "Database"),
                (
                    ("A collection of web pages that anyone can add to or edit.", "markdown"),
                    "Wiki",
                ),
                (("", "html"), "Chat"),
            ],
        ),
    ),
    "multichoice": Case(
        "\n// multiple choice with specified feedback for right and wrong answers\n"
        "::Q2:: What's between orange and green in the spectrum?\n"
        "{\n"
        "    =yellow # right; good!\n"
        "    ~red # [html]wrong, it's yellow\n"
        "    ~[plain]blue # wrong, it's yellow\n"
        "}",
        MULTICHOICE,
    ),
    "multichoice_multi": Case(
        "\n// multiple choice, multiple response with specified feedback for right and wrong"
        " answers\n"
        "::colours:: What's between orange and green in the spectrum?\n"
        "{\n"
        "    ~%50%yellow # right; good!\n"
        "    ~%-100%red # [html]wrong\n"
        "    ~%50%off-beige # right; good!\n"
        "    ~%-100%[plain]blue # wrong\n"
        "}",
        MULTICHOICE
        | {
            "name": "colours",
            "single": 0,
            "answers": [
                (("yellow", "moodle"), D("0.5"), ("right; good!", "moodle")),
                (("red", "moodle"), -1, ("wrong", "html")),
                (("off-beige", "moodle"), D("0.5"), ("right; good!", "moodle")),
                (("blue", "plain"), -1, ("wrong", "moodle")),
            ],
        },
    ),
    "multichoice_multi_tricky": Case(
        "\n// multiple choice, multiple response with specified feedback for right and wrong"
        " answers\n"
        "::colours:: What's between orange and green in the spectrum?\n"
        "{\n"
        "    ~%100%yellow # right; good!\n"
        "    ~%-50%red # wrong\n"
        "    ~%-50%blue # wrong\n"
        "}",
        MULTICHOICE
        | {
            "name": "colours",
            "single": 0,
            "answers": [
                (("yellow", "moodle"), 1, ("right; good!", "moodle")),
                (("red", "moodle"), D("-0.5"), ("wrong", "moodle")),
                (("blue", "moodle"), D("-0.5"), ("wrong", "moodle")),
            ],
        },
    ),
    "numerical": Case(
        "\n// math range question\n::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}",
        question(
            "numerical",
            "Q5",
            "What is a number from 1 to 5?",
            answers=[
                (3, 2, 1, ("", "moodle")),
                ("*", None, 0, ("Completely wrong", "moodle")),
            ],
        ),
    ),
    "shortanswer": Case(
        "\n// question: 666  name: Shortanswer\n"
        "::Shortanswer::Which is the best animal?{\n"
        "    =Frog#Good!\n"
        "    =%50%Cat#What is it with Moodlers and cats?\n"
        "    =%0%*#Completely wrong\n"
        "}",
        question(
            "shortanswer", "Shortanswer", "Which is the best animal?", answers=SHORTANSWER_ANSWERS
        ),
    ),
    "shortanswer_with_general_feedback": Case(
        "\n// question: 666  name: Shortanswer\n"
        "::Shortanswer::Which is the best animal?{\n"
        "    =Frog#Good!\n"
        "    =%50%Cat#What is it with Moodlers and cats?\n"
        "    =%0%*#Completely wrong\n"
        "    ####[html]Here is some general feedback!\n"
        "}",
        question(
            "shortanswer",
            "Shortanswer",
            "Which is the best animal?",
            answers=SHORTANSWER_ANSWERS,
            generalfeedback="Here is some general feedback!",
            generalfeedbackformat="html",
        ),
    ),
    "truefalse": Case(
        "\n// true/false\n::Q1:: 42 is the Absolute Answer to everything.{\n"
        "FALSE#42 is the Ultimate Answer.#You gave the right answer.}",
        TRUEFALSE,
    ),
    "truefalse_true_answer1": Case(
        "// name 0-11\n::2-08 TSL::TSL is blablabla.{T}",
        question(
            "truefalse",
            "2-08 TSL",
            "TSL is blablabla.",
            correctanswer=1,
            feedbacktrue=("", "moodle"),
            feedbackfalse=("", "moodle"),
        ),
    ),
    "truefalse_true_answer2": Case(
        "// name 0-11\n::2-08 TSL::TSL is blablabla.{TRUE}",
        question(
            "truefalse",
            "2-08 TSL",
            "TSL is blablabla.",
            correctanswer=1,
            feedbacktrue=("", "moodle"),
            feedbackfalse=("", "moodle"),
        ),
    ),
    "backslash": Case(
        "\n// essay\n::double backslash:: A \\\\ B \\\\\\\\ C{}",
        question("essay", "double backslash", "A \\ B \\\\ C"),
    ),
    "pre_content": Case(
        "\n::Q001::[html]<p>What would running the test method print?</p>\n"
        "<pre>\n"
        "    public void test() \\{\n"
        "        method1();\n"
        "        method2();\n"
        "        method3();\n"
        "    \\}\n"
        "</pre>\n"
        "{}",
        question(
            "essay",
            "Q001",
            "<p>What would running the test method print?</p>\n"
            "<pre>\n"
            "    public void test() {\n"
            "        method1();\n"
            "        method2();\n"
            "        method3();\n"
            "    }\n"
            "</pre>",
            "html",
        ),
    ),
    "question_with_tags": Case(
        "\n// This question is to test importing tags: [tag:tag] [tag:other-tag].\n"
        "// And an idnumber: [id:myid].\n"
        "::Question name:: How are you? {}",
        question(
            "essay", "Question name", "How are you?", tags=["tag", "other-tag"], idnumber="myid"
        ),
    ),
}


@pytest.mark.parametrize("case", IMPORT_CASES.values(), ids=IMPORT_CASES)
def test_moodle_import_case_reads_as_moodle_reads_it(case):
    [read] = parse_gift(case.gift)

    assert moodle_view(read) == case.expected


# Moodle's extract_idnumber_and_tags_from_comment cases: (comment, idnumber, tags).
COMMENT_CASES = {
    "blank comment": ("", "", []),
    "nothing in comment": ("// A basic comment.", "", []),
    "idnumber only": ("// A comment with [id:frog] <-- an idnumber.", "frog", []),
    "tags only": ("// Look tags: [tag:frog] [tag:toad].", "", ["frog", "toad"]),
    "everything": ("// [tag:add] [tag:basic] [id:four]", "four", ["add", "basic"]),
    "everything mixed up": (
        "// [tag:  basic] Here is  \n// a [id:   four   ] que[tag:add   ]stion.",
        "four",
        ["basic", "add"],
    ),
    "split over line": ("// Ceci n\\'est pas une [tag:\n\\ frog].", "", []),
    "escape ] idnumber": ("// [id:i\\]d].", "i]d", []),
    "escape ] tag": ("// [tag:t\\]ag].", "", ["t]ag"]),
}


@pytest.mark.parametrize(
    ("comment", "idnumber", "tags"), COMMENT_CASES.values(), ids=COMMENT_CASES
)
def test_moodle_tag_and_idnumber_comments(comment, idnumber, tags):
    assert tags_and_idnumber(comment.split("\n")) == (tags, idnumber)

    # And the same comment before a question gives the question those tags and idnumber.
    [read] = parse_gift(f"{comment}\nQ{{}}" if comment else "Q{}")
    assert (read.tags, read.idnumber) == (tags, idnumber)


# --- Export ------------------------------------------------------------------------------------

# Moodle's exporter starts each question with "// question: <its id>  name: <its name>";
# Courseware writes no such line (its ids mean nothing in another system), so it is taken off
# Moodle's expected text before comparing.
MOODLE_ID_LINE = "// question: 666  name: "


EXPORT_CASES = {
    "essay": Case("::Q8::How are you?{}\n", ESSAY, written="::Q8::How are you?{}\n"),
    "match": Case(
        "::Moodle activities::[html]Match the <b>activity</b> to the description.{\n"
        '\t=<div class\\="frog">An activity supporting asynchronous discussions.</div> -> Forum\n'
        "\t=[moodle]A teacher asks a question and specifies a choice of multiple responses."
        " -> Choice\n"
        "\t=[plain]A bank of record entries which participants can add to. -> Database\n"
        "\t=[markdown]A collection of web pages that anyone can add to or edit. -> Wiki\n"
        "\t= -> Chat\n"
        "}\n",
        IMPORT_CASES["match"].expected
        | {
            "subquestions": [
                (
                    (
                        '<div class="frog">An activity supporting asynchronous discussions.</div>',
                        "html",
                    ),
                    "Forum",
                ),
                *IMPORT_CASES["match"].expected["subquestions"][1:],
            ]
        },
    ),
    "multichoice": Case(
        "::Q8::What's between orange and green in the spectrum?{\n"
        "\t=yellow#right; good!\n"
        "\t~red#[html]wrong, it's yellow\n"
        "\t~[plain]blue#wrong, it's yellow\n"
        "}\n",
        MULTICHOICE | {"name": "Q8"},
    ),
    "multichoice_multi_tricky": Case(
        "::Q8::What's between orange and green in the spectrum?{\n"
        "\t~%100%yellow#right; good!\n"
        "\t~%-50%red#wrong, it's yellow\n"
        "\t~%-50%blue#wrong, it's yellow\n"
        "}\n",
        MULTICHOICE
        | {
            "name": "Q8",
            "single": 0,
            "answers": [
                (("yellow", "moodle"), 1, ("right; good!", "moodle")),
                (("red", "moodle"), D("-0.5"), ("wrong, it's yellow", "moodle")),
                (("blue", "moodle"), D("-0.5"), ("wrong, it's yellow", "moodle")),
            ],
        },
    ),
    "numerical": Case(
        "::Q5::What is a number from 1 to 5?{#\n\t=%100%3:2#\n\t~#Completely wrong\n}\n",
        IMPORT_CASES["numerical"].expected,
        written="::Q5::What is a number from 1 to 5?{#\n\t=3:2\n\t~#Completely wrong\n}\n",
        differences=["full marks unwritten", "no empty feedback"],
    ),
    "shortanswer": Case(
        "::Shortanswer::Which is the best animal?{\n"
        "\t=%100%Frog#Good!\n"
        "\t=%50%Cat#What is it with Moodlers and cats?\n"
        "\t=%0%*#Completely wrong\n"
        "}\n",
        IMPORT_CASES["shortanswer"].expected,
        written="::Shortanswer::Which is the best animal?{\n"
        "\t=Frog#Good!\n"
        "\t=%50%Cat#What is it with Moodlers and cats?\n"
        "\t=%0%*#Completely wrong\n"
        "}\n",
        differences=["full marks unwritten"],
    ),
    "shortanswer_with_general_feedback": Case(
        "::Shortanswer::Which is the best animal?{\n"
        "\t=%100%Frog#Good!\n"
        "\t=%50%Cat#What is it with Moodlers and cats?\n"
        "\t=%0%*#Completely wrong\n"
        "\t####[html]Here is some general feedback!\n"
        "}\n",
        IMPORT_CASES["shortanswer_with_general_feedback"].expected,
        written="::Shortanswer::Which is the best animal?{\n"
        "\t=Frog#Good!\n"
        "\t=%50%Cat#What is it with Moodlers and cats?\n"
        "\t=%0%*#Completely wrong\n"
        "\t#### [html]Here is some general feedback!\n"
        "}\n",
        differences=["full marks unwritten", "space after ####"],
    ),
    "truefalse": Case(
        "::Q1::42 is the Absolute Answer to everything."
        "{TRUE#[html]42 is the Ultimate Answer.#You gave the right answer.}\n",
        question(
            "truefalse",
            "Q1",
            "42 is the Absolute Answer to everything.",
            correctanswer=1,
            feedbacktrue=("You gave the right answer.", "moodle"),
            feedbackfalse=("42 is the Ultimate Answer.", "html"),
        ),
        written="::Q1::42 is the Absolute Answer to everything."
        "{T#[html]42 is the Ultimate Answer.#You gave the right answer.}\n",
        differences=["T for TRUE"],
    ),
    "backslash": Case(
        "::backslash::A \\\\ B \\\\\\\\ C{}\n", question("essay", "backslash", "A \\ B \\\\ C")
    ),
    "question_with_tags_and_idnumber": Case(
        "// [id:myid] [tag:tag1] [tag:tag2]\n"
        "::True/false question::[html]The answer is true."
        "{TRUE#This is the wrong answer.#This is the right answer."
        "####You should have selected true.}\n",
        question(
            "truefalse",
            "True/false question",
            "The answer is true.",
            "html",
            correctanswer=1,
            feedbacktrue=("This is the right answer.", "html"),
            feedbackfalse=("This is the wrong answer.", "html"),
            generalfeedback="You should have selected true.",
            tags=["tag1", "tag2"],
            idnumber="myid",
        ),
        written="// [id:myid] [tag:tag1] [tag:tag2]\n"
        "::True/false question::[html]The answer is true.{\n"
        "\tT#This is the wrong answer.#This is the right answer.\n"
        "\t#### You should have selected true.\n"
        "}\n",
        differences=[
            "T for TRUE",
            "true/false with general feedback on lines",
            "space after ####",
        ],
    ),
}

# What Courseware writes differently from Moodle, each with the same meaning (docs/moodle.md).
DIFFERENCES = {
    "full marks unwritten": "'=answer' for a full-marks answer, not '=%100%answer'",
    "no empty feedback": "no '#' after an answer without feedback",
    "space after ####": "'#### ' with a space before the general feedback",
    "T for TRUE": "'T' and 'F' for true/false, not 'TRUE' and 'FALSE'",
    "true/false with general feedback on lines": "a true/false question with general "
    "feedback in the block layout, the answer on its own line",
}


@pytest.mark.parametrize("case", EXPORT_CASES.values(), ids=EXPORT_CASES)
def test_moodle_export_case_reads_back_as_the_question_it_was_written_from(case):
    [read] = parse_gift(case.gift)

    assert moodle_view(read) == case.expected


@pytest.mark.parametrize("case", EXPORT_CASES.values(), ids=EXPORT_CASES)
def test_courseware_writes_each_export_case_as_moodle_does_or_as_documented(case):
    [read] = parse_gift(case.gift)
    written = dump_gift([read])

    assert written == (case.written or case.gift)
    assert (written == case.gift) == (not case.differences)
    assert all(difference in DIFFERENCES for difference in case.differences)
    [read_back] = parse_gift(written)
    assert moodle_view(read_back) == case.expected


def test_a_moodle_export_with_its_question_id_lines_reads_whole():
    moodle_file = "\n".join(
        f"{MOODLE_ID_LINE}{case.expected['name']}\n{case.gift}" for case in EXPORT_CASES.values()
    )

    read = parse_gift(moodle_file)

    assert [moodle_view(question) for question in read] == [
        case.expected for case in EXPORT_CASES.values()
    ]


def test_weights_moodle_writes_for_thirds_are_kept_to_its_seven_decimals():
    [read] = parse_gift("Pick the three.{~%33.33333%a ~%33.33333%b ~%33.33334%c ~%-100%d}")

    assert [a.weight for a in read.answers] == [
        D("33.33333"),
        D("33.33333"),
        D("33.33334"),
        D(-100),
    ]
    assert dump_gift([read]) == (
        "Pick the three.{\n\t~%33.33333%a\n\t~%33.33333%b\n\t~%33.33334%c\n\t~%-100%d\n}\n"
    )


def test_a_weight_finer_than_moodle_keeps_is_refused_on_its_line():
    with pytest.raises(ValueError, match=r"<gift>:3: answer weight 33\.333333333% has more"):
        parse_gift("Pick.{\n\t~%50%a\n\t~%33.333333333%b\n}")
