"""Simulated readers and guessers through a quiz's item statistics, as a psychometrician checks
a question bank before it meets real learners.

    .venv/bin/python bench/simulate_items.py [--readers 200] [--guessers 200] [--seed 1]

imports the shipped course into a throwaway SQLite database and, for every quiz, simulates

- **readers**, who studied the lessons: each answers every question right with a probability
  of their own (drawn between 0.65 and 1); otherwise they pick a wrong answer the page offers;
- **guessers**, who did not: they pick uniformly among what the page offers (one option, any
  set of boxes, an option for each matching item) and leave typed answers blank;

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
_STARTED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
# More answers than this to a question, and the chance score is estimated from a sample.
_ENUMERATION_LIMIT = 5000


@dataclass(frozen=True)
class Simulation:
    quiz: Quiz
    statistics: QuizStatistics
    readers: list[Decimal]  # each reader's percent
    guessers: list[Decimal]
    chance: float  # a guesser's expected percent, averaged over the attempts drawn
    item_chance: dict[int, float]  # question id → a guesser's expected share of its points

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


def simulate(quiz: Quiz, *, readers: int, guessers: int, seed: int = 1) -> Simulation:
    """Attempts of ``readers`` and ``guessers`` at ``quiz`` written to the database, and the
    statistics the instructor's page shows for them."""
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
    return Simulation(
        quiz=quiz,
        statistics=quiz_statistics(quiz=quiz, which="all"),
        readers=percents[:readers],
        guessers=percents[readers:],
        chance=mean(chance) if chance else 0.0,
        item_chance=item_chance,
    )


def report(simulation: Simulation) -> str:
    s = simulation
    lines = [
        f"{s.quiz.title}: readers {mean(s.readers):.1f}% (pass {100 * s.passed(s.readers):.0f}%),"
        f" guessers {mean(s.guessers):.1f}% (pass {100 * s.passed(s.guessers):.0f}%),"
        f" chance {s.chance:.1f}%, pass mark {s.quiz.pass_mark}%",
        f"  {'#':>2}  {'facility':>8}  {'discrim.':>8}  {'chance':>6}  {'kind':<16} question",
    ]
    for item in s.statistics.items:
        chance = s.item_chance.get(item.question.pk) if item.question else None
        lines.append(
            f"  {item.number:>2}  {figure(item.facility):>8}  {figure(item.discrimination):>8}"
            f"  {figure(chance):>6}  {item.kind:<16} {item.text}"
            + (f"  FLAGGED: {' '.join(item.flags)}" if item.flags else "")
        )
    return "\n".join(lines)
