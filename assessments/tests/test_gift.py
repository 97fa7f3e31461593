"""GIFT reading and writing, checked against the examples in Moodle's GIFT documentation."""

import re
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessments.gift import (
    KINDS,
    TEXT_FORMATS,
    GiftAnswer,
    GiftError,
    GiftQuestion,
    dump_gift,
    own_format,
    parse_gift,
)

D = Decimal


def parse_one(text: str) -> GiftQuestion:
    [question] = parse_gift(text)
    return question


def choices(question: GiftQuestion) -> list[tuple[str, Decimal, str]]:
    return [(a.text, a.weight, a.feedback) for a in question.answers]


# --- One question kind at a time -------------------------------------------------------------


def test_single_choice_with_equals_for_the_right_answer():
    q = parse_one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")

    assert q.kind == "single"
    assert q.text == "Who's buried in Grant's tomb?"
    assert choices(q) == [("Grant", 0, ""), ("Jefferson", 0, ""), ("no one", 100, "")]


def test_single_choice_over_several_lines_with_feedback_and_partial_credit():
    q = parse_one(
        "Japanese characters originally came from what country? {\n"
        "    ~India # Sorry.\n"
        "    =China # Correct!\n"
        "    ~%50%Korea # Half right.\n"
        "    ~Egypt}"
    )

    assert q.kind == "single"
    assert q.text == "Japanese characters originally came from what country?"
    assert choices(q) == [
        ("India", 0, "Sorry."),
        ("China", 100, "Correct!"),
        ("Korea", 50, "Half right."),
        ("Egypt", 0, ""),
    ]


def test_multiple_answers_when_no_answer_is_marked_with_equals():
    q = parse_one(
        "What two people are entombed in Grant's tomb? "
        "{~%-100%No one ~%50%Grant ~%50%Grant's wife ~%-100%Grant's father}"
    )

    assert q.kind == "multiple"
    assert choices(q) == [
        ("No one", -100, ""),
        ("Grant", 50, ""),
        ("Grant's wife", 50, ""),
        ("Grant's father", -100, ""),
    ]


def test_true_false_in_every_spelling():
    for answer, correct in [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)]:
        q = parse_one(f"Grant is buried in Grant's tomb.{{{answer}}}")

        assert q.kind == "true_false"
        assert q.text == "Grant is buried in Grant's tomb."
        assert [(a.text, a.weight) for a in q.answers] == [
            ("True", 100 if correct else 0),
            ("False", 0 if correct else 100),
        ]


def test_true_false_feedback_goes_to_the_answer_that_shows_it():
    # Moodle: {TRUE#feedback if wrong#feedback if right}
    q = parse_one("The sun rises in the East.{T#No, it rises in the East.#Yes, it does.}")
    assert choices(q) == [
        ("True", 100, "Yes, it does."),
        ("False", 0, "No, it rises in the East."),
    ]

    q = parse_one("The sun rises in the West.{F#It rises in the East.#Right.}")
    assert choices(q) == [("True", 0, "It rises in the East."), ("False", 100, "Right.")]


def test_short_answer_when_every_answer_is_equals():
    q = parse_one("Who's buried in Grant's tomb?{=no one =nobody}")

    assert q.kind == "short"
    assert choices(q) == [("no one", 100, ""), ("nobody", 100, "")]


def test_short_answer_in_the_middle_of_the_text_with_weights():
    q = parse_one("Two plus two equals {=four =%50%4#Spell it out.}.")

    assert q.kind == "short"
    assert q.text == "Two plus two equals _____."
    assert choices(q) == [("four", 100, ""), ("4", 50, "Spell it out.")]


def test_missing_word_keeps_the_blank_where_the_answers_were():
    q = parse_one(
        "Moodle costs {~lots of money =nothing ~a small amount} to download from moodle.org."
    )

    assert q.kind == "single"
    assert q.text == "Moodle costs _____ to download from moodle.org."
    assert [a.text for a in q.answers if a.weight == 100] == ["nothing"]


