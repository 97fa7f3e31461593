"""The shipped course's questions test understanding, as docs/assessment-design.md sets out.

Read from the course folder itself (what an author edits and reviews), so a broken rule is
reported with the quiz and question that break it. Each question's GIFT ``$CATEGORY`` is its
line in the test blueprint, ``<module>/objective-<n>/<level>``: the module objective it
assesses and how (recall, understanding or application).
"""

import random
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import product
from statistics import mean

import pytest
from markdown_it import MarkdownIt

from assessments.gift import GiftQuestion, parse_gift
from assessments.grading import grade, question_snapshot
from assessments.models import Question
from bench.item_simulation import FILLER_WORDS, IDEA_FAMILIES, non_reader_picks
from lessons.course_folder import FINAL_EXAM_NAME, CourseSpec, read_course_folder
from lessons.markdown import render_markdown
from tests.test_shipped_course import COURSE_FOLDER, COURSE_NOTE, article_part

BLUEPRINT = re.compile(
    r"^(?P<module>[-a-z0-9]+)/objective-(?P<objective>\d+)/"
    r"(?P<level>recall|understanding|application)$"
)
ABOVE_RECALL = {"understanding", "application"}
# Module quizzes are worth ten points, so the 70% pass mark is seven of them (not 5 of 6).
MODULE_QUIZ_POINTS = 10
QUOTE = re.compile(r"“([^”]+)”")
MODULES = [
    "foundations",
    "strategic-objectives",
    "instruments-and-methods",
    "challenges-and-limitations",
    "military-diplomacy-in-practice",
    "outlook",
]
QUIZZES = [*MODULES, FINAL_EXAM_NAME]
# How far a module's weight in a final exam attempt may stray from its share of the text:
# whole points of 2 to 4 a question come within one and a half percentage points.
WEIGHT_TOLERANCE = 0.015

