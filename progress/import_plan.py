"""What importing a course folder would change, and whose records each change touches
(``import_course FOLDER --plan``).

The plan is the import itself (``assessments.course_io.course_import``) run in a transaction
that is then rolled back: the lessons, questions and references it lists are those the
import would write, by construction. Learners are counted afterwards, on the data as it is,
so that a question the import would delete still has its attempts to count. Nothing the
plan does outlives it: the cache is only told of changes once they are committed.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy

from assessments.course_io import course_import
from assessments.models import Attempt, Question, Response
from lessons.models import Course
from lessons.reports import PLAIN, PlainText
from lessons.services import ContentChange, SyncReport
from progress.models import Enrollment, LessonCompletion

# How the plan names what it lists, in the order it lists it.
KINDS = {"courses": gettext_lazy("Course"), "modules": gettext_lazy("Modules"),
         "lessons": gettext_lazy("Lessons"), "quizzes": gettext_lazy("Quizzes"),
         "questions": gettext_lazy("Questions")}  # fmt: skip
# Each change's first word, under its kind's heading: one for every kind of row.
ACTIONS = {"created": pgettext_lazy("import plan", "added"),
           "updated": pgettext_lazy("import plan", "changed"),
           "archived": pgettext_lazy("import plan", "archived"),
           "deleted": pgettext_lazy("import plan", "deleted")}  # fmt: skip


@dataclass
class PlanLine:
    change: ContentChange
    learners: int  # whose progress or attempts the change touches
    touched: str  # how, in a few words

    def render(self, out: PlainText) -> str:
        # The actions' column, as wide as its longest word, so that the labels line up.
        width = max(len(str(action)) for action in ACTIONS.values())
        line = out.line(
            "  %(action)s %(label)s",
            action=str(ACTIONS[self.change.action]).ljust(width),
            label=out.quoted(self.change.label),
        )
        if self.change.fields:
            line = out.line(
                "%(line)s (%(fields)s)",
                line=line,
                fields=out.quoted(", ".join(self.change.fields)),
            )
        if self.learners:
            touches = ngettext(
                "%(line)s — touches %(n)d learner: %(how)s",
                "%(line)s — touches %(n)d learners: %(how)s",
                self.learners,
            )
            line = out.line(touches, line=line, n=self.learners, how=self.touched)
        return line

    def __str__(self) -> str:
        return self.render(PLAIN)


@dataclass
class ImportPlan:
    course: str
    exists: bool
    report: SyncReport
    lines: list[PlanLine] = field(default_factory=list)

    def render(self, out: PlainText) -> str:
        """The plan in the reader's language, as ``out`` writes it (text or HTML)."""
        head = (
            gettext("Plan for %(course)s. Nothing has been written.")
            if self.exists
            else gettext("Plan: the course %(course)s is new. Nothing has been written.")
        )
        lines = [
            out.line(head, course=out.quoted(self.course)),
            out.line(gettext("In all: %(summary)s."), summary=self.report.summary()),
        ]
        for kind, title in KINDS.items():
            listed = [line.render(out) for line in self.lines if line.change.kind == kind]
            if listed:
                lines += ["", out.line(title), *listed]
        if self.report.references:
            lines += ["", out.line(gettext("Questions whose passage would read otherwise"))]
            lines += [out.line("  %(reference)s", reference=out.quoted(reference))
                      for reference in self.report.references]  # fmt: skip
        if self.report.warnings:
            lines += ["", out.line(gettext("To check"))]
            lines += [out.line("  %(warning)s", warning=out.quoted(warning))
                      for warning in self.report.warnings]  # fmt: skip
        return out.join(lines)

    def __str__(self) -> str:
        return self.render(PLAIN)


def course_import_plan(folder: Path | str) -> ImportPlan:
    """What ``course_import(folder)`` would do; raises CourseFormatError as it does.
    Writes nothing."""
    with transaction.atomic():
        course, report = course_import(folder)
        transaction.set_rollback(True)
    exists = Course.objects.filter(slug=course.slug).exists()
    return ImportPlan(
        course=course.slug, exists=exists, report=report, lines=_plan_lines(report, course.slug)
    )


def _plan_lines(report: SyncReport, course_slug: str) -> list[PlanLine]:
    changes = _with_answers_in_questions(report.changes)
    # The rows whose learners are counted, as they are before the import: a new lesson's
    # module, a new question's quiz.
    lessons = [c.pk for c in changes if c.kind == "lessons"]
    modules = [c.parent if c.kind == "lessons" else c.pk for c in changes
               if c.kind in ("lessons", "modules")]  # fmt: skip
    quizzes = [c.parent if c.kind == "questions" else c.pk for c in changes
               if c.kind in ("questions", "quizzes")]  # fmt: skip
    questions = [c.pk for c in changes if c.kind == "questions"]
    readers = _learners(LessonCompletion.objects.filter(lesson_id__in=lessons), "lesson_id")
    module_readers = _learners(
        LessonCompletion.objects.filter(lesson__module_id__in=modules), "lesson__module_id"
    )
    quiz_takers = _learners(Attempt.objects.filter(quiz_id__in=quizzes), "quiz_id")
    shown = _learners(
        Response.objects.filter(question_id__in=questions), "question_id", "attempt__learner_id"
    )
    enrolled = Enrollment.objects.filter(course__slug=course_slug).count()

    def touched(change: ContentChange) -> tuple[int, str]:
        created = change.action == "created"
        if change.kind == "lessons" and created:
            return module_readers.get(change.parent, 0), gettext(
                "read lessons of its module, which gets one more to read"
            )
        if change.kind == "lessons":
            return readers.get(change.pk, 0), gettext("read it; their reading is kept")
        if change.kind in ("modules", "quizzes", "courses") and created:
            return enrolled, gettext("enrolled; the course gets one more thing to do")
        if change.kind == "modules":
            return module_readers.get(change.pk, 0), gettext("read lessons of it")
        if change.kind == "quizzes":
            return quiz_takers.get(change.pk, 0), gettext(
                "attempted it; their attempts stay as they were"
            )
        if change.kind == "questions" and created:
            return quiz_takers.get(change.parent, 0), gettext(
                "attempted its quiz; later attempts may ask it"
            )
        if change.kind == "questions":
            return shown.get(change.pk, 0), gettext(
                "were asked it; their attempts keep it as they saw it"
            )
        return enrolled, gettext("enrolled")

    return [PlanLine(change, *touched(change)) for change in changes if change.kind in KINDS]


def _learners(queryset, key: str, learner: str = "learner_id") -> dict[int, int]:
    """How many learners each ``key`` has in ``queryset``: one query."""
    rows = queryset.order_by().values(key).annotate(n=Count(learner, distinct=True))
    return {row[key]: row["n"] for row in rows}


def _with_answers_in_questions(changes: list[ContentChange]) -> list[ContentChange]:
    """A change to the answers of a question that exists is listed as a change to the
    question ("answers"); a new question's answers are part of it."""
    answered = {c.parent: c.parent_label for c in changes if c.kind == "choices"}
    existing = set(Question.objects.filter(pk__in=answered).values_list("pk", flat=True))
    merged = []
    for change in changes:
        if change.kind == "questions" and change.pk in answered:
            del answered[change.pk]
            if change.action == "updated":
                change = replace(change, fields=(*change.fields, "answers"))
        merged.append(change)
    merged += [
        ContentChange("questions", "updated", label, pk, fields=("answers",))
        for pk, label in answered.items()
        if pk in existing
    ]
    return merged