def test_missing_word_with_the_answers_on_their_own_lines():
    q = parse_one(
        "The American holiday of Thanksgiving is celebrated on the {\n"
        "    ~second\n"
        "    ~third\n"
        "    =fourth\n"
        "} Thursday of November."
    )

    assert (
        q.text
        == "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    )


@pytest.mark.parametrize(
    ("source", "value", "tolerance"),
    [
        ("What is a number from 1 to 5? {#3:2}", D(3), D(2)),
        ("When was Ulysses S. Grant born? {#1822:5}", D(1822), D(5)),
        (
            "What is the value of pi (to 3 decimal places)? {#3.14159:0.0005}.",
            D("3.14159"),
            D("0.0005"),
        ),
        (
            "What is the value of pi (to 3 decimal places)? {#3.141..3.142}.",
            D("3.1415"),
            D("0.0005"),
        ),
        ("What is a number from 1 to 5? {#1..5}", D(3), D(2)),
        ("How cold is it? {#-5..-3}", D(-4), D(1)),
        ("How many? {#42}", D(42), D(0)),
    ],
)
def test_numerical_value_with_tolerance_or_range(source, value, tolerance):
    q = parse_one(source)

    assert q.kind == "numerical"
    assert [(a.value, a.tolerance, a.weight) for a in q.answers] == [(value, tolerance, 100)]


def test_numerical_with_several_answers_partial_credit_and_feedback_for_the_rest():
    q = parse_one(
        "When was Ulysses S. Grant born? {#\n"
        "    =1822:0 # Correct! Full credit.\n"
        "    =%50%1822:2 # He was born in 1822. Half credit for being close.\n"
        "    ~# Not even close.\n"
        "}"
    )

    assert q.kind == "numerical"
    assert q.text == "When was Ulysses S. Grant born?"
    assert [(a.value, a.tolerance, a.weight, a.feedback) for a in q.answers] == [
        (D(1822), D(0), 100, "Correct! Full credit."),
        (D(1822), D(2), 50, "He was born in 1822. Half credit for being close."),
        (None, D(0), 0, "Not even close."),
    ]


def test_numerical_partial_credit_from_the_brief():
    q = parse_one("What is pi to one decimal place?{#=3.1 =%50%3.1:0.1}")

    assert [(a.value, a.tolerance, a.weight) for a in q.answers] == [
        (D("3.1"), D(0), 100),
        (D("3.1"), D("0.1"), 50),
    ]


def test_matching_pairs():
    q = parse_one(
        "Match the following countries with their corresponding capitals. "
        "{=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo =India -> New Delhi}"
    )

    assert q.kind == "matching"
    assert q.text == "Match the following countries with their corresponding capitals."
    assert [(a.text, a.match) for a in q.answers] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
        ("India", "New Delhi"),
    ]


def test_matching_accepts_an_extra_wrong_right_side_and_no_spaces_round_the_arrow():
    q = parse_one("Which animal eats which food?{=cat->cat food =dog->dog food = ->grass}")

    assert [(a.text, a.match) for a in q.answers] == [
        ("cat", "cat food"),
        ("dog", "dog food"),
        ("", "grass"),
    ]


def test_essay_with_and_without_general_feedback():
    q = parse_one("Write a short biography of Dag Hammarskjöld. {}")
    assert (q.kind, q.answers, q.explanation) == ("essay", [], "")

    q = parse_one("How are you? {\n####We hope you're feeling well.\n}")
    assert (q.kind, q.explanation) == ("essay", "We hope you're feeling well.")


def test_general_feedback_after_four_hashes():
    q = parse_one("What's 2 plus 2? {\n=4 #Correct!\n~5 #Too high.\n#### Two plus two is four.\n}")

    assert q.explanation == "Two plus two is four."
    assert choices(q) == [("4", 100, "Correct!"), ("5", 0, "Too high.")]

    # Moodle takes the last '####', so an empty answer feedback may run into it.
    q = parse_one("Is it?{=yes ~no#####Explained.}")
    assert (q.explanation, choices(q)) == ("Explained.", [("yes", 100, ""), ("no", 0, "")])


