"""Load-test learners with realistic progress, written in bulk (``seed_load``).

Ten thousand learners through the services would take hours, so each learner's
journey is simulated in memory — lessons read in order, modules in order, a
quiz retaken until it is passed or out of attempts, the final exam last — then
written a batch of learners at a time: ``bulk_create``, and COPY on PostgreSQL
for the bulk of the rows (lesson completions and responses). The simulation
holds no rules of its own: the course is the learners' outline
(``progress.selectors.course_outline``); attempts left, module done and course
complete come from ``progress.rules``; questions are drawn and attempts scored
as ``assessments.services`` does it, and graded with ``submitted_grade`` from real
snapshots (``question_snapshot``), so they read exactly like attempts taken
through the quiz pages. Open attempts for the benchmarks, a few hundred, are
started by the real service (``open_attempts_create``).

Every learner has a random generator of its own, seeded from the run's seed,
the username prefix and the learner's number: learner 42 is the same whichever
run or batch creates it, and a second run creates only the learners missing.
"""

import itertools
import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Prefetch, prefetch_related_objects

from assessments.grading import question_snapshot, validate_answer
from assessments.kinds import kind_for
from assessments.models import Attempt, Question, Quiz, Response
from assessments.services import attempt_result, max_score_of, questions_drawn, submitted_grade
from lessons.models import Course, Lesson
from progress import rules
from progress.models import CODE_ALPHABET, Certificate, Enrollment, LessonCompletion
from progress.selectors import course_outline
from progress.services import quiz_attempt_start

# Distinct choice orders built per question: variety enough, at the cost of one snapshot each.
SNAPSHOT_VARIANTS = 4
BATCH_SIZE = 500
# How many times a learner tries a quiz that sets no attempt limit before giving up.
PATIENCE = 3
# Journeys are simulated from this moment, then moved so each ends before the anchor.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

FIRST_NAMES = (  # noqa: SIM905 (a list literal would run to 40 lines)
    "Aiko Amara Anders Ana Arjun Ayesha Björn Carmen Chen Dara Elif Emeka Farah Gustavo Hana "
    "Ines Ivan Jonas Kamala Kenji Lars Leila Maya Mateo Nadia Niamh Olga Omar Priya Rafael "
    "Rania Sanjay Sofia Tariq Thandiwe Tomasz Valentina Wei Yusuf Zanele"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Abebe Andersson Bakker Banerjee Costa Dubois Eriksen Fernández García Haddad Ito Jansen "
    "Kaya Kowalski Kim Larsen Mensah Müller Nakamura Novak Okafor Oliveira Park Petrov Popescu "
    "Quispe Rahman Rossi Santos Schmidt Silva Singh Tanaka Tran Usman Varga Wang Yilmaz Zhou"
).split()


@dataclass(frozen=True)
class Snapshot:
    """A question as shown in an attempt; shared by many responses, so serialised once."""

    key: int
    data: dict
    json: str


@dataclass(frozen=True)
class QuizPlan:
    quiz: Quiz
    questions: list[Question]
    # Per question, in bank order: its snapshots, each with another order of choices.
    snapshots: list[list[Snapshot]]


@dataclass(frozen=True)
class ModulePlan:
    lessons: list[Lesson]
    quiz: QuizPlan | None


@dataclass(frozen=True)
class CoursePlan:
    course: Course
    modules: list[ModulePlan]
    final_exam: QuizPlan | None

    @property
    def steps(self) -> int:
        """Lessons and quizzes, in the order a learner meets them."""
        return sum(len(m.lessons) + (m.quiz is not None) for m in self.modules) + (
            self.final_exam is not None
        )


@dataclass
class SeedReport:
    created: int = 0
    skipped: int = 0
    counts: Counter = field(default_factory=Counter)


