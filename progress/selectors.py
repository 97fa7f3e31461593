"""A learner's progress through a course, with the reasons for each state.

The rules (DESIGN.md): a module is complete when all its visible lessons
are read and its quiz, if any, is passed; the course when every visible
module is complete and the final exam, if any, is passed. In a sequential
course a module opens when the one before it is complete, and the final
exam when all modules are.

Progress is built from two cached parts (``progress.cache`` says when they
change): the course's outline, the same for every learner, and the learner's
own state in the course, read with flat queries. Both are plain data that
pickle, so any process sharing the cache can use them.
"""

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.core.cache import cache
from django.db.models import Count, DateTimeField, DecimalField, F, Max, Value
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from assessments.forms import local_number, points_label, score_label
from assessments.grading import to_decimal
from assessments.models import (
    AWAITING_GRADING,
    Attempt,
    GradeChange,
    Quiz,
    QuizOverride,
    Response,
)
from assessments.selectors import attempt_limit, quiz_closes_at
from lessons.markdown import passage_anchor
from lessons.models import Course, Lesson, Module, Previews, Status
from progress import rules
from progress.cache import (
    COURSES_VERSION_KEY,
    TIMEOUT,
    content_version_key,
    learner_version_key,
    versions,
)
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.rules import ModuleState


@dataclass(frozen=True)
class CourseOutline:
    """What every learner of a course sees: published modules, visible lessons, visible
    quizzes, each with its course attached and its URL built once."""

    modules: list[Module]
    lessons: list[Lesson]  # in reading order; without their bodies
    quizzes: list[Quiz]
    urls: dict[tuple[str, int], str]  # ("lesson" or "quiz", pk) -> URL

    @property
    def open_previews(self) -> set[int]:
        """The lessons anyone may read before enrolling (``Lesson.is_preview``), and the
        course's first lesson unless the course opens only those marked
        (``Course.previews``): a visitor sees how the course reads before deciding.
        Only visible lessons of the outline, so a draft is never one."""
        first = {
            lesson.pk for lesson in self.lessons[:1] if lesson.course.previews == Previews.FIRST
        }
        return first | {lesson.pk for lesson in self.lessons if lesson.is_preview}

    def lessons_of(self, module: Module) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.module_id == module.pk]

    def quiz_of(self, module: Module) -> Quiz | None:
        return next((quiz for quiz in self.quizzes if quiz.module_id == module.pk), None)

    @property
    def final_exam(self) -> Quiz | None:
        return next((quiz for quiz in self.quizzes if quiz.is_final), None)


@dataclass(frozen=True)
class QuizRecord:
    used: int = 0  # attempts used (submitted)
    best: Decimal | None = None
    passed: bool = False
    extra_attempts: int = 0  # granted on top of the quiz's limit (``QuizOverride``)
    awaiting: int = 0  # used attempts whose written answers await an instructor's grade
    closes_at: datetime | None = None  # the learner's own close (``QuizOverride``)


@dataclass(frozen=True)
class LearnerState:
    """What a learner did in a course, as read from the database."""

    enrollment: Enrollment | None = None
    completed: dict[int, datetime] = field(default_factory=dict)  # lesson id -> completed at
    quizzes: dict[int, QuizRecord] = field(default_factory=dict)  # quiz id -> record


@dataclass(frozen=True)
class LessonProgress:
    lesson: Lesson
    done: bool
    completed_at: datetime | None
    url: str = ""
    is_preview: bool = False  # open to anyone before enrolling (``CourseOutline.open_previews``)