def test_title_is_read_and_left_out_of_the_text():
    q = parse_one("::Grant's tomb::Who's buried in Grant's tomb?{=no one =nobody}")

    assert q.title == "Grant's tomb"
    assert q.text == "Who's buried in Grant's tomb?"


def test_escaped_characters_and_newlines():
    q = parse_one(
        r"::Q\:1::Which is true\: 1 + 1 \= 2 \{always\}?\nPick one.{"
        "\n"
        r"=a \~ b \# c \\ d#it\'s \= fine"
        "\n~plain\n}"
    )

    assert q.title == "Q:1"
    assert q.text == "Which is true: 1 + 1 = 2 {always}?\nPick one."
    # A backslash before anything else stays, as Moodle leaves \' alone.
    assert choices(q) == [("a ~ b # c \\ d", 100, "it\\'s = fine"), ("plain", 0, "")]


def test_text_format_prefix_on_the_question_text():
    q = parse_one("[html]Is <b>this</b> bold?{T}")
    assert (q.text_format, q.text) == ("html", "Is <b>this</b> bold?")

    q = parse_one("::Simple markdown::[markdown]The **sun** rises in the\\: {=*east* ~*west*}")
    assert (q.title, q.text_format, q.text) == (
        "Simple markdown",
        "markdown",
        "The **sun** rises in the:",
    )

    assert parse_one("[plain]x{T}").text_format == "plain"
    assert parse_one("[moodle]x{T}").text_format == "moodle"
    assert parse_one("[note] x{T}").text_format == ""  # not a format Moodle knows


def test_multi_line_question_text_keeps_its_line_breaks():
    q = parse_one(
        "::Cold War partnerships::In the 20th century, military diplomacy arrangements\n"
        "often centred on which two things?{\n"
        "\t~%50%mutual defence pacts\n"
        "\t~%50%military aid programs\n"
        "\t~%-100%cyber-security treaties\n"
        "\t#### The article says these arrangements were\n"
        "\tmutual defence pacts and military aid programs.\n"
        "}"
    )

    assert q.text == (
        "In the 20th century, military diplomacy arrangements\noften centred on which two things?"
    )
    # Continuation lines keep their indentation, as in Moodle (the <pre> of an [html] text
    # needs it); the text and each answer are trimmed as a whole.
    assert q.explanation == (
        "The article says these arrangements were\n\tmutual defence pacts and military aid programs."
    )


def test_comments_categories_and_directives():
    questions = parse_gift(
        "// A quiz header comment\n"
        "$CATEGORY: Grant/Tomb\n"
        "\n"
        "// lesson: historical-evolution#passage-2\n"
        "// points: 2.5\n"
        "// an ordinary comment between the directives and the question\n"
        "Grant is buried in Grant's tomb.{F}\n"
        "\n"
        "// question: 12  name: exported by Moodle\n"
        "Who's buried in Grant's tomb?{\n"
        "    // a comment inside the answers\n"
        "    =no one\n"
        "}\n"
        "\n"
        "$CATEGORY: Other\n"
        "\n"
        "// lesson: introduction\n"
        "Two plus two equals {=four}.\n"
    )

    assert [(q.category, q.lesson, q.points, q.line) for q in questions] == [
        ("Grant/Tomb", "historical-evolution#passage-2", D("2.5"), 7),
        ("Grant/Tomb", "", D(1), 10),
        ("Other", "introduction", D(1), 18),
    ]
    assert [a.text for a in questions[1].answers] == ["no one"]


def test_crlf_line_endings_and_a_byte_order_mark():
    text = "\ufeff// lesson: intro\r\nQ1{\r\n\t=a\r\n\t~b\r\n}\r\n\r\nQ2{T}\r\n"

    questions = parse_gift(text)

    assert [(q.text, q.lesson, q.line) for q in questions] == [("Q1", "intro", 2), ("Q2", "", 7)]
    assert dump_gift(questions) == "// lesson: intro\nQ1{\n\t=a\n\t~b\n}\n\nQ2{T}\n"


