"""Reads of a whole cohort, for the instructor area: funnel, learner × module matrix,
gradebook, and one learner's record.

Progress is counted, filtered and sorted by the database in a fixed number of
queries, with the SQL twins of the rules in ``progress.rules``; the page on show
gets the same conditions narrowed to its own learners. ``test_cohort`` checks
they agree with each learner's own progress, learner by learner.
"""

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from assessments.forms import is_unanswered
from assessments.kinds.base import plain
from assessments.models import (
    USED,
    Attempt,
    GradeChange,
    Question,
    Quiz,
    QuizOverride,
    Response,
    through,
)
from assessments.review import answer_lines, key_lines
from assessments.selectors import grade_changes_of, grade_version_sql
from assessments.text_formats import question_text_html
from lessons.models import Course, Module
from lessons.selectors import courses_with_teaching
from progress import rules, selectors
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.rules import ModuleState
from progress.selectors import CourseProgress, course_progress_for_learner

STATES: dict[ModuleState, str] = {
    "done": gettext_lazy("Done"),
    "in_progress": gettext_lazy("In progress"),
    "not_started": gettext_lazy("Not started"),
    "locked": gettext_lazy("Locked"),
}
SORTS = {
    "name": gettext_lazy("Name"),
    "-progress": gettext_lazy("Progress, most first"),
    "progress": gettext_lazy("Progress, least first"),
    "-activity": gettext_lazy("Last activity, most recent first"),
    "activity": gettext_lazy("Last activity, oldest first"),
}
_BY_NAME = ("learner__last_name", "learner__first_name", "learner__username", "pk")
_ORDERINGS = {
    "name": _BY_NAME,
    "-progress": (F("percent").desc(), *_BY_NAME),
    "progress": (F("percent").asc(), *_BY_NAME),
    "-activity": (F("last_activity_at").desc(nulls_last=True), *_BY_NAME),
    "activity": (F("last_activity_at").asc(nulls_first=True), *_BY_NAME),
}


def course_for_instructor(*, user, slug: str) -> tuple[Course, bool]:
    """The course with ``slug`` and whether ``user`` teaches it (``courses_taught``), in
    one query.

    Raises ``Course.DoesNotExist``.
    """
    course = courses_with_teaching(user).get(slug=slug)
    return course, course.taught_by_user


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
    """The course's outline (``course_outline`` in ``progress.selectors``), each module with
    its ``lesson_ids`` and ``visible_quiz``: one cache read, three queries after an edit."""
    read = selectors.course_outline(course=course)
    modules = []
    for module in read.modules:
        module = copy.copy(module)  # the cached outline's is left as it is
        module.course = course
        module.lesson_ids = [lesson.pk for lesson in read.lessons_of(module)]
        module.visible_quiz = read.quiz_of(module)
        modules.append(module)
    return Outline(course=course, modules=modules, final_exam=read.final_exam)


# --- Module facts as conditions on Enrollment (``progress.rules``) ---------------------
# ``learners`` narrows the subqueries to a page of learners.


def module_done(module: Module, learners: list[int] | None = None) -> Q:
    return rules.module_done_sql(
        lesson_ids=module.lesson_ids, quiz=module.visible_quiz, learners=learners
    )


def _module_facts(outline: Outline, module: Module, learners: list[int] | None) -> dict:
    index = outline.modules.index(module)
    previous = outline.modules[index - 1] if index > 0 else None
    return {
        "done": module_done(module, learners),
        "locked": rules.module_locked_sql(
            sequential=outline.course.sequential,
            previous_done=module_done(previous, learners) if previous is not None else None,
        ),
        "started": rules.module_started_sql(
            lesson_ids=module.lesson_ids, quiz=module.visible_quiz, learners=learners
        ),
    }


def module_state_conditions(outline: Outline, module: Module) -> dict[ModuleState, Q]:
    """For each state, the condition an enrolment meets when it is in that state at ``module``."""
    return rules.module_state_conditions(**_module_facts(outline, module, None))