@dataclass(frozen=True)
class QuizProgress:
    quiz: Quiz
    url: str
    attempts_used: int
    attempts_left: int | None  # None: unlimited
    attempts_allowed: int | None  # the quiz's limit and the attempts granted; None: unlimited
    best_percent: Decimal | None
    passed: bool
    is_open: bool
    reasons: list[str]
    # An attempt's written answers await an instructor's grade: no pass, no fail until then.
    awaiting_grading: bool = False
    # When no attempt may start any more (``quiz_closes_at``: the learner's own close, if
    # later); None: never. Whether that moment has come is asked when it matters
    # (``quiz_is_closed``), never kept: this record is built from cached reads.
    closes_at: datetime | None = None


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    lessons: list[LessonProgress]
    quiz: QuizProgress | None
    state: ModuleState
    reasons: list[str]

    @property
    def is_complete(self) -> bool:
        return self.state == "done"

    @property
    def is_open(self) -> bool:
        return self.state != "locked"

    @property
    def lessons_done(self) -> int:
        return sum(1 for item in self.lessons if item.done)

    @property
    def all_read(self) -> bool:
        return bool(self.lessons) and self.lessons_done == len(self.lessons)


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    # The course's content version and the learner's version this was built from: a
    # fragment rendered from the progress alone may be cached under it.
    version: str
    enrollment: Enrollment | None
    modules: list[ModuleProgress]
    final_exam: QuizProgress | None
    lessons_done: int
    lessons_total: int
    # Steps done (lessons read, quizzes passed) out of all steps, rounded down.
    percent: int
    is_complete: bool
    next_step: Lesson | Quiz | None

    @property
    def next_step_module_id(self) -> int | None:
        """The module the next step is in (none for the final exam): the syllabus shows its
        lessons, and folds the others' on a phone."""
        return getattr(self.next_step, "module_id", None)

    @property
    def first_open_preview(self) -> LessonProgress | None:
        """The first lesson anyone may read before enrolling, to offer a visitor."""
        return next((item for m in self.modules for item in m.lessons if item.is_preview), None)

    @property
    def first_lesson_is_open(self) -> bool:
        """Whether the course's first lesson is the open preview offered to a visitor (the
        course may open only lessons further on)."""
        first = next((item for m in self.modules for item in m.lessons), None)
        return first is not None and first is self.first_open_preview


def percent_label(percent: Decimal | int | None) -> str:
    """85.00 -> "85%", 62.50 -> "62.5%" (in French "62,5 %")."""
    if percent is None:
        return "–"
    number = local_number(Decimal(percent).quantize(Decimal("0.01")))
    return gettext("%(number)s%%") % {"number": number}


AWAITING_REASON = gettext_lazy(
    "Awaiting grading: your instructor has still to grade your written answers"
)


def awaiting_grading_reason(*, answers: int) -> str:
    """Why an attempt has no result yet, for its learner."""
    return ngettext(
        "%(count)s written answer awaits your instructor’s grade",
        "%(count)s written answers await your instructor’s grade",
        answers,
    ) % {"count": answers}


def _quiz_progress(
    quiz: Quiz, record: QuizRecord, *, url: str, is_open: bool, locked_reason: str | None
) -> QuizProgress:
    used, best, passed = record.used, record.best, record.passed
    left = rules.attempts_left(quiz=quiz, used=used, extra_attempts=record.extra_attempts)
    awaiting = rules.quiz_awaiting_grading(awaiting_attempts=record.awaiting)
    if passed:
        reasons = [gettext("Passed with %(best)s") % {"best": percent_label(best)}]
    elif awaiting:
        reasons = [str(AWAITING_REASON)]
    elif not is_open:
        reasons = [locked_reason or gettext("Not open yet")]
    elif left == 0:
        reasons = [
            gettext("No attempts left: best %(best)s, %(pass_mark)s%% was needed")
            % {"best": percent_label(best), "pass_mark": quiz.pass_mark}
        ]
    else:
        needed = (
            gettext("Best %(best)s, %(pass_mark)s%% needed to pass")
            % {"best": percent_label(best), "pass_mark": quiz.pass_mark}
            if used
            else gettext("%(pass_mark)s%% needed to pass") % {"pass_mark": quiz.pass_mark}
        )
        if left is not None:
            needed += ngettext("; %(count)s attempt left", "; %(count)s attempts left", left) % {
                "count": left
            }
        reasons = [needed]
    return QuizProgress(
        quiz=quiz,
        url=url,
        attempts_used=used,
        attempts_left=left,
        attempts_allowed=attempt_limit(quiz=quiz, extra_attempts=record.extra_attempts),
        best_percent=best,
        passed=passed,
        is_open=is_open,
        reasons=reasons,
        awaiting_grading=awaiting,
        closes_at=quiz_closes_at(quiz=quiz, own=record.closes_at),
    )