# Every wording a reviewer found defensible for each short answer, and answers that are not.
SHORT_ANSWERS = {
    "Showing commitment": (
        ["joint exercises", "Defence dialogues", "joint military drills", "defense dialogue",
         "joint training exercises", "military exercises", "talks between defence ministries",
         "joint manoeuvres", "war games", "joint training", "combined training",
         "joint military training", "military dialogues", "defence policy dialogues",
         "dialogues", "strategic dialogue", "security dialogues", "high-level dialogue",
         "ministerial dialogue", "regular dialogues", "political dialogue",
         "diplomatic dialogue", "joint dialogue", "regional dialogue", "defence consultations"],
        # Credited with showing commitment elsewhere in the article, not in the sentence asked.
        ["military attachés", "mutual defense pacts", "sanctions", "military exchanges",
         "high-level visits", "capacity-building", "open channels for dialogue",
         "military channels for dialogue"],
    ),
    "Security dilemmas": (
        ["confidence-building measures", "Confidence building measures", "CBMs",
         "trust-building measures", "measures to build confidence", "CSBMs",
         "confidence- and security-building measures", "OSCE CSBMs"],
        ["military exercises", "deterrence", "alliances", "confidence", "trust"],
    ),
    "The officer in the embassy": (
        ["military attaché", "Defence attache", "army attachés", "a liaison officer",
         "military liaison", "defence adviser", "liason officer", "military atache"],
        ["ambassador", "national security advisor", "spy"],
    ),
    "A standing office": (
        ["military liaison office", "Liaison offices", "a military liaison office",
         "liason office"],
        ["embassy", "military attaché", "intelligence agency"],
    ),
    "Shifting priorities": (
        ["relevance", "Relevance", "that they remain relevant", "relevant initiatives",
         "continued relevance", "pertinence"],
        ["flexibility", "continuity", "stability", "mutual respect", "success"],
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Item:
    quiz: str
    question: GiftQuestion

    def __str__(self) -> str:
        return f"{self.quiz}.gift: {self.question.title}"

    @property
    def blueprint(self) -> re.Match | None:
        return BLUEPRINT.match(self.question.category)

    @property
    def level(self) -> str:
        return self.blueprint["level"]

    @property
    def lesson_slug(self) -> str:
        return self.question.lesson.partition("#")[0]

    @property
    def passage(self) -> int | None:
        _, _, passage = self.question.lesson.partition("#passage-")
        return int(passage) if passage else None


@cache
def course() -> CourseSpec:
    return read_course_folder(COURSE_FOLDER)


@cache
def items(quiz: str) -> tuple[Item, ...]:
    quiz_file = course().quiz_files[quiz]
    return tuple(Item(quiz, q) for q in parse_gift(quiz_file.text, source=quiz_file.name))


def all_items() -> list[Item]:
    return [item for quiz in QUIZZES for item in items(quiz)]


@cache
def passages(lesson_slug: str) -> tuple[str, ...]:
    """The lesson's passages (top-level blocks, numbered from 1 as the lesson page anchors them)."""
    lesson = next(
        lesson
        for module in course().modules
        for lesson in module.lessons
        if lesson.slug == lesson_slug
    )
    lines = lesson.body.split("\n")
    blocks = MarkdownIt("commonmark").parse(lesson.body)
    texts = [
        "\n".join(lines[t.map[0] : t.map[1]])
        for t in blocks
        if t.level == 0 and t.nesting in (0, 1) and t.block and t.tag
    ]
    # A course team's note keeps its number, but answers nothing: only the article does.
    return tuple("" if text.startswith(COURSE_NOTE) else " ".join(text.split()) for text in texts)


@cache
def article() -> str:
    return " ".join(
        " ".join(article_part(lesson.body).split())
        for module in course().modules
        for lesson in module.lessons
    )


def module_of(quiz: str):
    return next(module for module in course().modules if module.slug == quiz)


@pytest.mark.parametrize("quiz", QUIZZES)
def test_every_question_names_the_objective_it_assesses_and_how(quiz):
    for item in items(quiz):
        assert item.blueprint, f"{item}: $CATEGORY should read <module>/objective-<n>/<level>"
        module = module_of(item.blueprint["module"])
        lesson_modules = {lesson.slug: m.slug for m in course().modules for lesson in m.lessons}
        assert lesson_modules[item.lesson_slug] == module.slug, f"{item}: another module's lesson"
        assert 1 <= int(item.blueprint["objective"]) <= len(module.objectives), item


@pytest.mark.parametrize("quiz", MODULES)
def test_every_objective_is_assessed_above_recall_in_its_module_quiz(quiz):
    module = module_of(quiz)
    assessed = {
        int(item.blueprint["objective"]) for item in items(quiz) if item.level in ABOVE_RECALL
    }
    missing = [o for n, o in enumerate(module.objectives, 1) if n not in assessed]
    assert not missing, f"{quiz}: nothing above recall assesses {missing}"


@pytest.mark.parametrize("quiz", MODULES)
def test_each_module_quiz_has_two_application_items_and_a_written_answer(quiz):
    graded = [item for item in items(quiz) if item.question.kind != "essay"]
    applied = [item for item in graded if item.level == "application"]
    essays = [item for item in items(quiz) if item.question.kind == "essay"]
    assert len(applied) >= 2, f"{quiz}: application items {[str(i) for i in applied]}"
    assert len(essays) >= 1, f"{quiz}: no written answer for the instructor to read"


@pytest.mark.parametrize("quiz", QUIZZES)
def test_true_false_is_at_most_a_fifth_of_every_quiz(quiz):
    true_false = [item for item in items(quiz) if item.question.kind == "true_false"]
    assert len(true_false) <= 0.2 * len(items(quiz)), quiz


@pytest.mark.parametrize("quiz", QUIZZES)
def test_true_false_statements_are_neither_all_true_nor_worded_in_absolutes(quiz):
    for item in items(quiz):
        if item.question.kind == "true_false":
            # Absolutes mark the false statements of a careless bank.
            words = set(re.findall(r"\w+", item.question.text.lower()))
            assert not words & {"only", "never", "always", "all", "none", "nothing"}, item


def test_true_and_false_statements_are_balanced_across_the_quizzes():
    """As many true as false, and alike in length: a learner who marks the long, careful
    statements true must not gain by it."""
    statements = {True: [], False: []}
    for item in all_items():
        if item.question.kind == "true_false":
            statements[item.question.answers[0].weight == 100].append(len(item.question.text))
    assert abs(len(statements[True]) - len(statements[False])) <= 1, statements
    true_length, false_length = (mean(statements[key]) for key in (True, False))
    assert max(true_length, false_length) <= 1.15 * min(true_length, false_length), statements


@pytest.mark.parametrize("quiz", QUIZZES)
def test_matching_questions_offer_spare_options(quiz):
    for item in items(quiz):
        if item.question.kind == "matching":
            spares = [a for a in item.question.answers if not a.text]
            assert len(spares) >= 2, f"{item}: the last pair would follow by elimination"


@pytest.mark.parametrize("quiz", QUIZZES)
def test_every_question_links_the_passage_or_the_lesson_that_answers_it(quiz):
    """The explanation (for an essay, the rubric its grader reads) quotes the article word for
    word: from the linked passage, or from two or more passages of the linked lesson for a
    question that draws on several."""
    for item in items(quiz):
        key = item.question.rubric if item.question.kind == "essay" else item.question.explanation
        quoted = [" ".join(q.split()) for q in QUOTE.findall(key)]
        assert quoted, f"{item}: the explanation or rubric quotes no passage"
        lesson = passages(item.lesson_slug)
        for quote in quoted:
            found = [n for n, text in enumerate(lesson, 1) if quote in text]
            assert found, f"{item}: not in lesson {item.lesson_slug}: “{quote}”"
            if item.passage:
                assert item.passage in found, f"{item}: not in its passage: “{quote}”"
        if item.passage is None:
            used = {n for quote in quoted for n, text in enumerate(lesson, 1) if quote in text}
            assert len(used) >= 2, f"{item}: draws on one passage, so it should link it"


@pytest.mark.parametrize("quiz", QUIZZES)
def test_feedback_quotes_the_article_word_for_word(quiz):
    text = article()
    for item in items(quiz):
        for answer in item.question.answers:
            for quote in QUOTE.findall(answer.feedback):
                assert " ".join(quote.split()) in text, f"{item}: “{quote}”"


@pytest.mark.parametrize("quiz", MODULES)
def test_module_quizzes_are_worth_ten_points_and_let_a_learner_go_on(quiz):
    quiz_settings = module_of(quiz).quiz
    graded = sum(item.question.points for item in items(quiz) if item.question.kind != "essay")
    assert graded == MODULE_QUIZ_POINTS, quiz
    assert quiz_settings["pass_mark"] == 70
    # Formative: no attempt limit, so nobody is stuck; keys come once passed.
    assert "max_attempts" not in quiz_settings, quiz
    assert quiz_settings.get("review", "retake_safe") == "retake_safe", quiz


@pytest.mark.django_db
def test_short_answers_accept_every_defensible_wording():
    from assessments.course_io import course_import

    imported, _ = course_import(COURSE_FOLDER)
    shorts = Question.objects.filter(quiz__course=imported, kind="short").prefetch_related(
        "choices"
    )
    assert {q.title for q in shorts} == set(SHORT_ANSWERS)
    for question in shorts:
        shown = question_snapshot(question, rng=random.Random(0), shuffle_choices=False)
        accepted, refused = SHORT_ANSWERS[question.title]
        for answer in accepted:
            assert grade(shown, answer).score == question.points, (question.title, answer)
        for answer in refused:
            assert grade(shown, answer).score == Decimal(0), (question.title, answer)


def module_words() -> dict[str, int]:
    """Each module's share of the article, in words as lesson pages count them."""
    return {
        module.slug: sum(
            render_markdown(article_part(lesson.body)).word_count for lesson in module.lessons
        )
        for module in course().modules
    }


def test_the_final_exam_is_graded_automatically_with_keys_shown_at_the_end():
    """An essay waits for an instructor, so the exam that certifies holds none: a learner who
    passes gets the certificate at once (docs/assessment-design.md)."""
    assert {item.question.kind for item in items(FINAL_EXAM_NAME)} <= {
        "single", "multiple", "true_false", "short", "numerical", "matching"
    }  # fmt: skip
    exam = course().final_exam
    assert (exam["draw_per"], exam["review"]) == ("module", "after_passing")


def test_the_final_exam_weighs_each_module_by_its_share_of_the_text():
    """Each attempt draws the same number from every module, so the points of a module's
    questions carry its weight: draw × points over the attempt's total, against its words."""
    draw = course().final_exam["draw"]
    points = {}
    for item in items(FINAL_EXAM_NAME):
        points.setdefault(item.blueprint["module"], set()).add(item.question.points)
    assert all(len(values) == 1 for values in points.values()), points
    weights = {module: draw * float(values.pop()) for module, values in points.items()}
    words = module_words()
    assert set(weights) == set(words)
    for module in words:
        weight = weights[module] / sum(weights.values())
        share = words[module] / sum(words.values())
        assert abs(weight - share) <= WEIGHT_TOLERANCE, (module, weight, share)


def test_the_final_exam_bank_covers_every_lesson_and_outnumbers_every_draw():
    draw = course().final_exam["draw"]
    by_lesson = {}
    for item in items(FINAL_EXAM_NAME):
        by_lesson[item.lesson_slug] = by_lesson.get(item.lesson_slug, 0) + 1
    lessons = [lesson.slug for module in course().modules for lesson in module.lessons]
    assert [slug for slug in lessons if slug not in by_lesson] == []
    # A bank larger than the draw varies from attempt to attempt.
    sizes = bank_sizes()
    assert min(sizes.values()) > draw, sizes


def bank_sizes() -> dict[str, int]:
    sizes = dict.fromkeys(MODULES, 0)
    for item in items(FINAL_EXAM_NAME):
        sizes[item.blueprint["module"]] += 1
    return sizes


def test_the_final_exam_bank_weighs_each_module_as_an_attempt_does():
    """Every module holds as many questions in the bank as the others, so the bank's points
    (what a reviewer adds up from the quiz file) weigh the modules by their share of the text,
    just as each attempt does: no module gets more of the bank than of the lessons."""
    sizes = bank_sizes()
    assert len(set(sizes.values())) == 1, sizes
    points = dict.fromkeys(MODULES, 0)
    for item in items(FINAL_EXAM_NAME):
        points[item.blueprint["module"]] += float(item.question.points)
    words = module_words()
    for module in MODULES:
        weight = points[module] / sum(points.values())
        share = words[module] / sum(words.values())
        assert abs(weight - share) <= WEIGHT_TOLERANCE, (module, weight, share)


def test_no_final_exam_attempt_is_more_than_a_fifth_true_or_false():
    """Drawn per module, an attempt asks at most ``draw`` true/false questions of a module: the
    worst draw still stays within a fifth of the attempt."""
    draw = course().final_exam["draw"]
    true_false = dict.fromkeys(MODULES, 0)
    for item in items(FINAL_EXAM_NAME):
        true_false[item.blueprint["module"]] += item.question.kind == "true_false"
    worst = sum(min(draw, count) for count in true_false.values())
    assert worst <= 0.2 * draw * len(MODULES), true_false


def test_the_right_option_is_not_given_away_by_its_length():
    """Test-wise learners pick the longest option: the key is the longest (or tied) in no more
    of the single-choice questions than chance would make it, and never much longer."""
    keys_longest = asked = 0
    for item in all_items():
        if item.question.kind != "single":
            continue
        key = max(len(a.text) for a in item.question.answers if a.weight == 100)
        wrong = max(len(a.text) for a in item.question.answers if a.weight < 100)
        asked += 1
        keys_longest += key >= wrong
        assert key <= 1.2 * wrong, f"{item}: the key is the longest option by far"
    assert keys_longest <= 0.3 * asked, f"the key is the longest in {keys_longest} of {asked}"


@pytest.mark.parametrize("quiz", ["all", FINAL_EXAM_NAME])
def test_the_right_option_is_not_given_away_by_its_brevity(quiz):
    """Evening out lengths can overshoot, and a test-wise learner who sees long wrong options
    picks the shortest: the key is the shortest (or tied) in at most a quarter of the
    single-choice questions, across the course and in the final exam alone."""
    single = [
        item.question
        for item in (all_items() if quiz == "all" else items(quiz))
        if item.question.kind == "single"
    ]
    keys_shortest = sum(
        min(len(a.text) for a in q.answers if a.weight == 100)
        <= min(len(a.text) for a in q.answers if a.weight < 100)
        for q in single
    )
    assert keys_shortest <= 0.25 * len(single), f"shortest in {keys_shortest} of {len(single)}"


# The History lesson's periods (early modern alliances that project power, 20th-century pacts and
# aid programs): near misses in a question on that history, filler anywhere else. Offered as the
# wrong option of question after question, they teach a test-wise learner to strike them out.
HISTORY_IDEAS = re.compile(
    r"defen[cs]e pacts?|aid programs?|early modern|imperial|20th|project\w* (?:their )?(?:power|force)",
    re.IGNORECASE,
)
HISTORY_LESSON = "historical-evolution"


def wrong_options(item: Item) -> list[str]:
    """What the page offers that is not a key: wrong choices and a matching question's spares."""
    question = item.question
    if question.kind == "matching":
        return [answer.match for answer in question.answers if not answer.text]
    if question.kind in ("single", "multiple"):
        return [answer.text for answer in question.answers if answer.weight <= 0]
    return []


def keys(item: Item) -> list[str]:
    question = item.question
    if question.kind == "matching":
        return [answer.match for answer in question.answers if answer.text]
    if question.kind in ("single", "multiple"):
        return [answer.text for answer in question.answers if answer.weight > 0]
    return []


def test_the_history_lesson_lends_no_filler_options_to_other_questions():
    for item in all_items():
        if item.lesson_slug == HISTORY_LESSON:
            continue
        for option in wrong_options(item):
            assert not HISTORY_IDEAS.search(option), f"{item}: “{option}”"


@cache
def content_words(text: str) -> frozenset[str]:
    """A text's words that carry its sense, trimmed to six letters (attaché and attachés, lays
    and laying count as one) and in no order, so a reworded option counts as the same idea."""
    return frozenset(word[:6] for word in re.findall(r"\w+", text.lower())) - FILLER_WORDS


# A key of this many words or more makes a claim; shorter keys name an instrument, a measure or
# a constraint, which a question on another case may rightly offer as a near miss.
FEWEST_WORDS_OF_A_CLAIM = 5
# An option restates a sentence when this share of its words or more come from it.
RESTATED_SHARE = 0.8


def carries(option: str, key: str) -> bool:
    """Whether an option holds every word of a key that makes a claim, whatever else it adds."""
    key_words = content_words(key)
    return len(key_words) >= FEWEST_WORDS_OF_A_CLAIM and key_words <= content_words(option)


def restates(option: str, key: str, sentence: str) -> bool:
    """Whether an option copies the sentence that answers a question, beyond the key's own words:
    with feedback naming whose claim it is, it hands over the key."""
    words = content_words(option)
    shared = words & content_words(sentence)
    return (
        len(words) > FEWEST_WORDS_OF_A_CLAIM
        and len(shared) >= RESTATED_SHARE * len(words)
        and len(shared - content_words(key)) >= 3
    )


def test_no_final_exam_key_is_offered_as_a_wrong_option_elsewhere():
    """Two questions of one attempt must not answer each other, and a module quiz, whose keys
    and feedback a learner reads once it is passed, must not answer the final exam: no wrong
    option or matching spare carries a final key in other words, and no module quiz offers one
    that restates the sentence a final question rests on."""
    for item in items(FINAL_EXAM_NAME):
        sentences = grounds(item)
        for other in all_items():
            if other == item:
                continue
            for option, key in product(wrong_options(other), keys(item)):
                assert not carries(option, key), f"{other} offers “{option}”, {item}'s key"
                if other.quiz == FINAL_EXAM_NAME:
                    # In one attempt even an instrument's name would answer the other question.
                    same = content_words(option) == content_words(key)
                    assert not same, f"{other} offers “{option}”, {item}'s key"
                elif any(restates(option, key, sentence) for sentence in sentences):
                    pytest.fail(f"{other} offers “{option}”, which restates what {item} asks")


@cache
def article_sentences() -> tuple[str, ...]:
    """The article's sentences (and list items), whitespace collapsed."""
    return tuple(s for s in SENTENCE_BREAK.split(article()) if s)


# Sentence ends, and the list marks that open each item of a list.
SENTENCE_BREAK = re.compile(r"(?<=[.!?:])\s+(?:-\s+)?|\s+-\s+")


def grounds(item: Item) -> set[str]:
    """The sentences of the article a question rests on: those its explanation (an essay's
    rubric) quotes, in whole or in part."""
    question = item.question
    key = question.rubric if question.kind == "essay" else question.explanation
    sentences = article_sentences()
    found = set()
    for quote in QUOTE.findall(key):
        for piece in SENTENCE_BREAK.split(" ".join(quote.split())):
            found.update(s for s in sentences if piece and piece.rstrip(".:") in s)
    return found


def test_the_final_exam_asks_nothing_a_module_quiz_already_asked():
    """A learner who practised the module quizzes meets new questions in the final exam: no
    final question rests on a sentence of the article that a module question (essays aside,
    which ask for the learner's own words) already tests, so none is a reworded repeat."""
    practised = {}
    for quiz in MODULES:
        for item in items(quiz):
            if item.question.kind != "essay":
                for sentence in grounds(item):
                    practised.setdefault(sentence, str(item))
    for item in items(FINAL_EXAM_NAME):
        assert grounds(item), f"{item}: quotes no sentence of the article"
        repeated = {practised[s] for s in grounds(item) if s in practised}
        assert not repeated, f"{item} asks again what {sorted(repeated)} asked"


# An idea offered as a wrong option in more questions than this, and rarely the key, becomes a
# pattern: a learner who has struck it out a few times strikes it out everywhere.
MOST_QUESTIONS_AN_IDEA_IS_WRONG_IN = 5


# Two words of an option make one idea when at most this many places apart (filler words left
# out), in either order: "flexibility and adaptability", "adaptable and flexible strategies";
# "joint command exercises", "joint exercises".
IDEA_SPAN = 2


def ideas(option: str) -> set[frozenset[str]]:
    """An option's ideas: each pair of its words at most IDEA_SPAN apart, in no order and
    trimmed to six letters, so reordering, splitting or inflecting an idea leaves it the same."""
    words = [w[:6] for w in re.findall(r"\w+", option.lower()) if w not in FILLER_WORDS]
    return {
        frozenset((word, other))
        for n, word in enumerate(words)
        for other in words[n + 1 : n + 1 + IDEA_SPAN]
        if other != word
    }


def test_no_idea_is_offered_as_a_wrong_option_so_often_that_striking_it_out_pays():
    wrong_in, key_in = {}, {}
    for item in all_items():
        for option in wrong_options(item):
            for idea in ideas(option):
                wrong_in.setdefault(idea, set()).add(str(item))
        for option in keys(item):
            for idea in ideas(option):
                key_in.setdefault(idea, set()).add(str(item))
    patterns = {
        " ".join(sorted(idea)): sorted(questions)
        for idea, questions in wrong_in.items()
        if len(questions) > MOST_QUESTIONS_AN_IDEA_IS_WRONG_IN
        and 3 * len(key_in.get(idea, ())) < len(questions)
    }
    assert not patterns, patterns


# Ideas that recur as wrong options in other words than the word pairs above can see: the
# families a test-wise learner strikes out where they recur (bench/item_simulation.py). One who
# has struck out "clear boundaries that respect sovereignty" strikes out "each country's
# decision-making autonomy" and "the scope and limits of joint initiatives" too.
# A learner meets a bank at a time: the final exam's, or the module quizzes', whose keys and
# feedback come once each is passed. In a bank, a family is a wrong option in at most this many
# questions (in a final attempt of 18 drawn from 48, about two)...
MOST_QUESTIONS_A_FAMILY_IS_WRONG_IN = 5
# ...and in no more than three times as many questions as it is the key, the rate at which any
# option of four is wrong, give or take this many questions: a family the bank never keys is a
# wrong option in at most three of its questions, so striking it out gains about a quarter of
# a question over chance.
FAMILY_SURPLUS_OVER_CHANCE = 3
BANKS = {"final exam": [FINAL_EXAM_NAME], "module quizzes": MODULES}


def family_counts(bank: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """For each family, the questions of a bank offering it as a wrong option and as the key."""
    counts = {}
    bank_items = [item for quiz in bank for item in items(quiz)]
    for family, pattern in IDEA_FAMILIES.items():
        marks = re.compile(pattern, re.IGNORECASE)
        wrong = [str(i) for i in bank_items if any(marks.search(o) for o in wrong_options(i))]
        right = [str(i) for i in bank_items if any(marks.search(o) for o in keys(i))]
        counts[family] = (wrong, right)
    return counts


@pytest.mark.parametrize("bank", BANKS)
def test_no_family_of_ideas_is_a_wrong_option_a_learner_learns_to_strike_out(bank):
    """Counted by family, in any words: no idea is offered as a wrong option in many questions of
    a bank, nor is much likelier to be a wrong option than the key."""
    for family, (wrong, right) in family_counts(BANKS[bank]).items():
        assert len(wrong) <= MOST_QUESTIONS_A_FAMILY_IS_WRONG_IN, (family, wrong)
        assert len(wrong) <= 3 * len(right) + FAMILY_SURPLUS_OVER_CHANCE, (family, wrong, right)


# Forms a test-wise eye reads as one word, beyond the six letters content_words keeps.
WORD_FORMS = {"stable": "stabil"}
# A word in this many keys of a bank or more is a pattern a learner can see...
KEY_WORD_PATTERN = 4
# ...so it is in wrong options at least half as often, or picking the option that carries it pays.
KEY_WORD_WRONG_SHARE = 0.5


def option_words(text: str) -> set[str]:
    return {WORD_FORMS.get(word, word) for word in content_words(text)}


@pytest.mark.parametrize("bank", BANKS)
def test_no_word_marks_the_keys_of_a_bank(bank):
    """A word the keys of many questions share and the wrong options rarely carry ("stability")
    signals the key without the article: in each bank, a word in four keys or more is in the
    wrong options of at least half as many questions."""
    in_keys, in_wrong = {}, {}
    for item in (item for quiz in BANKS[bank] for item in items(quiz)):
        if item.question.kind not in ("single", "multiple"):
            continue
        for word in set().union(*map(option_words, keys(item))):
            in_keys.setdefault(word, set()).add(str(item))
        for word in set().union(set(), *map(option_words, wrong_options(item))):
            in_wrong.setdefault(word, set()).add(str(item))
    cues = {
        word: (len(questions), len(in_wrong.get(word, ())))
        for word, questions in in_keys.items()
        if len(questions) >= KEY_WORD_PATTERN
        and len(in_wrong.get(word, ())) < KEY_WORD_WRONG_SHARE * len(questions)
    }
    assert not cues, cues


def test_the_option_sharing_most_words_with_the_question_is_not_the_key_more_than_by_chance():
    """Test-wise learners pick the option that echoes the question's words: across the
    single-choice questions that strategy earns about what chance does."""
    earned = asked = chance = 0.0
    for item in all_items():
        question = item.question
        if question.kind != "single":
            continue
        stem = {w[:6] for w in re.findall(r"\w+", question.text.lower())} - FILLER_WORDS
        overlap = [
            len(stem & {w[:6] for w in re.findall(r"\w+", a.text.lower())})
            for a in question.answers
        ]
        echoing = [n for n, count in enumerate(overlap) if count == max(overlap)]
        earned += sum(question.answers[n].weight == 100 for n in echoing) / len(echoing)
        chance += 1 / len(question.answers)
        asked += 1
    assert earned <= chance + 0.1 * asked, (earned, chance, asked)


def test_the_option_in_the_articles_cooperative_register_is_not_the_final_exams_key_by_design():
    """A test-wise officer who has not read the article strikes out absolute wording and options
    against its thrust, then takes the option that sounds most like its conclusions (trust,
    mutual, reliable, joint…), then the one that echoes the question, then the most specific
    (bench/item_simulation.py, question by question, before seeing which ideas recur in an
    attempt): across the final exam's single-choice questions that earns no more than chance."""
    earned = chance = asked = 0.0
    for item in items(FINAL_EXAM_NAME):
        question = item.question
        if question.kind != "single":
            continue
        picks = non_reader_picks(question.text, [answer.text for answer in question.answers])
        earned += sum(question.answers[n].weight == 100 for n in picks) / len(picks)
        chance += 1 / len(question.answers)
        asked += 1
    assert earned <= chance, (earned, chance, asked)


DESIGN_DOC = COURSE_FOLDER.parent.parent / "docs" / "assessment-design.md"
KIND_COLUMNS = ["single", "multiple", "true_false", "short", "matching", "essay"]


def design_table_rows(first_cell: str) -> list[list[str]]:
    """The cells of the design document's table rows whose first cell matches."""
    rows = []
    for line in DESIGN_DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


def count(cell: str) -> int:
    return 0 if cell == "–" else int(cell.split()[0])


def test_the_design_documents_counts_are_the_files_own():
    """docs/assessment-design.md counts the questions by level and by kind, and maps each
    objective to the questions that assess it: every figure and title is the files'."""
    for level, module_cell, final_cell in (
        (cells[0], cells[-2], cells[-1])
        for cells in design_table_rows("recall|understanding|application")
    ):
        in_modules = sum(item.level == level for quiz in MODULES for item in items(quiz))
        in_final = sum(item.level == level for item in items(FINAL_EXAM_NAME))
        assert (count(module_cell), count(final_cell)) == (in_modules, in_final), level

    titles = {module.title: module.slug for module in course().modules}
    titles["Final exam bank"] = FINAL_EXAM_NAME
    # The table of kinds: a quiz, its questions, one column a kind, its points.
    kind_rows = [
        cells
        for cells in design_table_rows("|".join(map(re.escape, titles)))
        if len(cells) == len(KIND_COLUMNS) + 3
    ]
    assert len(kind_rows) == len(QUIZZES)
    for cells in kind_rows:
        quiz = items(titles[cells[0]])
        kinds = [sum(item.question.kind == kind for item in quiz) for kind in KIND_COLUMNS]
        assert [count(cell) for cell in cells[1:8]] == [len(quiz), *kinds], cells[0]

    # "Title (r)", an essay's title in italics: "*Title* (a)".
    listed = re.compile(r"\*?(\w[^*,()]*?)\*? \(([rua])\)")
    map_rows = design_table_rows(r".+ \d+: .+")
    for module in course().modules:
        for number in range(1, len(module.objectives) + 1):
            label = f"{short_name(module.title)} {number}:"
            (cells,) = [cells for cells in map_rows if cells[0].startswith(label)]
            for quiz, cell in ((module.slug, cells[1]), (FINAL_EXAM_NAME, cells[2])):
                expected = {
                    (item.question.title, item.level[0])
                    for item in items(quiz)
                    if item.blueprint["module"] == module.slug
                    and int(item.blueprint["objective"]) == number
                }
                assert set(listed.findall(cell)) == expected, (cells[0], quiz)


def short_name(title: str) -> str:
    """How the objectives map names a module: its title, or its last word when long."""
    return "Practice" if title.endswith("in Practice") else title


def printed_keys(item: Item) -> list[str]:
    """The keys a learner writes or picks as one phrase: a choice question's right options and
    a short answer's accepted wordings (their wildcards dropped)."""
    question = item.question
    if question.kind == "short":
        return [answer.text.replace("*", " ") for answer in question.answers if answer.weight > 0]
    return keys(item) if question.kind in ("single", "multiple") else []


def test_no_objective_on_the_course_page_prints_a_key():
    """The course page shows every module's objectives before any quiz: an objective that
    names what a question asks for answers it for someone who never opened a lesson."""
    objectives = [objective for module in course().modules for objective in module.objectives]
    for item, objective in product(all_items(), objectives):
        for key in printed_keys(item):
            words = content_words(key)
            assert not words <= content_words(objective), (
                f"{item}: its key “{key}” is printed by the objective “{objective}”"
            )
