"""Simulated readers and guessers through a quiz's item statistics, as a psychometrician checks
a question bank before it meets real learners.

    .venv/bin/python bench/simulate_items.py [--readers 200] [--guessers 200] [--testwise 200]

imports the shipped course into a throwaway SQLite database and, for every quiz, simulates

- **readers**, who studied the lessons: each answers every question right with a probability
  of their own (drawn between 0.65 and 1); otherwise they pick a wrong answer the page offers;
- **guessers**, who did not: they pick uniformly among what the page offers (one option, any
  set of boxes, an option for each matching item) and leave typed answers blank;
- **test-wise non-readers**, who did not either but know what test-taking lore teaches, and see
  the whole attempt they sit (never the key or the article). On a question with one answer they
  strike out options with absolute wording ("always", "only", "eliminates"), options against a
  cooperative course's thrust ("coercion", "unilateral") and any idea the attempt offers in two
  questions or more (``IDEA_FAMILIES``, in any words: it keys one of them at most), unless the
  question itself names it; of the rest they take the option that sounds most like the
  article's conclusions (most words of its cooperative register, in its words or others of the
  same sense: trust, mutual, reliable, joint, long-term…), then the one that echoes the
  question's words most, then the most specific (the most words). They mark every true/false
  statement true, and guess the rest.
  Their attempts are scored but not written, so the statistics page shows readers and guessers
  only; the report gives each question's share they earn beside its chance;

writes their attempts as the quiz pages would (questions drawn and snapshots taken as
``attempt_start`` does, answers read back from the page's own fields, graded by ``grade``),
and prints what the instructor's statistics page (``quiz_statistics``) computes: facility and
discrimination per item, with its flags, beside each item's chance score (what a guesser
earns on average, worked out exactly from every answer the page allows).

Readers answer from the key, so a wrong key cannot show here; what can is an item or a quiz
that a guesser does well on (many true/false items, a multiple-answer item whose weights
reward ticking everything, a matching item whose last pair follows by elimination) and an
item that does not separate readers from guessers. The keys are checked against the article
by tests/test_shipped_assessment.py.
"""

import itertools
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import mean

from django.contrib.auth import get_user_model
from django.utils.datastructures import MultiValueDict

from assessments.forms import answer_from_post, question_fieldset
from assessments.grading import grade, is_graded, question_snapshot, validate_answer
from assessments.kinds import kind_for
from assessments.models import Attempt, Quiz, Response
from assessments.services import attempt_result, max_score_of, questions_drawn
from assessments.statistics import QuizStatistics, figure, quiz_statistics

READER_SKILL = (0.65, 1.0)
# What a test-wise learner brings to any bank without reading the article: a course on military
# diplomacy concludes for cooperation, so its keys tend to sound like it. Stems (an option's
# word counts when it starts with one), in the article's words and in others of the same
# sense, since a key may restate a conclusion ("predictable", "joint", "long-term").
COOPERATIVE_REGISTER = (
    "trust", "mutual", "open", "transp", "commun", "unders", "cooper", "stabil", "stable",
    "dialog", "confid", "peace", "respec", "partne", "collec", "consen", "engage", "sustai",
    "reliab", "predic", "shared", "joint", "collab", "harmon", "long", "lasting", "endur",
    "common", "together", "cohes", "resilien", "balanc", "inclus", "recipro", "coordin",
    "interop", "unity", "unified", "goodwill", "friend", "solidar", "integrat", "align",
)  # fmt: skip
# Test-taking lore: a key is seldom absolute ("always", "only", "eliminates")...
ABSOLUTE_WORDING = re.compile(
    r"\b(?:always|never|only|solely|sole|entirely|completely|wholly|totally|all|every|none"
    r"|must|eliminat\w*|guarant\w*|exclusive\w*)\b",
    re.IGNORECASE,
)
# ...nor a course of action against a cooperative course's thrust (not an obstacle it names,
# such as rivalries, which a question on constraints may well key).
AGAINST_THE_THRUST = re.compile(
    r"\b(?:coerc\w*|unilateral\w*|isolat\w*|withdr[ae]w\w*|dominat\w*|impos\w*"
    r"|pressur\w*|secrecy|alone)\b",
    re.IGNORECASE,
)
# Ideas that recur as options in other words, each family named by the stems and phrases that
# mark it in an option. An idea offered in several questions of one attempt keys at most one of
# them, so a test-wise learner strikes it out wherever it recurs; the bank's rules
# (tests/test_shipped_assessment.py) keep any family from being a wrong option often.
IDEA_FAMILIES = {
    "sovereignty and its safeguards": r"sovereign|autonom|scope and limits|boundar",
    "the attachés' confidential channels": (
        r"attach|confidential|\bprivate\b|firsthand|strategic assessments"
        r"|secure (?:system|communication|link)"
    ),
    "predictability": r"predictab",
    "an integrated environment for peacekeeping": r"integrated|peacekeep|peace mission",
    "aligned priorities and a unified front": r"\balign|unified",
    "intelligence sharing": r"intelligen|information sharing",
    "crisis response and readiness": r"crisis|crises|readiness|prepared",
    "flexible and adaptable strategies": r"flexib|adapt",
}
# Words too common to tell one idea from another, or to echo a question.
FILLER_WORDS = {
    "the", "a", "an", "of", "to", "and", "or", "in", "on", "for", "with", "by", "as", "is", "are",
    "be", "its", "it", "their", "they", "this", "that", "which", "what", "how", "does", "do",
    "from", "at", "into", "than", "not", "each", "other", "one", "two", "s",
}  # fmt: skip
_STARTED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
# More answers than this to a question, and the chance score is estimated from a sample.
_ENUMERATION_LIMIT = 5000