def _percent_expression(outline: Outline):
    return rules.percent_done_sql(lesson_ids=outline.lesson_ids, quizzes=outline.quizzes)


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
        counts["final_exam"] = Count("pk", filter=rules.quiz_passed_sql(outline.final_exam))
    certified = Certificate.objects.filter(course=outline.course).values("learner")
    totals = Enrollment.objects.filter(course=outline.course).aggregate(
        enrolled=Count("pk"),
        completed=Count("pk", filter=rules.COMPLETED),
        certificates=Count("pk", filter=Q(learner__in=certified)),
        **counts,
    )
    enrolled = totals["enrolled"]

    def step(label, key):
        learners = totals[key]
        return FunnelStep(label, learners, 100 * learners // enrolled if enrolled else 0)

    steps = [
        step(
            gettext("Module %(number)s: %(title)s") % {"number": n, "title": m.title},
            f"module_{m.pk}",
        )
        for n, m in enumerate(outline.modules, start=1)
    ]
    if outline.final_exam is not None:
        steps.append(
            step(gettext("%(title)s passed") % {"title": outline.final_exam.title}, "final_exam")
        )
    steps.append(step(gettext("Certificate issued"), "certificates"))
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
            **{
                f"state_{m.pk}": rules.module_state_sql(**_module_facts(outline, m, learners))
                for m in outline.modules
            },
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
        for row in Attempt.objects.used()
        .filter(learner__in=learners, quiz__in=quizzes)
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


# --- Stuck learners ----------------------------------------------------------------


@dataclass(frozen=True)
class StuckLearner:
    enrollment: Enrollment
    quiz: Quiz
    # Why: the quiz closed before they passed it (a later close of their own frees them),
    # else they used every attempt (one more attempt frees them).
    closed: bool = False

    @property
    def learner(self):
        return self.enrollment.learner


def stuck_learners(outline: Outline, *, now: datetime | None = None) -> list[StuckLearner]:
    """Each learner stuck at a quiz of the course (module quizzes in order, then the final
    exam), by name: out of attempts, or the quiz closed before they passed it. One query,
    whatever the size of the cohort."""
    now = now or timezone.now()
    closed = {quiz: rules.closed_unpassed_sql(quiz, now) for quiz in outline.quizzes}
    conditions = {
        quiz: rules.stuck_sql(quiz) | closed[quiz]
        for quiz in outline.quizzes
        if quiz.max_attempts is not None or (quiz.closes_at and quiz.closes_at <= now)
    }
    return [
        StuckLearner(
            enrollment=enrollment,
            quiz=quiz,
            closed=getattr(enrollment, f"closed_{quiz.pk}"),
        )
        for enrollment, quiz in _enrollments_at_quizzes(
            outline.course,
            conditions,
            **{
                f"closed_{quiz.pk}": Case(When(closed[quiz], then=True), default=False)
                for quiz in conditions
            },
        )
    ]


def _enrollments_at_quizzes(course: Course, conditions: dict[Quiz, Q], **annotations):
    """(enrolment, quiz) for each learner of ``course`` and each quiz whose condition holds
    for them, by name, then in the order of ``conditions``; the enrolments come with their
    learner and ``annotations``. One query."""
    if not conditions:
        return []
    anywhere = Q()
    for condition in conditions.values():
        anywhere |= condition
    enrollments = (
        Enrollment.objects.filter(anywhere, course=course)
        .select_related("learner")
        .annotate(
            **annotations,
            **{
                f"at_quiz_{quiz.pk}": Case(When(condition, then=True), default=False)
                for quiz, condition in conditions.items()
            },
        )
        .order_by(*_BY_NAME)
    )
    return [
        (enrollment, quiz)
        for enrollment in enrollments
        for quiz in conditions
        if getattr(enrollment, f"at_quiz_{quiz.pk}")
    ]


# --- Learners a regrade took a pass from ----------------------------------------------


@dataclass(frozen=True)
class RegradeFlag:
    """A learner who lost points at ``quiz`` in a regrade and does not pass it now. Their
    certificate, if they hold one, stays valid: the instructor decides what to do."""

    enrollment: Enrollment
    quiz: Quiz
    certified: bool

    @property
    def learner(self):
        return self.enrollment.learner


def regrade_flags(course: Course, quizzes: list[Quiz]) -> list[RegradeFlag]:
    """Each learner who lost points in a regrade at one of ``quizzes`` and does not pass it
    now, by name, with whether they hold the course's certificate. One query."""
    flagged = {}
    for quiz in quizzes:
        lost = GradeChange.objects.filter(
            source=GradeChange.Source.REGRADE,
            score_after__lt=F("score_before"),
            response__attempt__quiz=quiz,
        ).values("response__attempt__learner")
        flagged[quiz] = Q(learner__in=lost) & ~rules.quiz_passed_sql(quiz)
    certified = Certificate.objects.filter(course=course, learner=OuterRef("learner"))
    return [
        RegradeFlag(enrollment=enrollment, quiz=quiz, certified=enrollment.certified)
        for enrollment, quiz in _enrollments_at_quizzes(
            course, flagged, certified=Exists(certified)
        )
    ]


# --- Gradebook --------------------------------------------------------------------

PASSED = gettext_lazy("Passed")
NOT_PASSED = gettext_lazy("Not passed")
AWAITING_GRADING = gettext_lazy("Awaiting grading")


def gradebook_header(outline: Outline) -> list[str]:
    header = [gettext("Learner"), gettext("Username"), gettext("Email")]
    for quiz in outline.quizzes:
        header += [
            gettext("%(title)s: best %%") % {"title": quiz.title},
            gettext("%(title)s: result") % {"title": quiz.title},
        ]
    return [*header, gettext("Course completed")]


def enrollments_by_name(course: Course) -> QuerySet[Enrollment]:
    """The course's enrolment ids in gradebook order: cheap to count and to page."""
    return Enrollment.objects.filter(course=course).order_by(*_BY_NAME).values("pk")


def gradebook_learners(
    outline: Outline, *, only: QuerySet[Enrollment] | None = None
) -> QuerySet[Enrollment]:
    """Every enrolment with ``best_<quiz pk>``, ``passes_<quiz pk>`` and ``awaiting_<quiz pk>``
    (attempts awaiting a grade), sorted by name.

    Feeds the gradebook page, its CSV and its XLSX, so they hold the same figures.
    One pass over the course's attempts, grouped by learner; ``only`` (a page of
    ``enrollments_by_name``) narrows it to those learners before their attempts are read.
    """
    annotations = {}
    for quiz in outline.quizzes:
        annotations[f"best_{quiz.pk}"] = Max("tries__percent", filter=Q(tries__quiz=quiz))
        annotations[f"passes_{quiz.pk}"] = Count(
            "tries", filter=Q(tries__quiz=quiz) & through("tries", rules.PASSING)
        )
        # Among submitted attempts, no result yet is ``AWAITING_GRADING``.
        annotations[f"awaiting_{quiz.pk}"] = Count(
            "tries", filter=Q(tries__quiz=quiz, tries__percent__isnull=True)
        )
    enrollments = Enrollment.objects.filter(course=outline.course)
    if only is not None:
        enrollments = enrollments.filter(pk__in=only)
    return (
        enrollments.select_related("learner")
        .annotate(
            tries=FilteredRelation(
                "learner__attempts",
                condition=Q(learner__attempts__quiz__in=outline.quizzes)
                & through("learner__attempts", USED),
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
        passed = rules.quiz_passed(passing_attempts=getattr(enrollment, f"passes_{quiz.pk}"))
        awaiting = rules.quiz_awaiting_grading(
            awaiting_attempts=getattr(enrollment, f"awaiting_{quiz.pk}")
        )
        result = PASSED if passed else AWAITING_GRADING if awaiting else NOT_PASSED
        # No result without an attempt: "not passed" would read as a failed exam.
        values += [best, result if best is not None or awaiting else None]
    completed = enrollment.completed_at
    return [*values, timezone.localdate(completed) if completed else None]


def as_text(value) -> str:
    """How a value reads on the page and in the CSV: 85.00 -> "85", 62.50 -> "62.5"."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
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
    response: Response  # with its grade ``version``, for the grading form
    changes: list[GradeChange]  # every change of its grade, oldest first


@dataclass(frozen=True)
class LearnerRecord:
    enrollment: Enrollment
    progress: CourseProgress
    attempts: list[Attempt]  # each with ``answers``: list[AnswerReview]
    overrides: list[QuizOverride]  # the learner's own terms at the course's quizzes


def learner_record(*, course: Course, learner_id: int) -> LearnerRecord:
    """One learner's progress, lessons read, their own terms at the quizzes, and attempts
    with their answers and the changes of their grades. Nine queries.

    Raises ``Enrollment.DoesNotExist`` for someone not enrolled in ``course``.
    """
    enrollment = Enrollment.objects.select_related("learner").get(
        course=course, learner_id=learner_id
    )
    progress = course_progress_for_learner(learner=enrollment.learner, course=course)
    attempts = list(
        Attempt.objects.filter(learner_id=learner_id, quiz__course=course)
        .select_related("quiz", "quiz__module")
        .prefetch_related(
            Prefetch(
                "responses",
                queryset=Response.objects.annotate(version=grade_version_sql()).order_by("slot"),
            )
        )
        .order_by(F("quiz__module__position").asc(nulls_last=True), "quiz_id", "number")
    )
    changes = grade_changes_of(
        Response.objects.filter(attempt__learner_id=learner_id, attempt__quiz__course=course)
    )
    for attempt in attempts:
        attempt.answers = [
            AnswerReview(
                slot=response.slot,
                question=question_text_html(response.shown),
                kind=Question.Kind(response.shown["kind"]).label,
                answer=answer_text(response.shown, response.answer),
                key=key_text(response.shown),
                score=response.score,
                points=Decimal(response.shown.get("points", 0)),
                is_correct=response.is_correct,
                response=response,
                changes=changes.get(response.pk, []),
            )
            for response in attempt.responses.all()
        ]
    overrides = list(
        QuizOverride.objects.filter(learner_id=learner_id, quiz__course=course)
        .select_related("quiz", "granted_by")
        .order_by(F("quiz__module__position").asc(nulls_last=True), "quiz_id")
    )
    return LearnerRecord(
        enrollment=enrollment, progress=progress, attempts=attempts, overrides=overrides
    )


def answer_text(shown: dict, answer) -> str:
    """The learner's answer in the words they saw (choice texts, not ids)."""
    if is_unanswered(shown, answer):
        return gettext("No answer")
    return "; ".join(answer_lines(shown, answer)) or gettext("A choice no longer shown")


def key_text(shown: dict) -> str:
    """The right answer as the snapshot keys it."""
    return "; ".join(key_lines(shown))