def _module_reasons(
    *, lessons: list[LessonProgress], quiz: QuizProgress | None, state: ModuleState, opens: str
) -> list[str]:
    if state == "locked":
        return [opens]
    if state == "done":
        best = percent_label(quiz.best_percent) if quiz is not None else ""
        if not lessons:
            if quiz is None:
                return [gettext("Nothing to do")]
            return [gettext("Quiz passed with %(best)s") % {"best": best}]
        if quiz is None:
            return [
                ngettext("Lesson read", "All %(count)s lessons read", len(lessons))
                % {"count": len(lessons)}
            ]
        return [
            ngettext(
                "Lesson read and quiz passed with %(best)s",
                "All %(count)s lessons read and quiz passed with %(best)s",
                len(lessons),
            )
            % {"count": len(lessons), "best": best}
        ]
    reasons = []
    unread = [item.lesson for item in lessons if not item.done]
    if unread:
        more = len(unread) - 1
        if more:
            reasons.append(
                ngettext(
                    "Read “%(title)s” and %(count)s more lesson",
                    "Read “%(title)s” and %(count)s more lessons",
                    more,
                )
                % {"title": unread[0].title, "count": more}
            )
        else:
            reasons.append(gettext("Read “%(title)s”") % {"title": unread[0].title})
    if quiz is not None and not quiz.passed:
        numbers = {"best": percent_label(quiz.best_percent), "pass_mark": quiz.quiz.pass_mark}
        if quiz.awaiting_grading:
            reasons.append(str(AWAITING_REASON))
        elif quiz.attempts_left == 0:
            reasons.append(
                gettext("No attempts left at the quiz: best %(best)s, %(pass_mark)s%% was needed")
                % numbers
            )
        elif quiz.attempts_used:
            reasons.append(
                gettext("Pass the quiz: best %(best)s, %(pass_mark)s%% needed") % numbers
            )
        else:
            reasons.append(gettext("Pass the quiz: %(pass_mark)s%% needed") % numbers)
    return reasons


# Bumped whenever CourseOutline, or a model it holds, gains or loses a field: a server
# upgraded while outlines of the old shape sit in Redis then never reads one (open previews
# added the second shape, the course's own previews setting the third).
OUTLINE_SHAPE = 3


def outline_cache_key(course_id: int, content_version: str) -> str:
    return f"course-outline:v{OUTLINE_SHAPE}:{course_id}:{content_version}"


def _cached(key: str, found: dict, read):
    value = found.get(key)
    if value is None:
        value = read()
        cache.set(key, value, TIMEOUT)
    return value


@dataclass(frozen=True)
class _Versions:
    """The cache keys of a course's outline and a learner's state in it for the current
    versions, and ``version`` naming both (anything rendered from the progress alone may be
    cached under it)."""

    content: str
    outline_key: str
    state_key: str  # "" for an anonymous visitor
    version: str

    @property
    def keys(self) -> list[str]:
        return [self.outline_key, self.state_key] if self.state_key else [self.outline_key]


def _versions(*, learner, course_id: int) -> _Versions:
    """One cache round trip."""
    anonymous = learner is None or not learner.is_authenticated
    keys = [content_version_key(course_id)]
    if not anonymous:
        keys.append(learner_version_key(learner.pk))
    content, *mine = versions(*keys)
    return _versions_of(learner=learner, course_id=course_id, content=content, mine=mine)


def _versions_of(*, learner, course_id: int, content: str, mine: list[str]) -> _Versions:
    """The keys for tokens already read: ``mine`` holds the learner's, or nothing for an
    anonymous visitor."""
    if not mine:
        return _Versions(
            content, outline_cache_key(course_id, content), "", f"{course_id}.{content}.anonymous"
        )
    return _Versions(
        content,
        outline_cache_key(course_id, content),
        f"learner-state:{learner.pk}:{course_id}:{mine[0]}",
        f"{course_id}.{content}.{learner.pk}.{mine[0]}",
    )


def _outline_and_state(
    *, learner, course: Course, current: _Versions, found: dict
) -> tuple[CourseOutline, LearnerState]:
    """The outline and the learner's state from ``found`` (what the cache held of
    ``current.keys``), each read and cached if it was missing."""
    outline = _cached(current.outline_key, found, lambda: _course_outline_read(course))
    if not current.state_key:
        return outline, LearnerState()
    state = _cached(
        current.state_key, found, lambda: _learner_state_read(learner=learner, course=course)
    )
    return outline, state


def course_outline(*, course: Course) -> CourseOutline:
    """The course as its learners see it, the same for all of them: one cache read, and
    three queries when its content changed."""
    content = versions(content_version_key(course.pk))[0]
    key = outline_cache_key(course.pk, content)
    return _cached(key, cache.get_many([key]), lambda: _course_outline_read(course))