def test_empty_file_has_no_questions():
    assert parse_gift("") == []
    assert parse_gift("// only comments\n\n\n") == []
    assert dump_gift([]) == ""


# --- Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("Q1{T}\n\nWho?{\n=a\n~b\n", 3, "not closed"),
        ("Who?{\n=a\n\n~b}", 1, "not closed"),
        ("Who? =a ~b}", 1, "without an opening"),
        ("Grant is {T} and {F}.", 1, "one answer block"),
        ("Q{=a ~b {c}}", 1, "one answer block"),
        ("Q1{T}\n\nJust a sentence with no answers.", 3, "no description items"),
        ("::Title Who?{T}", 1, "title is not closed"),
        ("{T}", 1, "no text"),
        ("Two plus two equals {four}.", 1, "answers start with '=' or '~'"),
        ("Two plus two equals {true}.", 1, "answers start with '=' or '~'"),
        ("Q{\n=a\n~%150%b\n}", 3, "outside -100..100"),
        ("Q{\n=a\n~%-101%b\n}", 3, "outside -100..100"),
        ("Q{\n=a\n~%abc%b\n}", 3, "not a number"),
        ("Q{\n=a\n~%50 b\n}", 3, "not closed with '%'"),
        ("Q{=four =%half%4}", 1, "not a number"),
        ("When?{#\n=1822:0\n=abc:2\n}", 3, "numerical answer 'abc' is not a number"),
        ("When?{#1822:soon}", 1, "tolerance 'soon' is not a number"),
        ("When?{#5..1}", 1, "runs backwards"),
        ("When?{#3:-1}", 1, "negative"),
        ("When?{#}", 1, "at least one answer value"),
        ("When?{#~#wrong =3}", 1, "must come last"),
        ("When?{#=3 ~ 4 #wrong}", 1, "only '#feedback'"),
        ("Match these.{=Canada -> Ottawa}", 1, "at least two pairs"),
        ("Match these.{\n=Canada -> Ottawa\n=Italy\n=Japan -> Tokyo\n}", 3, "needs '->'"),
        ("Match these.{=a -> b#nice =c -> d}", 1, "no feedback"),
        ("Match these.{=a -> =c -> d}", 1, "nothing after '->'"),
        ("Who?{~Grant ~Jefferson ~nobody}", 1, "no correct answer"),
        ("Who?{~%-50%Grant ~%0%Jefferson}", 1, "no correct answer"),
        ("Who?{~Grant}", 1, "at least two answers"),
        ("Who?{=Grant ~}", 1, "no text"),
        ("Who?{=%50%Grant}", 1, "full credit"),
        ("When?{#=%50%1822}", 1, "full credit"),
        ("Who?{=a ~%100%b}", 1, "fully correct"),
        ("// points: 0\nQ{T}", 2, "only a written answer (an essay) may be worth 0 points"),
        ("// points: -2\nQ{T}", 1, "0 or more"),
        ("// points: lots\nQ{T}", 1, "0 or more"),
        ("// lesson:\nQ{T}", 1, "needs a lesson slug"),
        ("// points: 2\n// points: 3\nQ{T}", 2, "given twice"),
        ("// lesson: intro\n\nQ{T}", 1, "directly before a question"),
        ("Q{T}\n\n// points: 2\n", 3, "directly before a question"),
        ("Q{\n=a\n// points: 2\n~b\n}", 3, "directly before a question"),
        ("// points: 2\n$CATEGORY: x\n\nQ{T}", 1, "directly before a question"),
        ("Q{T}\n$CATEGORY: x\n", 2, "blank line before it"),
        ("$CATEGORY: x\n// lesson: a\nQ{T}", 3, "blank line must follow"),
        ("When?{#6.022e23:1e9999}", 1, "not a number"),
    ],
)
def test_malformed_input_names_the_line(source, line, message):
    with pytest.raises(GiftError) as caught:
        parse_gift(source)

    assert caught.value.line == line
    assert message in caught.value.message


