"""Reads of a whole cohort, for the instructor area: funnel, learner × module matrix,
gradebook, and one learner's record.

The per-learner rules live in ``progress.selectors``; here the same rules are
written as SQL conditions so that thousands of learners are counted, filtered
and sorted by the database in a fixed number of queries. Each module fact is an
uncorrelated ``learner IN (…)`` subquery, which PostgreSQL hashes and SQLite
materialises once per statement, so the cost grows with the number of rows,
not rows × subqueries; the page on show gets the same conditions narrowed to
its own learners. ``test_cohort`` checks both formulations agree learner by learner.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.forms import is_unanswered
from assessments.models import Attempt, Question, Quiz, Response
from assessments.review import answer_lines, key_lines
from lessons.models import Course, Lesson, Module, Status
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.selectors import CourseProgress, ModuleState, course_progress_for_learner

STATES: dict[ModuleState, str] = {
    "done": "Done",
    "in_progress": "In progress",
    "not_started": "Not started",
    "locked": "Locked",
}
SORTS = {
    "name": "Name",
    "-progress": "Progress, most first",
    "progress": "Progress, least first",
    "-activity": "Last activity, most recent first",
    "activity": "Last activity, oldest first",
}
_BY_NAME = ("learner__last_name", "learner__first_name", "learner__username", "pk")
_ORDERINGS = {
    "name": _BY_NAME,
    "-progress": (F("percent").desc(), *_BY_NAME),
    "progress": (F("percent").asc(), *_BY_NAME),
    "-activity": (F("last_activity_at").desc(nulls_last=True), *_BY_NAME),
    "activity": (F("last_activity_at").asc(nulls_first=True), *_BY_NAME),
}
# Always true, for a module with nothing to read (an empty Q() cannot stand in a When()).
_ALWAYS = Q(pk__isnull=False)


def is_teaching_staff(user) -> bool:
    """Whether ``user`` may enter the instructor area at all: active staff or a superuser."""
    return user.is_active and (user.is_staff or user.is_superuser)


def courses_taught(user) -> QuerySet[Course]:
    """Courses ``user`` may follow: staff see the courses they teach, superusers all."""
    if not is_teaching_staff(user):
        return Course.objects.none()
    if user.is_superuser:
        return Course.objects.all()
    return Course.objects.filter(instructors=user)


def course_for_instructor(*, user, slug: str) -> tuple[Course, bool]:
    """The course with ``slug`` and whether ``user`` may follow it, in one query.

    Raises ``Course.DoesNotExist``.
    """
    course = Course.objects.annotate(
        taught_by_user=Exists(
            Course.instructors.through.objects.filter(course=OuterRef("pk"), user=user.pk)
        )
    ).get(slug=slug)
    allowed = is_teaching_staff(user) and (user.is_superuser or course.taught_by_user)
    return course, allowed


# --- The course as learners see it ------------------------------------------------


@dataclass(frozen=True)
class Outline:
    """What counts for progress, as in ``course_progress_for_learner``: published modules,
    each with ``lesson_ids`` (its visible lessons) and ``visible_quiz``, and the final exam."""

    course: Course
    modules: list[Module]
    final_exam: Quiz | None

    @property
    def quizzes(self) -> list[Quiz]:
        """Module quizzes in module order, then the final exam."""
        quizzes = [m.visible_quiz for m in self.modules if m.visible_quiz is not None]
        return quizzes + ([self.final_exam] if self.final_exam else [])

    @property
    def lesson_ids(self) -> list[int]:
        return [pk for module in self.modules for pk in module.lesson_ids]

    @property
    def steps_total(self) -> int:
        return len(self.lesson_ids) + len(self.quizzes)


def course_outline(course: Course) -> Outline:
    """Three queries."""
    modules = list(Module.objects.published().filter(course=course).order_by("position", "id"))
    lessons = Lesson.objects.visible().filter(course=course).order_by("position", "id")
    quizzes = list(
        Quiz.objects.published()
        .filter(course=course)
        .filter(Q(module__isnull=True) | Q(module__status=Status.PUBLISHED))
    )
    lesson_ids: dict[int, list[int]] = {module.pk: [] for module in modules}
    for lesson_id, module_id in lessons.values_list("pk", "module_id"):
        lesson_ids[module_id].append(lesson_id)
    by_module = {quiz.module_id: quiz for quiz in quizzes if quiz.module_id is not None}
    for module in modules:
        module.course = course
        module.lesson_ids = lesson_ids[module.pk]
        module.visible_quiz = by_module.get(module.pk)
    for quiz in quizzes:
        quiz.course = course
    final = next((quiz for quiz in quizzes if quiz.is_final), None)
    return Outline(course=course, modules=modules, final_exam=final)


# --- Module facts as conditions on Enrollment -----------------------------------
# Each fact is "learner IN (a subquery)". Lessons are named by id, so the subquery
# reads the (lesson, learner) index rather than joining every completion to its
# lesson. ``learners`` narrows the subqueries to a page of learners.


def _completions(module: Module, learners: list[int] | None):
    completions = LessonCompletion.objects.filter(lesson__in=module.lesson_ids)
    return completions if learners is None else completions.filter(learner__in=learners)


def _attempts(quiz: Quiz, learners: list[int] | None):
    # Submitted attempts only: an open attempt neither counts as tried nor passes.
    attempts = Attempt.objects.filter(quiz=quiz, submitted_at__isnull=False)
    return attempts if learners is None else attempts.filter(learner__in=learners)


def _passed(quiz: Quiz, learners: list[int] | None = None) -> Q:
    return Q(learner__in=_attempts(quiz, learners).filter(passed=True).values("learner"))


def _read_all(module: Module, learners: list[int] | None) -> Q:
    if not module.lesson_ids:
        return _ALWAYS
    readers = (
        _completions(module, learners)
        .values("learner")
        .annotate(read=Count("lesson"))
        .filter(read=len(module.lesson_ids))
        .values("learner")
    )
    return Q(learner__in=readers)


def module_done(module: Module, learners: list[int] | None = None) -> Q:
    """Visible lessons all read and the quiz, if any, passed."""
    done = _read_all(module, learners)
    if module.visible_quiz is not None:
        done &= _passed(module.visible_quiz, learners)
    return done


def _module_started(module: Module, learners: list[int] | None) -> Q:
    started = Q(learner__in=_completions(module, learners).values("learner"))
    if module.visible_quiz is not None:
        started |= Q(learner__in=_attempts(module.visible_quiz, learners).values("learner"))
    return started


def _module_facts(outline: Outline, module: Module, learners: list[int] | None):
    """(done, the module before done — None when nothing can lock it, started)."""
    index = outline.modules.index(module)
    lockable = outline.course.sequential and index > 0
    before = module_done(outline.modules[index - 1], learners) if lockable else None
    return module_done(module, learners), before, _module_started(module, learners)


def module_state_conditions(
    outline: Outline, module: Module, learners: list[int] | None = None
) -> dict[ModuleState, Q]:
    """For each state, the condition an enrolment meets when it is in that state at ``module``.

    The rules of ``course_progress_for_learner``: done first; then locked (a
    sequential course, and the module before is not done); then in progress
    (a lesson read or a quiz attempt submitted); else not started.
    """
    done, before, started = _module_facts(outline, module, learners)
    locked = ~done & ~before if before is not None else ~_ALWAYS
    return {
        "done": done,
        "locked": locked,
        "in_progress": ~done & ~locked & started,
        "not_started": ~done & ~locked & ~started,
    }


def _state_expression(outline: Outline, module: Module, learners: list[int] | None) -> Case:
    done, before, started = _module_facts(outline, module, learners)
    # The same states as module_state_conditions(): When()s are tried in order, so
    # each can leave out what the ones before it ruled out.
    whens = [When(done, then=Value("done"))]
    if before is not None:
        whens.append(When(~before, then=Value("locked")))
    whens.append(When(started, then=Value("in_progress")))
    return Case(*whens, default=Value("not_started"), output_field=CharField())


def _percent_expression(outline: Outline):
    """Steps done out of all steps, rounded down; 100 once completed — as the learner sees it.

    Correlated subqueries on the learner's own rows: cheap for a page, and they only
    run over the whole cohort when the list is sorted by progress.
    """
    total = outline.steps_total
    if total == 0:
        return Value(0)
    lessons_read = LessonCompletion.objects.filter(
        learner=OuterRef("learner"), lesson__in=outline.lesson_ids
    )
    quizzes_passed = Attempt.objects.filter(
        learner=OuterRef("learner"), quiz__in=outline.quizzes, passed=True
    )
    steps_done = _count(lessons_read, "lesson") + _count(quizzes_passed, "quiz")
    return Case(
        When(completed_at__isnull=False, then=Value(100)),
        # Integer division rounds down, like the learner's own percentage.
        default=steps_done * 100 / total,
        output_field=IntegerField(),
    )


def _count(queryset, field: str):
    """Distinct ``field`` values of a queryset correlated on the learner, as a subquery."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .values("learner")
            .annotate(n=Count(field, distinct=True))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