def learner_courses(*, learner) -> list[tuple[Enrollment, CourseProgress]]:
    """The learner's enrolments in published courses, each with its course and the learner's
    progress in it, the most recently active first: four cache round trips however many
    courses (the learner's and the courses' versions, the enrolments, the courses' content
    versions, then every outline and state at once), and no query while nothing changed.

    The enrolments are kept under the learner's version (their last activity moves it) and
    the courses version (any course's title, address or status). The outlines come from the
    process's memory where the lesson page left them (``_KEPT``): this page only reads them.
    """
    mine, courses = versions(learner_version_key(learner.pk), COURSES_VERSION_KEY)
    key = f"learner-enrollments:{learner.pk}:{mine}:{courses}"
    enrollments = _cached(
        key,
        cache.get_many([key]),
        lambda: list(
            Enrollment.objects.filter(learner=learner, course__status=Status.PUBLISHED)
            .select_related("course")
            .order_by(F("last_activity_at").desc(nulls_last=True), "-enrolled_at")
        ),
    )
    if not enrollments:
        return []
    contents = versions(*(content_version_key(e.course_id) for e in enrollments))
    currents = [
        _versions_of(learner=learner, course_id=e.course_id, content=content, mine=[mine])
        for e, content in zip(enrollments, contents, strict=True)
    ]
    # get(), not [key]: another thread of a threaded server may empty it in between.
    kept = {c.outline_key: _KEPT.get(c.outline_key) for c in currents}
    found = {key: outline for key, outline in kept.items() if outline is not None}
    found |= cache.get_many([key for c in currents for key in c.keys if key not in found])
    courses_progress = []
    for enrollment, current in zip(enrollments, currents, strict=True):
        course = enrollment.course
        _keep_outline(course=course, current=current, found=found)
        progress = _progress(learner=learner, course=course, current=current, found=found)
        courses_progress.append((enrollment, progress))
    return courses_progress


def _course_outline_read(course: Course) -> CourseOutline:
    modules = list(Module.objects.published().filter(course=course).order_by("position", "id"))
    lessons = list(
        Lesson.objects.visible()
        .filter(course=course)
        .defer("body", "body_html")
        .order_by("module__position", "module_id", "position", "id")
    )
    quizzes = list(Quiz.objects.visible(course=course).order_by("pk"))
    for item in [*modules, *lessons, *quizzes]:
        item.course = course  # spares get_absolute_url() a query
    urls = {("lesson", lesson.pk): lesson.get_absolute_url() for lesson in lessons}
    urls |= {("quiz", quiz.pk): quiz.get_absolute_url() for quiz in quizzes}
    return CourseOutline(modules=modules, lessons=lessons, quizzes=quizzes, urls=urls)


def _learner_state_read(*, learner, course: Course) -> LearnerState:
    """Three flat queries."""
    enrollment = Enrollment.objects.filter(learner=learner, course=course).first()
    completed = dict(
        LessonCompletion.objects.filter(learner=learner, lesson__course=course).values_list(
            "lesson_id", "completed_at"
        )
    )
    attempts = (
        Attempt.objects.used()
        .filter(learner=learner, quiz__course=course)
        .order_by()
        .values("quiz_id")
        .annotate(
            used=Count("pk"),
            best=Max("percent"),
            passes=Count("pk", filter=rules.PASSING),
            awaiting=Count("pk", filter=AWAITING_GRADING),
            extra=Value(0),
            closes=Value(None, output_field=DateTimeField()),
        )
    )
    # The attempts granted on top of a limit, read in the same query: a row of their own
    # per overridden quiz, merged below.
    granted = (
        QuizOverride.objects.filter(learner=learner, quiz__course=course)
        .order_by()
        .values("quiz_id")
        .annotate(
            used=Value(0),
            best=Value(None, output_field=DecimalField(max_digits=5, decimal_places=2)),
            passes=Value(0),
            awaiting=Value(0),
            extra=F("extra_attempts"),
            closes=F("closes_at"),
        )
        .values("quiz_id", "used", "best", "passes", "awaiting", "extra", "closes")
    )
    rows: dict[int, dict] = {}
    counts = ("used", "passes", "awaiting", "extra")
    for row in attempts.union(granted, all=True):
        merged = rows.setdefault(
            row["quiz_id"], dict.fromkeys(counts, 0) | {"best": None, "closes": None}
        )
        for key in counts:
            merged[key] += row[key]
        for key in ("best", "closes"):
            if row[key] is not None:
                merged[key] = row[key]
    quizzes = {
        quiz_id: QuizRecord(
            used=row["used"],
            best=row["best"],
            passed=rules.quiz_passed(passing_attempts=row["passes"]),
            extra_attempts=row["extra"],
            awaiting=row["awaiting"],
            closes_at=row["closes"],
        )
        for quiz_id, row in rows.items()
    }
    return LearnerState(enrollment=enrollment, completed=completed, quizzes=quizzes)


def course_progress_for_learner(*, learner, course: Course) -> CourseProgress:
    """Where the learner stands in ``course``: two cache reads when nothing changed; on a
    change, three queries for the learner and three for the outline if the content changed."""
    current = _versions(learner=learner, course_id=course.pk)
    found = cache.get_many(current.keys)
    return _progress(learner=learner, course=course, current=current, found=found)