def course_plan(*, course: Course) -> CoursePlan:
    """What learners of ``course`` can see, with snapshots of every question."""
    outline = course_outline(course=course)
    bank = Question.objects.select_related("lesson__module").prefetch_related("choices")
    prefetch_related_objects(outline.quizzes, Prefetch("questions", queryset=bank))
    keys = itertools.count()
    plans = {quiz.pk: _quiz_plan(quiz, keys) for quiz in outline.quizzes}

    def plan_of(quiz: Quiz | None) -> QuizPlan | None:
        return plans[quiz.pk] if quiz is not None else None

    return CoursePlan(
        course=course,
        modules=[
            ModulePlan(lessons=outline.lessons_of(module), quiz=plan_of(outline.quiz_of(module)))
            for module in outline.modules
        ],
        final_exam=plan_of(outline.final_exam),
    )


def _quiz_plan(quiz: Quiz, keys: Iterator[int]) -> QuizPlan:
    questions = list(quiz.questions.all())
    variants = SNAPSHOT_VARIANTS if quiz.shuffle_choices else 1
    return QuizPlan(
        quiz=quiz,
        questions=questions,
        snapshots=[
            [
                Snapshot(key=next(keys), data=shown, json=json.dumps(shown))
                for shown in (
                    question_snapshot(
                        q, rng=random.Random(n), shuffle_choices=quiz.shuffle_choices
                    )
                    for n in range(variants)
                )
            ]
            for q in questions
        ],
    )


def answer_for(shown: dict, *, right: bool):
    """An answer as the quiz page would store it, from the question's kind: full marks when
    ``right``, else none."""
    kind = kind_for(shown)
    # Stored as the page stores it: a blank answer (an essay left empty) is none at all.
    return validate_answer(shown, kind.right_answer(shown) if right else kind.wrong_answer(shown))


@dataclass(slots=True)
class _Response:
    """A response row before its attempt has an id."""

    slot: int
    question_id: int
    shown: Snapshot
    answer: object = None
    saved_at: datetime | None = None
    score: Decimal | None = None
    is_correct: bool | None = None