@dataclass(frozen=True)
class Simulation:
    quiz: Quiz
    statistics: QuizStatistics
    readers: list[Decimal]  # each reader's percent
    guessers: list[Decimal]
    testwise: list[Decimal]  # each test-wise non-reader's percent, not in the statistics
    chance: float  # a guesser's expected percent, averaged over the attempts drawn
    item_chance: dict[int, float]  # question id → a guesser's expected share of its points
    item_testwise: dict[int, float]  # question id → a test-wise non-reader's expected share

    def passed(self, percents: list[Decimal]) -> float:
        return sum(p >= self.quiz.pass_mark for p in percents) / len(percents)


def page_answers(shown: dict) -> list:
    """Every answer a learner can give on the page without typing: each option, each set of
    ticked boxes, each choice of an option per matching item; blank for a typed answer.
    Read from the page's own fields and posted back as a browser would."""
    form = question_fieldset(shown, slot=1, answer=None)
    if form.items:
        fields = [[(item.name, option.value) for option in item.options] for item in form.items]
        posts = itertools.islice(itertools.product(*fields), _ENUMERATION_LIMIT)
    elif form.options and form.input_type == "checkbox":
        values = [option.value for option in form.options]
        posts = (
            [(form.name, value) for value, ticked in zip(values, ticks, strict=True) if ticked]
            for ticks in itertools.product([False, True], repeat=len(values))
        )
    elif form.options:
        posts = ([(form.name, option.value)] for option in form.options)
    else:
        posts = [[]]
    answers = []
    for post in posts:
        data = MultiValueDict()
        for name, value in post:
            data.appendlist(name, value)
        answers.append(validate_answer(shown, answer_from_post(shown, data, 1)))
    return answers


def _points(shown: dict) -> Decimal:
    return Decimal(shown["points"])


def chance_share(shown: dict) -> float:
    """What a guesser earns on the question on average, as a share of its points."""
    scores = [grade(shown, answer).score for answer in page_answers(shown)]
    return float(mean(scores) / _points(shown)) if is_graded(shown) else 0.0


def _reader_answer(shown: dict, skill: float, rng: random.Random):
    kind = kind_for(shown)
    if rng.random() < skill:
        return kind.right_answer(shown)
    wrong = [a for a in page_answers(shown) if grade(shown, a).score < _points(shown)]
    return rng.choice(wrong) if wrong else kind.wrong_answer(shown)


def _guesser_answer(shown: dict, rng: random.Random):
    return rng.choice(page_answers(shown))


def _words(text: str) -> list[str]:
    return [word for word in re.findall(r"\w+", text.lower()) if word not in FILLER_WORDS]