def lesson_cache_key(course_id: int, content_version: str, slug: str) -> str:
    return f"lesson:v1:{course_id}:{content_version}:{slug}"


def _published_lesson(**lookups) -> Lesson | None:
    """A published lesson with its course and its rendered body (not its Markdown)."""
    lesson_rows = Lesson.objects.published().select_related("course").defer("body")
    return lesson_rows.filter(**lookups).first()


# What this process has read of entries that never change under their key (a course's
# outline, a lesson, under its content version), and which course each slug named: kept as
# objects, not pickled, so a visit neither fetches nor unpickles them again. Emptied when full:
# old versions are never asked for again.
_KEPT: dict[str, object] = {}
KEPT_MOST = 512


def _keep(key: str, value) -> None:
    if len(_KEPT) >= KEPT_MOST:
        _KEPT.clear()
    _KEPT[key] = value


def _keep_outline(*, course: Course, current: _Versions, found: dict) -> None:
    """The course's outline into ``found``, read and cached if the cache lacked it, and kept
    in the process's memory for the next visit."""
    outline = _cached(current.outline_key, found, lambda: _course_outline_read(course))
    found[current.outline_key] = outline
    _keep(current.outline_key, outline)


def lesson_for_reader(*, learner, course_slug: str, slug: str) -> tuple[Lesson, CourseProgress]:
    """The published lesson ``slug`` of the published course ``course_slug``, its course
    attached, and the reader's progress in that course; ``Lesson.DoesNotExist`` if there is
    none. Whether the lesson's module is published, and open to the reader, the progress says.

    The lesson, its rendered body and its course are cached under the course's content
    version, read in the same round trip as the learner's state: a visit makes no query.
    The outline and the lesson, once read, stay in the process's memory under their keys
    (``_KEPT``), as does which course a slug names; that is trusted only once the course
    cached under its current content version still has that slug and is published.
    Otherwise, or the first time, the lesson is read by the two slugs in one query, and not
    cached: it was read before the versions.
    """
    course_key = f"course-id:{course_slug}"
    course_id = _KEPT.get(course_key)
    if course_id is not None:
        current = _versions(learner=learner, course_id=course_id)
        lesson_key = lesson_cache_key(course_id, current.content, slug)
        wanted = [*current.keys, lesson_key]
        # get(), not [key]: another thread of a threaded server may empty it in between.
        found = {key: value for key in wanted if (value := _KEPT.get(key)) is not None}
        found |= cache.get_many([key for key in wanted if key not in found])
        lesson = found.get(lesson_key)
        if lesson is None:
            # Read after the versions: kept under them, an edit since bumps them again.
            lesson = _published_lesson(course_id=course_id, slug=slug)
            if lesson is not None:
                cache.set(lesson_key, lesson, TIMEOUT)
        if lesson is not None:
            _keep(lesson_key, lesson)
            course = lesson.course
            if course.slug == course_slug and course.status == Status.PUBLISHED:
                _keep_outline(course=course, current=current, found=found)
                progress = _progress(learner=learner, course=course, current=current, found=found)
                return copy.copy(lesson), progress  # the view gives its copy the module
    lesson = _published_lesson(
        course__slug=course_slug, course__status=Status.PUBLISHED, slug=slug
    )
    if lesson is None:
        _KEPT.pop(course_key, None)
        raise Lesson.DoesNotExist
    _keep(course_key, lesson.course_id)
    return lesson, course_progress_for_learner(learner=learner, course=lesson.course)