def test_error_message_carries_file_and_line():
    source = "Q1{T}\n\n// lesson: intro\nQ2{\n\t=a\n\t~%200%b\n}\n"

    with pytest.raises(GiftError) as caught:
        parse_gift(source, source="quizzes/foundations.gift")

    error = caught.value
    assert (error.source, error.line) == ("quizzes/foundations.gift", 6)
    assert str(error) == f"quizzes/foundations.gift:6: {error.message}"
    assert isinstance(error, ValueError)


def test_error_lines_count_crlf_lines_once():
    with pytest.raises(GiftError) as caught:
        parse_gift("Q1{T}\r\n\r\nQ2{\r\n=a\r\n~%x%b\r\n}\r\n")

    assert caught.value.line == 5


# --- Writing -----------------------------------------------------------------------------------

CANONICAL = """\
$CATEGORY: Foundations

// lesson: historical-evolution#passage-2
// points: 2
::Cold War partnerships::In the 20th century, military diplomacy arrangements\\noften centred on which two things?{
\t~%50%mutual defence pacts
\t~%50%military aid programs
\t~%-100%cyber-security treaties
\t#### The article says they "often centered on mutual defense pacts and military aid programs".
}

// lesson: introduction
Who's buried in Grant's tomb?{
\t~Grant#He is, with his wife.
\t~Jefferson
\t=no one#Right\\: people are entombed, not buried.
\t~%50%nobody really
}

Grant is buried in Grant's tomb.{F#No, he is entombed.#Right.}

The sun rises in the East.{T}

::Kindness::Treaties are signed by the defence ministry.{
	F
	#### Heads of state or foreign ministers sign them.
}

// points: 0.5
Two plus two equals {
\t=four
\t=%50%4#Spell it out.
}.

When was Ulysses S. Grant born?{#
\t=1822#Correct!
\t=%50%1822:2#Close.
\t~#He was born in 1822.
}

What is the value of pi (to 3 decimal places)? {#
\t=3.1415:0.0005
}.

Match the following countries with their corresponding capitals.{
\t=Canada -> Ottawa
\t=Italy -> Rome
\t= -> Paris
\t#### Paris is the capital of France.
}

$CATEGORY: Essays

[markdown]Explain why **trust** matters\\: use 1 \\= 1 and \\{braces\\}.{}

::Outlook::[html]Describe <em>one</em> challenge.{#### Any well-argued answer.}
"""


def test_canonical_file_dumps_back_byte_for_byte():
    questions = parse_gift(CANONICAL)

    assert [q.kind for q in questions] == [
        "multiple",
        "single",
        "true_false",
        "true_false",
        "true_false",
        "short",
        "numerical",
        "numerical",
        "matching",
        "essay",
        "essay",
    ]
    assert dump_gift(questions) == CANONICAL


def test_dump_writes_the_documented_layout():
    question = GiftQuestion(
        kind="single",
        text="Question text",
        title="Title",
        lesson="historical-evolution#passage-2",
        answers=[
            GiftAnswer("right answer", D(100), "feedback"),
            GiftAnswer("wrong answer", D(0)),
        ],
        explanation="general feedback",
    )

    assert dump_gift([question]) == (
        "// lesson: historical-evolution#passage-2\n"
        "::Title::Question text{\n"
        "\t=right answer#feedback\n"
        "\t~wrong answer\n"
        "\t#### general feedback\n"
        "}\n"
    )


def test_a_rubric_keeps_its_lines_and_backslashes_on_one_comment_line():
    rubric = "Full marks: two examples.\nHalf: one.\nA path like C:\\new\\ is not a break."
    question = GiftQuestion("essay", "Explain.", [], rubric=rubric)

    written = dump_gift([question])

    assert written == (
        "// rubric: Full marks: two examples.\\nHalf: one.\\nA path like C:\\\\new\\\\ "
        "is not a break.\nExplain.{}\n"
    )
    assert parse_gift(written) == [question]