def _option_labels(shown: dict) -> list[str]:
    """What the page offers to pick: a question's options, or a matching question's."""
    form = question_fieldset(shown, slot=1, answer=None)
    return [option.label for option in form.options] + [
        option.label for item in form.items for option in item.options
    ]


def recurring_ideas(attempt: list[list[str]]) -> set[str]:
    """The families of ideas offered as an option in two questions or more of an attempt (the
    options of each of its questions): each keys one of them at most, so a test-wise learner
    strikes them all out."""
    return {
        family
        for family, pattern in IDEA_FAMILIES.items()
        if sum(any(re.search(pattern, option, re.I) for option in options) for options in attempt)
        >= 2
    }


def _strikes(option: str, recurring: set[str]) -> int:
    """How many reasons a test-wise learner sees to strike an option out unread."""
    return (
        bool(ABSOLUTE_WORDING.search(option))
        + bool(AGAINST_THE_THRUST.search(option))
        + any(re.search(IDEA_FAMILIES[family], option, re.I) for family in recurring)
    )


def non_reader_picks(
    question: str, options: list[str], recurring: set[str] = frozenset()
) -> list[int]:
    """The options a test-wise non-reader hesitates between (one picked at random): of those
    with fewest reasons to strike them out (absolute wording, against the cooperative thrust,
    an idea ``recurring`` in the attempt that the question does not name), the ones with most
    words of the cooperative register, then most words of the question, then the most words:
    the most specific, qualified one."""
    stem = set(_words(question))
    # An idea the question itself names is what it asks about, not a stock option to strike.
    recurring = {f for f in recurring if not re.search(IDEA_FAMILIES[f], question, re.I)}
    appeal = [
        (
            -_strikes(option, recurring),
            sum(word.startswith(COOPERATIVE_REGISTER) for word in _words(option)),
            len(set(_words(option)) & stem),
            len(_words(option)),
        )
        for option in options
    ]
    return [n for n, value in enumerate(appeal) if value == max(appeal)]


def _testwise_picks(shown: dict, recurring: set[str]) -> list | None:
    """The answers a test-wise non-reader hesitates between on a question with one answer
    (True on a true/false statement), or None where they guess."""
    form = question_fieldset(shown, slot=1, answer=None)
    if form.items or not form.options or form.input_type == "checkbox":
        return None
    answers = page_answers(shown)  # one a radio option, in the page's order
    if shown["kind"] == "true_false":
        return answers[:1]  # True comes first on the page
    picks = non_reader_picks(shown["text"], [option.label for option in form.options], recurring)
    return [answers[n] for n in picks]


def _testwise_percents(
    quiz: Quiz, bank: list, count: int, rng: random.Random
) -> tuple[list[Decimal], dict[int, float]]:
    """Each test-wise non-reader's percent, and each question's share of points they earn on
    average (over the attempts that drew it and the options they hesitate between)."""
    percents, shares, guessed = [], {}, {}
    for _ in range(count):
        drawn = questions_drawn(quiz=quiz, bank=bank, rng=rng)
        shown = [
            question_snapshot(bank[index], rng=rng, shuffle_choices=quiz.shuffle_choices)
            for index, _ in drawn
        ]
        recurring = recurring_ideas([_option_labels(s) for s in shown])
        scores = []
        for s in shown:
            picks = _testwise_picks(s, recurring)
            if picks is None:
                scores.append(grade(s, _guesser_answer(s, rng)).score)
                if s["question_id"] not in guessed:
                    guessed[s["question_id"]] = chance_share(s)
                share = guessed[s["question_id"]]
            else:
                scores.append(grade(s, rng.choice(picks)).score)
                share = float(mean(grade(s, a).score for a in picks) / _points(s))
            shares.setdefault(s["question_id"], []).append(share)
        result = attempt_result(
            scores=scores, max_score=max_score_of(shown), pass_mark=quiz.pass_mark
        )
        percents.append(result.percent)
    return percents, {question: mean(values) for question, values in shares.items()}