def _progress(*, learner, course: Course, current: _Versions, found: dict) -> CourseProgress:
    outline, mine = _outline_and_state(
        learner=learner, course=course, current=current, found=found
    )
    version = current.version
    no_attempts = QuizRecord()

    lessons_by_module: dict[int, list[LessonProgress]] = {m.pk: [] for m in outline.modules}
    open_previews = outline.open_previews
    for lesson in outline.lessons:
        completed_at = mine.completed.get(lesson.pk)
        lessons_by_module[lesson.module_id].append(
            LessonProgress(
                lesson=lesson,
                done=completed_at is not None,
                completed_at=completed_at,
                url=outline.urls["lesson", lesson.pk],
                is_preview=lesson.pk in open_previews,
            )
        )
    quiz_by_module = {q.module_id: q for q in outline.quizzes if q.module_id is not None}
    final_quiz = next((quiz for quiz in outline.quizzes if quiz.is_final), None)

    def quiz_progress_of(quiz: Quiz, *, is_open: bool, locked_reason: str) -> QuizProgress:
        return _quiz_progress(
            quiz,
            mine.quizzes.get(quiz.pk, no_attempts),
            url=outline.urls["quiz", quiz.pk],
            is_open=is_open,
            locked_reason=locked_reason,
        )

    module_progress: list[ModuleProgress] = []
    previous: ModuleProgress | None = None
    for module in outline.modules:
        module_lessons = lessons_by_module[module.pk]
        lessons_read = [item.done for item in module_lessons]
        quiz_row = quiz_by_module.get(module.pk)
        record = mine.quizzes.get(quiz_row.pk, no_attempts) if quiz_row is not None else None
        state = rules.module_state(
            done=rules.module_done(
                lessons_read=lessons_read, quiz_passed=record.passed if record else None
            ),
            locked=rules.module_locked(
                sequential=course.sequential,
                previous_done=previous.is_complete if previous is not None else None,
            ),
            started=rules.module_started(
                lessons_read=lessons_read, quiz_attempts_used=record.used if record else 0
            ),
        )
        opens = (
            gettext("Opens when you complete “%(title)s”") % {"title": previous.module.title}
            if previous
            else ""
        )
        quiz = (
            quiz_progress_of(quiz_row, is_open=state != "locked", locked_reason=opens)
            if quiz_row is not None
            else None
        )
        current = ModuleProgress(
            module=module,
            lessons=module_lessons,
            quiz=quiz,
            state=state,
            reasons=_module_reasons(lessons=module_lessons, quiz=quiz, state=state, opens=opens),
        )
        module_progress.append(current)
        previous = current

    modules_done = [item.is_complete for item in module_progress]
    incomplete = [item for item in module_progress if not item.is_complete]
    final_exam = None
    if final_quiz is not None:
        final_open = rules.final_exam_open(sequential=course.sequential, modules_done=modules_done)
        waiting = ""
        if len(incomplete) > 1:
            waiting = ngettext(
                "Opens when you complete “%(title)s” and %(count)s more module",
                "Opens when you complete “%(title)s” and %(count)s more modules",
                len(incomplete) - 1,
            ) % {"title": incomplete[0].module.title, "count": len(incomplete) - 1}
        elif incomplete:
            waiting = gettext("Opens when you complete “%(title)s”") % {
                "title": incomplete[0].module.title
            }
        final_exam = quiz_progress_of(final_quiz, is_open=final_open, locked_reason=waiting)

    steps = [item.done for item in (lp for mp in module_progress for lp in mp.lessons)]
    lessons_done = sum(steps)
    steps += [mp.quiz.passed for mp in module_progress if mp.quiz is not None]
    if final_exam is not None:
        steps.append(final_exam.passed)
    complete_now = _complete_by_rules(module_progress, final_exam)
    enrollment = mine.enrollment
    is_complete = rules.course_completed(complete=complete_now, enrollment=enrollment)

    return CourseProgress(
        course=course,
        version=version,
        enrollment=enrollment,
        modules=module_progress,
        final_exam=final_exam,
        lessons_done=lessons_done,
        lessons_total=len(outline.lessons),
        percent=rules.percent_done(
            steps_done=sum(steps), steps_total=len(steps), complete=is_complete
        ),
        is_complete=is_complete,
        next_step=None if complete_now else _next_step(module_progress, final_exam),
    )


def _next_step(
    modules: list[ModuleProgress], final_exam: QuizProgress | None
) -> Lesson | Quiz | None:
    for module in modules:
        if module.is_complete or not module.is_open:
            continue
        for item in module.lessons:
            if not item.done:
                return item.lesson
        if module.quiz is not None and _quiz_is_a_step(module.quiz):
            return module.quiz.quiz
    if final_exam is not None and final_exam.is_open and _quiz_is_a_step(final_exam):
        return final_exam.quiz
    return None


def _quiz_is_a_step(quiz: QuizProgress) -> bool:
    """A quiz out of attempts is no step to take, nor one whose attempt awaits its grade;
    the module's reasons say why."""
    return not quiz.passed and not quiz.awaiting_grading and quiz.attempts_left != 0


def _complete_by_rules(modules: list[ModuleProgress], final_exam: QuizProgress | None) -> bool:
    return rules.course_complete(
        modules_done=[module.is_complete for module in modules],
        final_passed=final_exam.passed if final_exam is not None else None,
        has_steps=final_exam is not None or any(m.lessons or m.quiz for m in modules),
    )


def course_complete_by_rules(progress: CourseProgress) -> bool:
    """Whether the course is complete by its rules now, ignoring an earlier completion."""
    return _complete_by_rules(progress.modules, progress.final_exam)