class _Learner:
    """One learner's journey, simulated from ``_EPOCH`` and then dated (``date``)."""

    def __init__(self, plan: CoursePlan, rng: random.Random, user, report: SeedReport):
        self.plan, self.rng, self.user, self.report = plan, rng, user, report
        self.elapsed = timedelta(0)
        self.enrollment = Enrollment(learner=user, course=plan.course)
        self.completions: list[tuple[int, datetime]] = []  # lesson id, when
        self.attempts: list[Attempt] = []
        self.certificate: Certificate | None = None
        # Ability decides how often an answer is right; each retake adds a little.
        self.ability = rng.betavariate(5, 2)

    def now(self) -> datetime:
        return _EPOCH + self.elapsed

    def wait(self, low: float, high: float, *, break_chance: float = 0.0) -> None:
        """Time passes: ``low``…``high`` minutes, after a break of up to two days at times."""
        if self.rng.random() < break_chance:
            self.elapsed += timedelta(hours=self.rng.uniform(8, 48))
        self.elapsed += timedelta(minutes=self.rng.uniform(low, high))

    def walk(self, goal: int) -> None:
        """Take ``goal`` steps (a lesson read, a quiz passed), fewer if a quiz stops them."""
        steps = 0
        modules_done = []
        for module in self.plan.modules:
            for lesson in module.lessons:
                if steps == goal:
                    return
                self.wait(4, 25, break_chance=0.1)
                self.completions.append((lesson.pk, self.now()))
                steps += 1
            passed = None
            if module.quiz is not None:
                if steps == goal:
                    self.leave_open(module.quiz)
                    return
                passed = self.take(module.quiz)
                if not passed:
                    return
                steps += 1
            lessons_read = [True] * len(module.lessons)
            modules_done.append(rules.module_done(lessons_read=lessons_read, quiz_passed=passed))
        exam = self.plan.final_exam
        final_passed = None
        if exam is not None:
            sequential = self.plan.course.sequential
            if steps == goal or not rules.final_exam_open(
                sequential=sequential, modules_done=modules_done
            ):
                return
            final_passed = self.take(exam)
        complete = rules.course_complete(
            modules_done=modules_done, final_passed=final_passed, has_steps=self.plan.steps > 0
        )
        if complete:
            self.finish()

    def take(self, quiz: QuizPlan) -> bool:
        """Attempts until one passes or none are left; whether the quiz was passed."""
        used = 0
        while (left := rules.attempts_left(quiz=quiz.quiz, used=used)) != 0:
            if left is None and used == PATIENCE:
                break
            self.wait(5, 60, break_chance=0.3 if used else 0.05)
            attempt = self.attempt(quiz, used + 1, answered=1.0)
            self.submit(attempt)
            used += 1
            if attempt.passed:
                return True
        self.report.counts["learners out of attempts"] += 1
        return False

    def leave_open(self, quiz: QuizPlan) -> None:
        """Stopping at a quiz, some leave an attempt half answered (if no time limit runs out)."""
        if quiz.quiz.time_limit_minutes is None and self.rng.random() < 0.3:
            self.wait(5, 60)
            self.attempt(quiz, 1, answered=self.rng.random())
            self.report.counts["attempts left open"] += 1

    def attempt(self, quiz: QuizPlan, number: int, *, answered: float) -> Attempt:
        """A started attempt with its first ``answered`` share of questions answered."""
        drawn = self.draw(quiz)
        limit = quiz.quiz.time_limit_minutes
        attempt = Attempt(
            learner=self.user,
            quiz=quiz.quiz,
            number=number,
            started_at=self.now(),
            time_limit_minutes=limit,
            deadline=self.now() + timedelta(minutes=limit) if limit else None,
            pass_mark=quiz.quiz.pass_mark,
            max_score=max_score_of(shown.data for _, shown in drawn),
        )
        attempt.rows = []
        chance = min(0.98, self.ability + 0.15 * (number - 1))
        for slot, (question, shown) in enumerate(drawn, start=1):
            response = _Response(slot=slot, question_id=question.pk, shown=shown)
            if slot <= round(answered * len(drawn)) and self.rng.random() > 0.03:
                self.elapsed += timedelta(seconds=self.rng.uniform(15, 75))
                response.answer = answer_for(shown.data, right=self.rng.random() < chance)
                response.saved_at = self.now()
            attempt.rows.append(response)
        self.attempts.append(attempt)
        return attempt

    def draw(self, quiz: QuizPlan) -> list[tuple[Question, Snapshot]]:
        """The questions of one attempt, drawn and shuffled as ``attempt_start`` does."""
        order = questions_drawn(quiz=quiz.quiz, bank=quiz.questions, rng=self.rng)
        return [(quiz.questions[i], self.rng.choice(quiz.snapshots[i])) for i, _group in order]

    def submit(self, attempt: Attempt) -> None:
        """Grade as ``attempt_submit`` does, from the snapshots alone."""
        for response in attempt.rows:
            response.score, response.is_correct = submitted_grade(
                response.shown.data, response.answer
            )
        result = attempt_result(
            scores=[r.score for r in attempt.rows],
            max_score=attempt.max_score,
            pass_mark=attempt.pass_mark,
        )
        attempt.score, attempt.percent, attempt.passed = (
            result.score,
            result.percent,
            result.passed,
        )
        self.elapsed += timedelta(seconds=self.rng.uniform(5, 60))
        attempt.submitted_at = self.now()
        outcome = {True: "passed", False: "failed", None: "awaiting grading"}[attempt.passed]
        self.report.counts[f"attempts {outcome}"] += 1

    def finish(self) -> None:
        code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(16))
        self.enrollment.completed_at = self.now()
        self.certificate = Certificate(
            code="-".join(code[i : i + 4] for i in range(0, 16, 4)),
            learner=self.user,
            course=self.plan.course,
            learner_name=self.user.get_full_name(),
            course_title=self.plan.course.title,
            issued_at=self.now(),
        )
        self.report.counts["certificates"] += 1

    def date(self, anchor: datetime) -> None:
        """Move the journey to start at enrolment and end some idle days before ``anchor``."""
        idle = timedelta(days=self.rng.uniform(0, 30))
        enrolled_at = anchor - idle - self.elapsed - timedelta(minutes=self.rng.uniform(1, 60))
        shift = enrolled_at - _EPOCH
        self.user.date_joined = enrolled_at - timedelta(minutes=self.rng.uniform(1, 30))
        self.enrollment.enrolled_at = enrolled_at
        if self.elapsed:
            self.enrollment.last_activity_at = enrolled_at + self.elapsed
        self.completions = [(lesson, at + shift) for lesson, at in self.completions]
        for attempt in self.attempts:
            attempt.started_at += shift
            for name in ("deadline", "submitted_at"):
                if getattr(attempt, name) is not None:
                    setattr(attempt, name, getattr(attempt, name) + shift)
            for response in attempt.rows:
                if response.saved_at is not None:
                    response.saved_at += shift
        if self.certificate is not None:
            self.enrollment.completed_at += shift
            self.certificate.issued_at += shift