def simulate(
    quiz: Quiz, *, readers: int, guessers: int, testwise: int = 0, seed: int = 1
) -> Simulation:
    """Attempts of ``readers`` and ``guessers`` at ``quiz`` written to the database, and the
    statistics the instructor's page shows for them; ``testwise`` non-readers scored aside."""
    rng = random.Random(f"{seed}-{quiz.slug}")
    bank = list(quiz.questions.select_related("lesson__module").prefetch_related("choices"))
    people = get_user_model().objects.bulk_create(
        get_user_model()(username=f"sim-{quiz.slug}-{n}", password="!")
        for n in range(readers + guessers)
    )
    attempts, rows, chance, item_chance = [], [], [], {}
    for n, person in enumerate(people):
        skill = rng.uniform(*READER_SKILL) if n < readers else None
        drawn = questions_drawn(quiz=quiz, bank=bank, rng=rng)
        shown = [
            question_snapshot(bank[index], rng=rng, shuffle_choices=quiz.shuffle_choices)
            for index, _ in drawn
        ]
        answers = [
            _guesser_answer(s, rng) if skill is None else _reader_answer(s, skill, rng)
            for s in shown
        ]
        grades = [grade(s, answer) for s, answer in zip(shown, answers, strict=True)]
        max_score = max_score_of(shown)
        result = attempt_result(
            scores=[g.score for g in grades], max_score=max_score, pass_mark=quiz.pass_mark
        )
        for s in shown:
            if s["question_id"] not in item_chance:
                item_chance[s["question_id"]] = chance_share(s)
        if skill is None:
            expected = sum(item_chance[s["question_id"]] * float(_points(s)) for s in shown)
            chance.append(100 * expected / float(max_score))
        attempt = Attempt(
            learner=person,
            quiz=quiz,
            number=1,
            started_at=_STARTED,
            submitted_at=_STARTED + timedelta(minutes=20),
            pass_mark=quiz.pass_mark,
            max_score=max_score,
            score=result.score,
            percent=result.percent,
            passed=result.passed,
        )
        attempts.append(attempt)
        rows.append(list(zip(shown, answers, grades, strict=True)))
    Attempt.objects.bulk_create(attempts)
    Response.objects.bulk_create(
        Response(
            attempt=attempt,
            slot=slot,
            question_id=s["question_id"],
            shown=s,
            answer=answer,
            saved_at=_STARTED + timedelta(minutes=10),
            score=graded.score,
            is_correct=graded.is_correct,
        )
        for attempt, responses in zip(attempts, rows, strict=True)
        for slot, (s, answer, graded) in enumerate(responses, start=1)
    )
    percents = [attempt.percent for attempt in attempts]
    testwise_percents, item_testwise = _testwise_percents(quiz, bank, testwise, rng)
    return Simulation(
        quiz=quiz,
        statistics=quiz_statistics(quiz=quiz, which="all"),
        readers=percents[:readers],
        guessers=percents[readers:],
        testwise=testwise_percents,
        chance=mean(chance) if chance else 0.0,
        item_chance=item_chance,
        item_testwise=item_testwise,
    )


def report(simulation: Simulation) -> str:
    s = simulation
    lines = [
        f"{s.quiz.title}: readers {mean(s.readers):.1f}% (pass {100 * s.passed(s.readers):.0f}%),"
        f" guessers {mean(s.guessers):.1f}% (pass {100 * s.passed(s.guessers):.0f}%),"
        f" chance {s.chance:.1f}%, pass mark {s.quiz.pass_mark}%"
        + (
            f", test-wise {mean(s.testwise):.1f}% (pass {100 * s.passed(s.testwise):.0f}%)"
            if s.testwise
            else ""
        ),
        f"  {'#':>2}  {'facility':>8}  {'discrim.':>8}  {'chance':>6}  {'t-wise':>6}"
        f"  {'kind':<16} question",
    ]
    for item in s.statistics.items:
        chance = s.item_chance.get(item.question.pk) if item.question else None
        testwise = s.item_testwise.get(item.question.pk) if item.question else None
        lines.append(
            f"  {item.number:>2}  {figure(item.facility):>8}  {figure(item.discrimination):>8}"
            f"  {figure(chance):>6}  {figure(testwise):>6}  {item.kind:<16} {item.text}"
            + (f"  FLAGGED: {' '.join(map(str, item.flags))}" if item.flags else "")
        )
    return "\n".join(lines)