def lesson_is_open(progress: CourseProgress, lesson: Lesson) -> bool:
    """Whether the learner may read (and mark) ``lesson``: visible, and its module open."""
    for module in progress.modules:
        if module.module.pk == lesson.module_id:
            return module.is_open and any(item.lesson.pk == lesson.pk for item in module.lessons)
    return False


def lesson_is_open_preview(progress: CourseProgress, lesson: Lesson) -> bool:
    """Whether anyone, enrolled or not, may read ``lesson`` (``CourseOutline.open_previews``).
    Reading it so records nothing: marking it read still needs ``lesson_is_open``."""
    return any(
        item.is_preview
        for module in progress.modules
        for item in module.lessons
        if item.lesson.pk == lesson.pk
    )


def learner_states_shown(*, progress: CourseProgress, preview: bool) -> bool:
    """Whether a page shows the learner's states (done, in progress, not started, locked,
    the progress bar): they mean something once enrolled, and an instructor's preview shows
    the course as a learner sees it. A visitor sees the course as it is."""
    return progress.enrollment is not None or preview


def quiz_is_open(progress: CourseProgress, quiz: Quiz) -> bool:
    """Whether the learner may start ``quiz``: published, visible, and open by the rules."""
    if progress.final_exam is not None and progress.final_exam.quiz.pk == quiz.pk:
        return progress.final_exam.is_open
    for module in progress.modules:
        if module.quiz is not None and module.quiz.quiz.pk == quiz.pk:
            return module.quiz.is_open
    return False


@dataclass(frozen=True)
class ReviewShows:
    """What the result page of a submitted attempt shows beside right/wrong, the score and
    the re-read links, which it always shows."""

    answers: bool  # the learner's own answers
    key: bool  # the right answers, the feedback on each answer, the explanations
    withheld: str = ""  # why something is not shown, for the learner


KEY_LATER = gettext_lazy(
    "The right answers and explanations are shown once you pass this quiz "
    "or have used all your attempts."
)


def review_shows(*, quiz: Quiz, record: QuizProgress | None) -> ReviewShows:
    """The quiz's review setting applied to where the learner stands (``record``).

    A retake asks the same questions (or draws from the same bank), so the retake-safe
    setting holds back whatever gives a key away (the key itself, answer feedback, which
    often names it, the explanation) until no retake is left to spoil: the learner has
    passed or used every attempt.
    """
    Review = Quiz.Review
    if quiz.review == Review.AFTER_EACH_ATTEMPT:
        return ReviewShows(answers=True, key=True)
    if quiz.review == Review.SCORE_ONLY:
        return ReviewShows(
            answers=False,
            key=False,
            withheld=gettext("This quiz shows which questions you got right, not the answers."),
        )
    # A quiz the learner can no longer see cannot be retaken either.
    settled = record is None or record.passed or record.attempts_left == 0
    if settled:
        return ReviewShows(answers=True, key=True)
    # After passing: not even the learner's own answers, only right or wrong.
    return ReviewShows(
        answers=quiz.review == Review.RETAKE_SAFE, key=False, withheld=str(KEY_LATER)
    )


def quiz_progress(progress: CourseProgress, quiz: Quiz) -> QuizProgress | None:
    """The learner's record at ``quiz`` within ``progress``, if it is visible."""
    if progress.final_exam is not None and progress.final_exam.quiz.pk == quiz.pk:
        return progress.final_exam
    for module in progress.modules:
        if module.quiz is not None and module.quiz.quiz.pk == quiz.pk:
            return module.quiz
    return None


# --- What the quiz and certificate pages show ----------------------------------------------
# Decided here, so the views pass the answers on and never weigh a rule themselves.

ReviewStatus = Literal["right", "partly", "wrong", "awaiting", "ungraded"]


def response_review_status(*, response: Response) -> ReviewStatus:
    """How a submitted answer is marked on the result page: right; partly, when it earned
    some points but not all; wrong; awaiting, while an instructor has still to grade it (a
    written answer); or ungraded, an essay submitted before instructors graded them, which
    scored nothing and counted for nothing."""
    if response.score is None:
        return "awaiting"
    if response.is_correct is None:
        return "ungraded"
    if response.is_correct:
        return "right"
    return "partly" if response.score else "wrong"


@dataclass(frozen=True)
class GradeNote:
    """What a learner reads of one change of an answer's grade: when, what and why."""

    when: datetime
    text: str
    feedback: str  # the instructor's comment, if any


