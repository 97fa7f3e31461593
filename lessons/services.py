"""Writes to course content. Called by the admin, the import commands and tests alike."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import translation
from django.utils.translation import gettext, ngettext_lazy

from lessons.course_folder import CourseFormatError, CourseSpec
from lessons.figures import (
    figure_clean,
    figure_free_name,
    figure_markdown,
    figure_read,
    figure_store,
    refuse_too_large,
)
from lessons.intake import DocumentError, DraftReport, course_draft_from_upload
from lessons.models import Course, Lesson, Module, Status


@dataclass(frozen=True)
class ContentChange:
    """One row an import adds, changes or removes: what an import plan lists."""

    kind: str  # "lessons", "questions"… as counted
    action: str  # "created", "updated", "archived" or "deleted"
    label: str  # the slug, or the question's title or text
    pk: int | None  # the row's id before the import; None for a row it creates
    parent: int | None = None  # the module (lesson, quiz), quiz (question) or question (choice)
    fields: tuple[str, ...] = ()  # what an update changes
    parent_label: str = ""  # given for an answer: the question's


# The row a change of each kind belongs to.
_PARENT_FIELDS = {
    "lessons": "module_id",
    "quizzes": "module_id",
    "questions": "quiz_id",
    "choices": "question_id",
}


def content_label(instance: models.Model) -> str:
    if slug := getattr(instance, "slug", ""):
        return slug
    text = getattr(instance, "title", "") or getattr(instance, "text", "") or str(instance)
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass
class SyncReport:
    """What an import did, counted by kind of object and action, and listed row by row."""

    counts: Counter = field(default_factory=Counter)
    changes: list[ContentChange] = field(default_factory=list)
    # Questions whose passage reads otherwise after the import (assessments.course_io).
    references: list = field(default_factory=list)
    # What the import let through but someone should look at (a figure without alt text).
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, action: str, n: int = 1) -> None:
        if n:
            self.counts[kind, action] += n

    def record(
        self,
        kind: str,
        action: str,
        instance: models.Model,
        *,
        pk: int | None,
        fields=(),
        parent_label: str = "",
    ) -> None:
        self.add(kind, action)
        parent = getattr(instance, _PARENT_FIELDS.get(kind, ""), None)
        label = content_label(instance)
        self.changes.append(
            ContentChange(kind, action, label, pk, parent, tuple(fields), parent_label)
        )

    @property
    def changed(self) -> bool:
        return any(action != "unchanged" for _, action in self.counts)

    def summary(self) -> str:
        """What changed, counted, in the reader's language: "3 lessons created, 1 figure
        stored"."""
        if not self.changed:
            return gettext("nothing changed")
        return ", ".join(
            str(COUNTED[kind, action] % {"n": n})
            if (kind, action) in COUNTED
            else f"{n} {kind} {action}"
            for (kind, action), n in sorted(self.counts.items())
            if action != "unchanged"
        )

    def __str__(self) -> str:
        # In English: what the logs and the history keep.
        with translation.override("en"):
            return self.summary()


# How an import's summary counts each kind of row by what it did to them.
COUNTED = {
    ("courses", "created"): ngettext_lazy("%(n)d course created", "%(n)d courses created", "n"),
    ("courses", "updated"): ngettext_lazy("%(n)d course updated", "%(n)d courses updated", "n"),
    ("modules", "created"): ngettext_lazy("%(n)d module created", "%(n)d modules created", "n"),
    ("modules", "updated"): ngettext_lazy("%(n)d module updated", "%(n)d modules updated", "n"),
    ("modules", "archived"): ngettext_lazy("%(n)d module archived", "%(n)d modules archived", "n"),
    ("modules", "deleted"): ngettext_lazy("%(n)d module deleted", "%(n)d modules deleted", "n"),
    ("lessons", "created"): ngettext_lazy("%(n)d lesson created", "%(n)d lessons created", "n"),
    ("lessons", "updated"): ngettext_lazy("%(n)d lesson updated", "%(n)d lessons updated", "n"),
    ("lessons", "archived"): ngettext_lazy("%(n)d lesson archived", "%(n)d lessons archived", "n"),
    ("lessons", "deleted"): ngettext_lazy("%(n)d lesson deleted", "%(n)d lessons deleted", "n"),
    ("quizzes", "created"): ngettext_lazy("%(n)d quiz created", "%(n)d quizzes created", "n"),
    ("quizzes", "updated"): ngettext_lazy("%(n)d quiz updated", "%(n)d quizzes updated", "n"),
    ("quizzes", "archived"): ngettext_lazy("%(n)d quiz archived", "%(n)d quizzes archived", "n"),
    ("quizzes", "deleted"): ngettext_lazy("%(n)d quiz deleted", "%(n)d quizzes deleted", "n"),
    ("questions", "created"): ngettext_lazy(
        "%(n)d question created", "%(n)d questions created", "n"
    ),
    ("questions", "updated"): ngettext_lazy(
        "%(n)d question updated", "%(n)d questions updated", "n"
    ),
    ("questions", "archived"): ngettext_lazy(
        "%(n)d question archived", "%(n)d questions archived", "n"
    ),
    ("questions", "deleted"): ngettext_lazy(
        "%(n)d question deleted", "%(n)d questions deleted", "n"
    ),
    ("choices", "created"): ngettext_lazy("%(n)d choice created", "%(n)d choices created", "n"),
    ("choices", "updated"): ngettext_lazy("%(n)d choice updated", "%(n)d choices updated", "n"),
    ("choices", "deleted"): ngettext_lazy("%(n)d choice deleted", "%(n)d choices deleted", "n"),
    ("figures", "stored"): ngettext_lazy("%(n)d figure stored", "%(n)d figures stored", "n"),
}