def load_learners_create(
    *,
    course: Course,
    learners: int,
    seed: int = 0,
    prefix: str = "load-",
    anchor: datetime,
    password: str | None = None,
    before_final_exam: bool = False,
) -> SeedReport:
    """Create learners ``prefix000001``… enrolled in ``course``, skipping those that exist.

    Passwords are unusable unless ``password`` is given; either way it is hashed
    once and the hash shared, since hashing is deliberately slow. With
    ``before_final_exam`` every learner sets out to take every step but the final exam
    (some still stop at a module quiz they run out of attempts at): the exam-day bench's.
    """
    User = get_user_model()
    plan = course_plan(course=course)
    password_hash = make_password(password)
    names = [f"{prefix}{n:06d}" for n in range(1, learners + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    report = SeedReport(skipped=len(existing))
    todo = [(n, name) for n, name in enumerate(names, start=1) if name not in existing]
    for start in range(0, len(todo), BATCH_SIZE):
        journeys = []
        for number, username in todo[start : start + BATCH_SIZE]:
            rng = random.Random(f"{seed}:{prefix}:{number}")
            user = User(
                username=username,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                email=f"{username}@example.org",
                password=password_hash,
            )
            journey = _Learner(plan, rng, user, report)
            roll = rng.random()
            # 10% just enrolled, 25% set out to finish, the rest stop somewhere on the way.
            goal = 0 if roll < 0.10 else plan.steps if roll < 0.35 else rng.randint(1, plan.steps)
            if before_final_exam:
                goal = plan.steps - (plan.final_exam is not None)
            journey.walk(goal)
            journey.date(anchor)
            journeys.append(journey)
        _write(journeys)
        report.created += len(journeys)
    if connection.vendor == "postgresql" and report.created:
        _analyze()
    return report


def open_attempts_create(
    *, course: Course, quiz: Quiz, learners: list, seed: int, now: datetime
) -> list[Attempt]:
    """For each learner (enrolled, with none open yet), an open attempt at ``quiz`` with every
    question answered: what benchmarks of saving answers and submitting attempts need.

    A few hundred learners, so each attempt is started by the quiz page's own service
    (``quiz_attempt_start``: the learner's gating, the draw, the snapshots); their answers,
    checked as ``response_save`` checks them, are written together. Each attempt's
    ``rows`` are its responses in slot order.
    """
    quiz.course = course
    attempts, answered = [], []
    for learner in learners:
        rng = random.Random(f"{seed}:{learner.pk}")
        ability = rng.betavariate(5, 2)
        attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now, rng=rng)
        attempt.rows = list(attempt.responses.order_by("slot"))
        for response in attempt.rows:
            answer = answer_for(response.shown, right=rng.random() < ability)
            response.answer = validate_answer(response.shown, answer)
            response.saved_at = now
        answered.extend(attempt.rows)
        attempts.append(attempt)
    Response.objects.bulk_update(answered, ["answer", "saved_at"], batch_size=1000)
    return attempts


def _write(journeys: list[_Learner]) -> None:
    attempts = [attempt for journey in journeys for attempt in journey.attempts]
    with transaction.atomic(), _enrolment_times_kept():
        get_user_model().objects.bulk_create([journey.user for journey in journeys])
        Enrollment.objects.bulk_create([journey.enrollment for journey in journeys])
        Certificate.objects.bulk_create([j.certificate for j in journeys if j.certificate])
        Attempt.objects.bulk_create(attempts, batch_size=1000)
        completions = [(j.user.pk, lesson, at) for j in journeys for lesson, at in j.completions]
        _rows_insert(completions=completions, attempts=attempts)


def _rows_insert(*, completions: list[tuple], attempts: list[Attempt]) -> None:
    """Lesson completions (learner id, lesson id, when), and the responses of ``attempts``."""
    if connection.vendor == "postgresql":
        _copy_completions_and_responses(completions, attempts)
        return
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(learner_id=learner, lesson_id=lesson, completed_at=at)
         for learner, lesson, at in completions],
        batch_size=1000,
    )  # fmt: skip
    Response.objects.bulk_create(
        [
            Response(attempt=attempt, slot=r.slot, question_id=r.question_id,
                     shown=r.shown.data, answer=r.answer, saved_at=r.saved_at,
                     score=r.score, is_correct=r.is_correct)
            for attempt in attempts
            for r in attempt.rows
        ],
        batch_size=1000,
    )  # fmt: skip