@pytest.mark.parametrize(
    "question", ["Who?{=Ada ~Bob}", "Is it?{T}", "How many?{#3}", "Name one.{=Ada}"]
)
def test_a_rubric_on_a_question_graded_by_its_key_is_refused_with_its_line(question):
    source = f"// points: 2\n// rubric: Full marks for Ada.\n{question}\n"
    with pytest.raises(GiftError, match="rubric:' is for written answers") as refused:
        parse_gift(source, source="bank.gift")

    assert str(refused.value).startswith("bank.gift:2: ")


def test_a_rubric_on_a_question_graded_by_its_key_is_not_written():
    with pytest.raises(ValueError, match="rubric:' is for written answers"):
        dump_gift([GiftQuestion("true_false", "Is it?", [GiftAnswer("true", D(100))], rubric="x")])


def test_an_empty_rubric_line_is_refused_with_its_line():
    with pytest.raises(GiftError, match="rubric:' is empty") as refused:
        parse_gift("// rubric:   \nExplain.{}\n")
    assert refused.value.line == 1


def test_dump_puts_the_answer_block_at_the_blank():
    question = parse_one("Moodle costs {~lots of money =nothing} to download.")

    assert dump_gift([question]) == (
        "Moodle costs {\n\t~lots of money\n\t=nothing\n} to download.\n"
    )


def test_a_blank_at_the_end_stays_in_the_text():
    question = GiftQuestion("true_false", "Fill it in _____", true_false(True))

    assert dump_gift([question]) == "Fill it in _____{T}\n"
    assert parse_gift(dump_gift([question])) == [question]


def test_text_that_looks_like_a_comment_gets_an_empty_title():
    question = GiftQuestion("true_false", "// is a comment marker in C++", true_false(False))

    assert dump_gift([question]) == "::::// is a comment marker in C++{F}\n"
    assert parse_gift(dump_gift([question])) == [question]


def test_answer_text_starting_with_percent_is_not_read_as_a_weight():
    question = GiftQuestion(
        "single",
        "Which is a percentage?",
        [GiftAnswer("%50%", D(0)), GiftAnswer("%", D(100)), GiftAnswer("%x", D(25))],
    )

    assert dump_gift([question]) == ("Which is a percentage?{\n\t~%0%%50%\n\t=%\n\t~%25%%x\n}\n")
    assert parse_gift(dump_gift([question])) == [question]

    short = GiftQuestion("short", "Write a percent sign.", [GiftAnswer("%", D(100))])

    assert dump_gift([short]) == "Write a percent sign.{\n\t=%100%%\n}\n"
    assert parse_gift(dump_gift([short])) == [short]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (GiftQuestion("essay", "Trailing space ", []), "whitespace"),
        (GiftQuestion("essay", "Carriage\rreturn", []), "carriage return"),
        (GiftQuestion("essay", "[html]looks formatted", []), "[format] tag"),
        (GiftQuestion("essay", "x", [], lesson="two\nlines"), "one line"),
        (GiftQuestion("essay", "x", [], rubric="Two examples. "), "rubric has surrounding"),
        (GiftQuestion("essay", "", []), "no text"),
        (GiftQuestion("poll", "x", []), "unknown kind"),
        (GiftQuestion("essay", "x", [], text_format="rtf"), "unknown text format"),
        (GiftQuestion("essay", "x", [], points=D(-1)), "0 or more"),
        (GiftQuestion("short", "x", [GiftAnswer("a", D(100))], points=D(0)), "written answer"),
        (GiftQuestion("short", "x", [GiftAnswer("a -> b", D(100))]), "matching"),
        (
            GiftQuestion("matching", "x", [GiftAnswer("a->b", D(100), match="c")] * 2),
            "cannot contain '->'",
        ),
        (GiftQuestion("single", "x", [GiftAnswer("a", D(50)), GiftAnswer("b")]), "100%"),
        (GiftQuestion("single", "x", [GiftAnswer("a", D(100), match="b")] * 2), "no answer match"),
        (GiftQuestion("true_false", "x", [GiftAnswer("True", D(100))]), "True and False"),
        (GiftQuestion("numerical", "x", [GiftAnswer(feedback="?")]), "answer value"),
    ],
)
def test_dump_refuses_what_gift_cannot_hold(question, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        dump_gift([question])


# --- Round trips -------------------------------------------------------------------------------

FORMAT_TAG = re.compile(r"\[(html|markdown|plain|moodle)\]")
# Everything GIFT gives meaning to, plus unicode; GIFT cannot keep surrounding whitespace or
# carriage returns (Moodle trims every text), so texts are drawn stripped and without them.
characters = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(
    [*"~=#{}:\\\n\t%->_[]/$ ", "_____", "->", "//", "####", "[html]", "\\n", "::"]
)
texts = (
    st.lists(characters, min_size=1, max_size=12)
    .map(lambda parts: "".join(parts).strip())
    .filter(bool)
)
maybe_texts = st.just("") | texts
one_line = texts.map(lambda t: t.replace("\n", " ").strip()).filter(bool)
# Moodle keeps fractions to 7 decimals, and so do Courseware's weights.
weights = st.decimals(min_value=-100, max_value=100, places=7)
text_formats = st.sampled_from(["", *TEXT_FORMATS])
numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=4)
tolerances = st.decimals(min_value=0, max_value=1000, places=4)