def _parents_in_hand(instance: models.Model) -> list[str]:
    """The foreign keys whose row the instance holds, saved: the import read or wrote each
    moments ago, so asking the database again whether it exists, as ``full_clean`` does,
    would only cost a query a row (620 for the shipped course)."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if field.many_to_one
        and field.is_cached(instance)
        and getattr(getattr(instance, field.name), "pk", None) is not None
    ]


def instance_apply(
    instance: models.Model,
    values: dict,
    *,
    report: SyncReport,
    kind: str,
    where: dict,
    names: Mapping[str, str] | None = None,
    lines: Mapping[str, int] | None = None,
    parent_label: str = "",
) -> bool:
    """Set ``values`` on ``instance`` and save only if something differs.

    Saving nothing when nothing changed keeps an import idempotent down to the
    timestamps. ``where`` (path, line) locates validation errors in the source; ``names``
    and ``lines`` say how the source names a field and on which line it gives it, so a
    refused value is named in the file's words at its own line.
    """
    creating, pk = instance.pk is None, instance.pk
    changed = (
        list(values)
        if creating
        else [name for name, value in values.items() if getattr(instance, name) != value]
    )
    if not creating and not changed:
        report.add(kind, "unchanged")
        return False
    for name in changed:
        setattr(instance, name, values[name])
    try:
        instance.full_clean(
            exclude=_parents_in_hand(instance), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        names, lines = names or {}, lines or {}
        messages = "; ".join(
            " ".join(errors)
            if name == NON_FIELD_ERRORS
            else f"{names.get(name, name)}: {' '.join(errors)}"
            for name, errors in error.message_dict.items()
        )
        first = next(iter(error.message_dict))
        located = {**where, "line": lines.get(first, where.get("line"))}
        raise CourseFormatError(messages, **located) from None
    if creating:
        instance.save()
    else:
        instance.save(update_fields=changed)
    report.record(kind, "created" if creating else "updated", instance, pk=pk,
                  fields=() if creating else changed, parent_label=parent_label)  # fmt: skip
    return True


def course_sync(*, spec: CourseSpec, report: SyncReport) -> Course:
    """Create or update the course, its modules and lessons to match ``spec``.

    Modules and lessons are matched by slug, so renaming or reordering keeps
    them (and everything learners did in them). Nothing is removed here: see
    ``course_prune``.
    """
    course = Course.objects.filter(slug=spec.slug).first() or Course(slug=spec.slug)
    course_where = {"path": spec.path / "course.yaml" if spec.path else "course.yaml"}
    instance_apply(
        course,
        {
            "title": spec.title,
            "summary": spec.summary,
            "notice": spec.notice,
            "language": spec.language,
            "sequential": spec.sequential,
            "previews": spec.previews,
            "status": spec.status,
        },
        report=report,
        kind="courses",
        where=course_where,
    )
    modules = {m.slug: m for m in course.modules.all()}
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    for position, module_spec in enumerate(spec.modules, start=1):
        module = modules.get(module_spec.slug) or Module(course=course, slug=module_spec.slug)
        where = {"path": module_spec.path or f"{module_spec.slug}.md", "line": 1}
        instance_apply(
            module,
            {
                "title": module_spec.title,
                "position": position,
                "objectives": module_spec.objectives,
                "status": module_spec.status,
            },
            report=report,
            kind="modules",
            where=where,
        )
        for lesson_position, lesson_spec in enumerate(module_spec.lessons, start=1):
            lesson = lessons.get(lesson_spec.slug) or Lesson(slug=lesson_spec.slug)
            instance_apply(
                lesson,
                {
                    "module": module,
                    "course": course,
                    "title": lesson_spec.title,
                    "position": lesson_position,
                    "body": lesson_spec.body,
                    "status": lesson_spec.status,
                    "is_preview": lesson_spec.is_preview,
                },
                report=report,
                kind="lessons",
                where={**where, "line": lesson_spec.line},
            )
    return course


def course_figures_sync(*, course: Course, spec: CourseSpec, report: SyncReport) -> None:
    """Store the folder's figures once the import commits: an import rolled back (a later
    file refused, or the caller's transaction) leaves the stored figures as they were. A
    figure already stored with the folder's bytes (as an export wrote them) is kept."""
    changed = []
    for figure in spec.figures.values():
        stored = figure_read(course_id=course.pk, name=figure.name)
        if stored in (figure.data, figure.original):
            report.add("figures", "unchanged")
        else:
            report.add("figures", "stored")
            changed.append(figure)
    report.warnings.extend(spec.warnings)

    def store():
        for figure in changed:
            figure_store(course_id=course.pk, name=figure.name, data=figure.data)

    transaction.on_commit(store)