def _copy_completions_and_responses(completions: list[tuple], attempts: list[Attempt]) -> None:
    """The bulk of the data (some 40 responses a learner, 1 kB of JSON each) by COPY.

    A model instance per row, and PostgreSQL parsing each response's snapshot
    as JSON, took most of the time: the snapshots a batch uses are sent once
    into a temporary table and joined in.
    """
    snapshots = {r.shown.key: r.shown for attempt in attempts for r in attempt.rows}
    response = Response._meta.db_table
    with connection.cursor() as cursor:
        if completions:
            _copy(
                cursor,
                f"{LessonCompletion._meta.db_table} (learner_id, lesson_id, completed_at)",
                completions,
            )
        cursor.execute("CREATE TEMPORARY TABLE load_snapshot (id integer, shown jsonb)")
        _copy(cursor, "load_snapshot", [(key, s.json) for key, s in snapshots.items()])
        cursor.execute(
            f"CREATE TEMPORARY TABLE load_response AS "
            f"SELECT attempt_id, slot, question_id, 0 AS snapshot, answer, saved_at, score, "
            f"is_correct FROM {response} WITH NO DATA"
        )
        _copy(
            cursor,
            "load_response",
            [
                (attempt.pk, r.slot, r.question_id, r.shown.key,
                 None if r.answer is None else json.dumps(r.answer), r.saved_at, r.score,
                 r.is_correct)
                for attempt in attempts
                for r in attempt.rows
            ],
        )  # fmt: skip
        cursor.execute(
            f"INSERT INTO {response} "
            f"(attempt_id, slot, question_id, shown, answer, saved_at, score, is_correct) "
            f"SELECT r.attempt_id, r.slot, r.question_id, s.shown, r.answer, r.saved_at, "
            f"r.score, r.is_correct FROM load_response r JOIN load_snapshot s ON s.id = r.snapshot"
        )
        # Not ON COMMIT DROP: inside a caller's transaction this block only releases a savepoint.
        cursor.execute("DROP TABLE load_snapshot, load_response")


def _copy(cursor, target: str, rows: list[tuple]) -> None:
    """COPY ``rows`` into ``target`` ("table (columns)"): psycopg writes each value in
    COPY's text format (None as NULL), so no value needs quoting by hand."""
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _analyze() -> None:
    """Refresh the planner's statistics: until autovacuum gets to them, it would plan for
    the tables as they were before the load (thousands of rows read as tens)."""
    models = (get_user_model(), Enrollment, LessonCompletion, Attempt, Response, Certificate)
    # VACUUM also marks the pages all-visible, which the question statistics' index-only
    # read depends on; it cannot run inside a transaction (the tests), ANALYZE can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} " + ", ".join(model._meta.db_table for model in models))


@contextmanager
def _enrolment_times_kept():
    """``enrolled_at`` is auto_now_add, which would stamp every row with today's date."""
    enrolled_at = Enrollment._meta.get_field("enrolled_at")
    enrolled_at.auto_now_add = False
    try:
        yield
    finally:
        enrolled_at.auto_now_add = True