def true_false(correct: bool, if_wrong: str = "", if_right: str = "") -> list[GiftAnswer]:
    return [
        GiftAnswer("True", D(100 if correct else 0), if_right if correct else if_wrong),
        GiftAnswer("False", D(0 if correct else 100), if_wrong if correct else if_right),
    ]


choice = st.builds(
    GiftAnswer,
    text=texts,
    weight=weights,
    feedback=maybe_texts,
    text_format=text_formats,
    feedback_format=text_formats,
)
no_arrow = texts.filter(lambda t: "->" not in t)


@st.composite
def answers_for(draw, kind: str) -> list[GiftAnswer]:
    if kind == "single":
        answers = draw(st.lists(choice, min_size=2, max_size=5))
        answers[0].weight = D(100)
        answers[1].weight = draw(weights.filter(lambda w: w != 100))
    elif kind == "multiple":
        answers = draw(st.lists(choice, min_size=2, max_size=5))
        answers[0].weight = draw(weights.filter(lambda w: w > 0))
    elif kind == "true_false":
        return true_false(draw(st.booleans()), draw(maybe_texts), draw(maybe_texts))
    elif kind == "short":
        feedback = st.just("") | no_arrow
        answers = draw(
            st.lists(
                st.builds(GiftAnswer, no_arrow, weights, feedback, feedback_format=text_formats),
                min_size=1,
                max_size=4,
            )
        )
        assume(not any(FORMAT_TAG.match(a.text) for a in answers))
        answers[0].weight = D(100)
    elif kind == "numerical":
        valued = st.builds(
            GiftAnswer,
            weight=weights,
            feedback=maybe_texts,
            value=numbers,
            tolerance=tolerances,
            feedback_format=text_formats,
        )
        answers = draw(st.lists(valued, min_size=1, max_size=4))
        answers[0].weight = D(100)
        answers = draw(st.permutations(answers))
        if draw(st.booleans()):
            answers.append(GiftAnswer(feedback=draw(maybe_texts)))
        return answers
    elif kind == "matching":
        pair = st.builds(
            GiftAnswer,
            text=no_arrow,
            weight=st.just(D(100)),
            match=texts,
            text_format=text_formats,
        )
        extra = st.builds(GiftAnswer, weight=st.just(D(100)), match=texts)
        answers = draw(st.lists(pair, min_size=2, max_size=4)) + draw(st.lists(extra, max_size=2))
    else:
        return []
    return draw(st.permutations(answers))