@dataclass(frozen=True)
class FigureUpload:
    """A figure uploaded for a course, checked and re-encoded, not stored yet."""

    course_id: int
    name: str  # in media/
    data: bytes = field(repr=False)
    markdown: str  # what names it in a lesson body


def figure_upload_check(*, course_id: int, upload, alt: str) -> FigureUpload:
    """The uploaded file ``upload`` as a figure of the course, checked and re-encoded as a
    course folder's figures are (``figure_clean``), under a name that replaces no stored
    figure; FigureError, with nothing stored, for a file that cannot be one."""
    refuse_too_large(upload.size)  # before reading it into memory
    data = figure_clean(upload.read())
    name = figure_free_name(course_id=course_id, wanted=upload.name, data=data)
    return FigureUpload(course_id, name, data, figure_markdown(name=name, alt=alt))


def figure_upload_store(figure: FigureUpload) -> None:
    """Store the figure once the transaction saving the lesson that names it commits."""
    transaction.on_commit(
        lambda: figure_store(course_id=figure.course_id, name=figure.name, data=figure.data)
    )


def course_prune(*, course: Course, spec: CourseSpec, report: SyncReport) -> None:
    """Remove lessons and modules no longer in ``spec``.

    Content that learners have history with is protected by the database
    (PROTECT foreign keys); it is archived instead, never cascaded away.
    """
    module_slugs = {m.slug for m in spec.modules}
    lesson_slugs = {lesson.slug for m in spec.modules for lesson in m.lessons}
    for lesson in course.lessons.exclude(slug__in=lesson_slugs):
        content_remove(lesson, report=report, kind="lessons")
    for module in course.modules.exclude(slug__in=module_slugs):
        content_remove(module, report=report, kind="modules")


def content_remove(instance: models.Model, *, report: SyncReport, kind: str) -> None:
    """Delete ``instance``, or archive it if learner history points at it."""
    pk = instance.pk
    try:
        instance.delete()
    except ProtectedError:
        if instance.status != Status.ARCHIVED:
            instance.status = Status.ARCHIVED
            instance.save(update_fields=["status"])
            report.record(kind, "archived", instance, pk=pk)
        return
    report.record(kind, "deleted", instance, pk=pk)


def course_draft_create(
    *, upload, owner, slug: str | None = None, title: str | None = None
) -> tuple[Course, DraftReport]:
    """A new draft course from the uploaded document (or zip of a document and its
    pictures, ``course_draft_from_upload``), taught by ``owner`` (a superuser teaches every
    course already), and the report of what was left out.

    DocumentError, and nothing written, for a document that cannot be read or whose course
    slug is taken: a draft never updates a course that exists.
    """
    spec, report = course_draft_from_upload(upload, slug=slug, title=title)
    with transaction.atomic():
        if Course.objects.filter(slug=spec.slug).exists():
            raise DocumentError(
                f"a course with the slug '{spec.slug}' exists already: give this one another",
                path=upload.name,
            )
        report_sync = SyncReport()
        course = course_sync(spec=spec, report=report_sync)
        course_figures_sync(course=course, spec=spec, report=report_sync)
        if not owner.is_superuser:
            course.instructors.add(owner)
    return course, report