# --- Funnel -----------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    label: str
    learners: int
    share: int  # percent of enrolled learners, rounded down


@dataclass(frozen=True)
class Funnel:
    enrolled: int
    completed: int
    steps: list[FunnelStep]


def course_funnel(outline: Outline) -> Funnel:
    """Enrolled, completed, and how many learners got through each module. One query."""
    counts = {f"module_{m.pk}": Count("pk", filter=module_done(m)) for m in outline.modules}
    if outline.final_exam is not None:
        counts["final_exam"] = Count("pk", filter=_passed(outline.final_exam))
    certified = Certificate.objects.filter(course=outline.course).values("learner")
    totals = Enrollment.objects.filter(course=outline.course).aggregate(
        enrolled=Count("pk"),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
        certificates=Count("pk", filter=Q(learner__in=certified)),
        **counts,
    )
    enrolled = totals["enrolled"]

    def step(label, key):
        learners = totals[key]
        return FunnelStep(label, learners, 100 * learners // enrolled if enrolled else 0)

    steps = [
        step(f"Module {n}: {m.title}", f"module_{m.pk}")
        for n, m in enumerate(outline.modules, start=1)
    ]
    if outline.final_exam is not None:
        steps.append(step(f"{outline.final_exam.title} passed", "final_exam"))
    steps.append(step("Certificate issued", "certificates"))
    return Funnel(enrolled=enrolled, completed=totals["completed"], steps=steps)


# --- Learner × module matrix -----------------------------------------------------


def cohort_learners(
    outline: Outline,
    *,
    search: str = "",
    module: Module | None = None,
    state: str | None = None,
    sort: str = "name",
) -> QuerySet[Enrollment]:
    """The course's enrolments, filtered and sorted; unknown values are ignored."""
    enrollments = Enrollment.objects.filter(course=outline.course).select_related("learner")
    for term in search.split():
        enrollments = enrollments.filter(
            Q(learner__first_name__icontains=term)
            | Q(learner__last_name__icontains=term)
            | Q(learner__username__icontains=term)
            | Q(learner__email__icontains=term)
        )
    if module is not None and state in STATES:
        enrollments = enrollments.filter(module_state_conditions(outline, module)[state])
    if sort in ("progress", "-progress"):
        # Only here does every learner's percentage have to be worked out.
        enrollments = enrollments.annotate(percent=_percent_expression(outline))
    return enrollments.order_by(*_ORDERINGS.get(sort, _BY_NAME))


@dataclass(frozen=True)
class MatrixCell:
    module: Module
    state: ModuleState
    lessons_read: int
    best_percent: Decimal | None


@dataclass(frozen=True)
class MatrixRow:
    enrollment: Enrollment
    percent: int
    cells: list[MatrixCell]

    @property
    def learner(self):
        return self.enrollment.learner


def matrix_rows(outline: Outline, enrollments: list[Enrollment]) -> list[MatrixRow]:
    """A page of ``cohort_learners`` with each learner's percentage and, per module,
    state, lessons read and best quiz score. Three queries, narrowed to the page."""
    learners = [e.learner_id for e in enrollments]
    states = {
        row["pk"]: row
        for row in Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values(
            "pk",
            percent=_percent_expression(outline),
            **{f"state_{m.pk}": _state_expression(outline, m, learners) for m in outline.modules},
        )
    }
    read = {
        (row["learner"], row["lesson__module"]): row["n"]
        for row in LessonCompletion.objects.filter(
            learner__in=learners, lesson__in=outline.lesson_ids
        )
        .values("learner", "lesson__module")
        .annotate(n=Count("pk"))
        .order_by()
    }
    quizzes = [m.visible_quiz for m in outline.modules if m.visible_quiz is not None]
    best = {
        (row["learner"], row["quiz"]): row["best"]
        for row in Attempt.objects.filter(
            learner__in=learners, quiz__in=quizzes, submitted_at__isnull=False
        )
        .values("learner", "quiz")
        .annotate(best=Max("percent"))
        .order_by()
    }
    return [
        MatrixRow(
            enrollment=enrollment,
            percent=states[enrollment.pk]["percent"],
            cells=[
                MatrixCell(
                    module=module,
                    state=states[enrollment.pk][f"state_{module.pk}"],
                    lessons_read=read.get((enrollment.learner_id, module.pk), 0),
                    best_percent=(
                        best.get((enrollment.learner_id, module.visible_quiz.pk))
                        if module.visible_quiz
                        else None
                    ),
                )
                for module in outline.modules
            ],
        )
        for enrollment in enrollments
    ]


# --- Gradebook --------------------------------------------------------------------

PASSED, NOT_PASSED = "Passed", "Not passed"


def gradebook_header(outline: Outline) -> list[str]:
    header = ["Learner", "Username", "Email"]
    for quiz in outline.quizzes:
        header += [f"{quiz.title}: best %", f"{quiz.title}: result"]
    return [*header, "Course completed"]


def enrollments_by_name(course: Course) -> QuerySet[Enrollment]:
    """The course's enrolment ids in gradebook order: cheap to count and to page."""
    return Enrollment.objects.filter(course=course).order_by(*_BY_NAME).values("pk")


def gradebook_learners(
    outline: Outline, *, only: QuerySet[Enrollment] | None = None
) -> QuerySet[Enrollment]:
    """Every enrolment with ``best_<quiz pk>`` and ``passes_<quiz pk>``, sorted by name.

    Feeds the gradebook page, its CSV and its XLSX, so they hold the same figures.
    One pass over the course's attempts, grouped by learner; ``only`` (a page of
    ``enrollments_by_name``) narrows it to those learners before their attempts are read.
    """
    annotations = {}
    for quiz in outline.quizzes:
        annotations[f"best_{quiz.pk}"] = Max("tries__percent", filter=Q(tries__quiz=quiz))
        annotations[f"passes_{quiz.pk}"] = Count(
            "tries", filter=Q(tries__quiz=quiz, tries__passed=True)
        )
    enrollments = Enrollment.objects.filter(course=outline.course)
    if only is not None:
        enrollments = enrollments.filter(pk__in=only)
    return (
        enrollments.select_related("learner")
        .annotate(
            tries=FilteredRelation(
                "learner__attempts",
                condition=Q(
                    learner__attempts__quiz__in=outline.quizzes,
                    learner__attempts__submitted_at__isnull=False,
                ),
            ),
            **annotations,
        )
        .order_by(*_BY_NAME)
    )


def learner_name(user) -> str:
    return user.get_full_name() or user.get_username()


def gradebook_values(outline: Outline, enrollment: Enrollment) -> list:
    """One gradebook row as typed values: text, Decimal percents, a date, None for blanks."""
    learner = enrollment.learner
    values = [learner_name(learner), learner.get_username(), learner.email]
    for quiz in outline.quizzes:
        best = getattr(enrollment, f"best_{quiz.pk}")
        passed = getattr(enrollment, f"passes_{quiz.pk}") > 0
        # No result without an attempt: "not passed" would read as a failed exam.
        values += [best, None if best is None else PASSED if passed else NOT_PASSED]
    completed = enrollment.completed_at
    return [*values, timezone.localdate(completed) if completed else None]


def as_text(value) -> str:
    """How a value reads on the page and in the CSV: 85.00 -> "85", 62.50 -> "62.5"."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class GradebookRow:
    learner_id: int
    cells: list[str]


def gradebook_row(outline: Outline, enrollment: Enrollment) -> GradebookRow:
    """A row as the page and the CSV show it."""
    values = gradebook_values(outline, enrollment)
    return GradebookRow(enrollment.learner_id, [as_text(value) for value in values])


# --- One learner -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerReview:
    slot: int
    question: str
    kind: str
    answer: str
    key: str
    score: Decimal | None
    points: Decimal
    is_correct: bool | None


@dataclass(frozen=True)
class LearnerRecord:
    enrollment: Enrollment
    progress: CourseProgress
    attempts: list[Attempt]  # each with ``answers``: list[AnswerReview]


def learner_record(*, course: Course, learner_id: int) -> LearnerRecord:
    """One learner's progress, lessons read and attempts with their answers. Seven queries.

    Raises ``Enrollment.DoesNotExist`` for someone not enrolled in ``course``.
    """
    enrollment = Enrollment.objects.select_related("learner").get(
        course=course, learner_id=learner_id
    )
    progress = course_progress_for_learner(learner=enrollment.learner, course=course)
    attempts = list(
        Attempt.objects.filter(learner_id=learner_id, quiz__course=course)
        .select_related("quiz", "quiz__module")
        .prefetch_related(Prefetch("responses", queryset=Response.objects.order_by("slot")))
        .order_by(F("quiz__module__position").asc(nulls_last=True), "quiz_id", "number")
    )
    for attempt in attempts:
        attempt.answers = [
            AnswerReview(
                slot=response.slot,
                question=response.shown.get("text", ""),
                kind=Question.Kind(response.shown["kind"]).label,
                answer=answer_text(response.shown, response.answer),
                key=key_text(response.shown),
                score=response.score,
                points=Decimal(response.shown.get("points", 0)),
                is_correct=response.is_correct,
            )
            for response in attempt.responses.all()
        ]
    return LearnerRecord(enrollment=enrollment, progress=progress, attempts=attempts)


def answer_text(shown: dict, answer) -> str:
    """The learner's answer in the words they saw (choice texts, not ids)."""
    if is_unanswered(shown, answer):
        return "No answer"
    return "; ".join(answer_lines(shown, answer)) or "A choice no longer shown"


def key_text(shown: dict) -> str:
    """The right answer as the snapshot keys it."""
    return "; ".join(key_lines(shown))