@st.composite
def questions(draw) -> GiftQuestion:
    kind = draw(st.sampled_from(KINDS))
    text_format = draw(st.sampled_from(["", *TEXT_FORMATS]))
    text = draw(
        texts
        | st.tuples(maybe_texts, maybe_texts).map(lambda ab: f"{ab[0]} _____ {ab[1]}".strip())
    )
    assume(text_format or not FORMAT_TAG.match(text))
    answers = draw(answers_for(kind))
    for a in answers:  # a text's own format is kept only where it differs from the question's
        a.text_format = own_format(a.text_format, text_format, a.text)
        a.feedback_format = own_format(a.feedback_format, text_format, a.feedback)
    explanation = draw(maybe_texts)
    marks = one_line.filter(lambda t: not t.endswith("\\"))
    return GiftQuestion(
        kind=kind,
        text=text,
        answers=answers,
        title=draw(maybe_texts),
        explanation=explanation,
        explanation_format=own_format(draw(text_formats), text_format, explanation),
        tags=draw(st.lists(marks, max_size=3)),
        idnumber=draw(st.just("") | marks),
        category=draw(st.sampled_from(["", "Unit 1", "Unit 1/Part $2"]) | one_line),
        lesson=draw(
            st.sampled_from(["", "introduction", "historical-evolution#passage-2"]) | one_line
        ),
        points=draw(st.just(D(1)) | st.decimals(min_value=D("0.01"), max_value=9999, places=2)),
        text_format=text_format,
        # Only an answer graded by a person has a rubric.
        rubric=draw(maybe_texts) if kind == "essay" else "",
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(questions(), max_size=5))
def test_parse_reads_back_everything_dump_writes(qs):
    written = dump_gift(qs)

    assert parse_gift(written) == qs
    assert dump_gift(parse_gift(written)) == written


def soup(*pieces: str, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


# Question-shaped noise: hand-written GIFT is messier than what dump_gift writes.
noisy_answer = st.tuples(
    st.sampled_from(["=", "~", "", "= ", "~ "]),
    st.sampled_from(["", "%50%", "%100%", "%-100%", "%0%", "%x%", "%", "%33.33333%"]),
    st.sampled_from(["", "", "[html]", "[plain]", "[moodle]"]),
    soup(
        "a", "b", "3", "-1", "1..5", ":", ":2", " ", "é", "\\#", "\\", "\n", "T", "-", max_size=4
    ),
    st.sampled_from(["", "#", "#fb", "#fb#fb2", " -> b", "->", "-> c#x", "#[html]<b>f</b>"]),
).map("".join)
noisy_block = st.tuples(
    st.sampled_from(["", "", "#", "# ", "T", "F", "TRUE", "T#w#r", "F##r"]),
    st.lists(noisy_answer, max_size=4).map(" ".join),
    st.sampled_from(["", "", "####", "#### gf", "\n#### g\\:f\n"]),
).map("".join)
noisy_question = st.tuples(
    st.sampled_from(
        [
            *["", "// points: 2\n// lesson: a\n", "// note\n::t::", "[html]", "::t::[html]"],
            *["// [tag:a] [id:x\\]]\n", "// [tag:b]\n\n"],
        ]
    ),
    soup("Q", "é", " ", "\n", "\\n", "_____", "\\:", "\\{", max_size=4),
    noisy_block,
    st.sampled_from(["", "", ".", " tail", "\nmore"]),
).map(lambda parts: f"{parts[0]}Q{parts[1]}{{{parts[2]}}}{parts[3]}")
noisy_file = st.lists(
    noisy_question | st.sampled_from(["$CATEGORY: c", "// comment"]), max_size=4
).map("\n\n".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(noisy_file)
def test_whatever_parse_accepts_dump_writes_back(source):
    try:
        questions_read = parse_gift(source)
    except GiftError:
        return  # refused whole, never half read

    assert parse_gift(dump_gift(questions_read)) == questions_read


def test_a_written_answer_worth_no_points_is_read_not_scored():
    [essay] = parse_gift("// points: 0\nWhat would you advise, and why?{}")

    assert essay.points == 0
    assert dump_gift([essay]).startswith("// points: 0\n")