def grade_notes(*, changes: list[GradeChange], points) -> list[GradeNote]:
    """The changes of an answer's grade, oldest first, as its learner reads them: the first
    grade of a written answer, a grade an instructor changed (and why) or a regrade. Who
    made a change is not said; when and why are."""
    notes = []
    for change in changes:
        after = score_label(change.score_after, points)
        if not to_decimal(points):
            # An answer worth no points is only read and commented on: no score to tell.
            first = change.source == GradeChange.Source.GRADED
            text = (
                gettext("Your instructor’s comment")
                if first
                else gettext("Comment changed by your instructor")
            )
        elif change.score_before is None:
            text = gettext("Graded by your instructor: %(after)s") % {"after": after}
        else:
            before = local_number(change.score_before)
            text = {
                GradeChange.Source.REGRADE: gettext(
                    "Regraded after a correction to the question: from %(before)s to %(after)s"
                ),
                GradeChange.Source.OVERRIDE: gettext(
                    "Grade changed by your instructor: from %(before)s to %(after)s"
                ),
                GradeChange.Source.GRADED: gettext(
                    "Graded by your instructor: from %(before)s to %(after)s"
                ),
            }[change.source] % {"before": before, "after": after}
        if change.reason:
            text += gettext(". Why: %(reason)s") % {"reason": change.reason}
        notes.append(GradeNote(when=change.created_at, text=text, feedback=change.feedback))
    return notes


def regrade_notes(*, responses: list[Response], changes: dict[int, list[GradeChange]]):
    """The regrades of an attempt's answers, in question order, for the top of its result
    page: "after a correction to question 2: 1 → 2 points", with when and why."""
    notes = []
    for response in responses:
        for change in changes.get(response.pk, []):
            if change.source != GradeChange.Source.REGRADE:
                continue
            before = "–" if change.score_before is None else local_number(change.score_before)
            text = gettext("after a correction to question %(slot)s: %(before)s → %(after)s") % {
                "slot": response.slot,
                "before": before,
                "after": points_label(change.score_after),
            }
            if change.reason:
                text += gettext(". Why: %(reason)s") % {"reason": change.reason}
            notes.append(GradeNote(when=change.created_at, text=text, feedback=""))
    return notes


@dataclass(frozen=True)
class ReReadLink:
    title: str
    url: str


def response_reread_link(*, response: Response, course_slug: str) -> ReReadLink | None:
    """The passage that answers a missed question (partly right or wrong), to read again.

    Every review policy gives it: pointing back to the passage is study, not the key.
    """
    lesson = response.shown.get("lesson")
    if not lesson or response_review_status(response=response) not in ("partly", "wrong"):
        return None
    url = reverse("lesson_detail", kwargs={"course_slug": course_slug, "slug": lesson["slug"]})
    if lesson.get("passage"):
        url += "#" + passage_anchor(lesson["passage"])
    return ReReadLink(title=lesson["title"], url=url)


@dataclass(frozen=True)
class NextStep:
    label: str
    url: str


def quiz_next_step(*, progress: CourseProgress, quiz: Quiz) -> NextStep | None:
    """Where a learner who passed ``quiz`` goes next; None until they pass it, or when
    nothing is left to do but the certificate is not theirs yet."""
    record = quiz_progress(progress, quiz)
    if record is None or not record.passed:
        return None
    if progress.is_complete:
        return NextStep(
            gettext("View your certificate"),
            reverse("certificate_mine", args=[progress.course.slug]),
        )
    step = progress.next_step
    if isinstance(step, Lesson):
        order = [item.module.pk for item in progress.modules]
        if quiz.module_id in order and order.index(step.module_id) > order.index(quiz.module_id):
            module = progress.modules[order.index(step.module_id)].module
            return NextStep(
                gettext("Continue to the next module: %(title)s") % {"title": module.title},
                step.get_absolute_url(),
            )
        return NextStep(
            gettext("Continue: %(title)s") % {"title": step.title}, step.get_absolute_url()
        )
    if isinstance(step, Quiz):
        # Built here: the quizzes of a progress record come without their course.
        url = reverse(
            "quiz_detail", kwargs={"course_slug": progress.course.slug, "slug": step.slug}
        )
        return NextStep(gettext("Continue: %(title)s") % {"title": step.title}, url)
    return None


def certificate_code_canonical(*, code: str) -> str:
    """A certificate code as it is stored, from however it was typed: codes are read off
    paper and typed back, so case, spaces and dashes of any kind do not matter."""
    compact = re.sub(r"[^0-9A-Z]", "", code.upper())
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def certificate_by_code(*, code: str) -> Certificate | None:
    return Certificate.objects.filter(code=certificate_code_canonical(code=code)).first()


def certificate_due(*, progress: CourseProgress) -> bool:
    """Whether the learner has earned the certificate of ``progress.course``: enrolled, and
    the course complete by its rules now."""
    return progress.enrollment is not None and course_complete_by_rules(progress)
