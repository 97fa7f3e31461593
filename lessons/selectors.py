"""Reads of course content, and who teaches it."""

from django.db.models import Exists, OuterRef, QuerySet

from lessons.course_folder import CourseSpec, FigureFile, LessonSpec, ModuleSpec
from lessons.figures import FIGURE_NAME, figure_read, figure_references, stored_figures
from lessons.models import Course, Lesson, Status

# --- Who teaches a course ---------------------------------------------------------------
# One rule for the admin, the instructor area (/teach/) and the reading preview: an active
# staff user listed among the course's instructors teaches it, and a superuser teaches every
# course. Being listed alone is not enough: the admin lets in staff only, so the other two
# follow it rather than open a door the admin keeps shut.


def is_teaching_staff(user) -> bool:
    """Whether ``user`` may teach at all: active staff, or a superuser."""
    return user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser)


def courses_taught(user) -> QuerySet[Course]:
    """The courses ``user`` teaches."""
    if not is_teaching_staff(user):
        return Course.objects.none()
    if user.is_superuser:
        return Course.objects.all()
    return Course.objects.filter(instructors=user)


def course_teaches(*, user, course: Course) -> bool:
    """Whether ``user`` teaches ``course``: ``courses_taught``, without a query when the
    answer does not depend on the course."""
    if not is_teaching_staff(user):
        return False
    return user.is_superuser or courses_taught(user).filter(pk=course.pk).exists()


def courses_with_teaching(user) -> QuerySet[Course]:
    """Courses annotated ``taught_by_user``: ``courses_taught`` read with the course itself."""
    return Course.objects.annotate(
        taught_by_user=Exists(courses_taught(user).filter(pk=OuterRef("pk")))
    )


def course_spec(*, course: Course) -> CourseSpec:
    """The course as a folder spec (without quizzes: the assessments app adds those).

    Archived content is left out: it is kept only for learners' records.
    """
    spec = CourseSpec(
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        notice=course.notice,
        language=course.language,
        sequential=course.sequential,
        previews=course.previews,
        status=course.status,
    )
    lessons_by_module: dict[int, list[LessonSpec]] = {}
    for lesson in course.lessons.exclude(status=Status.ARCHIVED).order_by("position", "id"):
        lessons_by_module.setdefault(lesson.module_id, []).append(
            LessonSpec(
                slug=lesson.slug,
                title=lesson.title,
                body=lesson.body,
                status=lesson.status,
                is_preview=lesson.is_preview,
            )
        )
    for module in course.modules.exclude(status=Status.ARCHIVED).order_by("position", "id"):
        spec.modules.append(
            ModuleSpec(
                slug=module.slug,
                title=module.title,
                objectives=list(module.objectives),
                status=module.status,
                lessons=lessons_by_module.get(module.id, []),
            )
        )
    for module in spec.modules:
        for lesson in module.lessons:
            for reference in figure_references(lesson.body):
                name = reference.name
                if name in spec.figures or not FIGURE_NAME.fullmatch(name):
                    continue
                # A figure never stored (named in the admin, say) is left out.
                if (data := figure_read(course_id=course.pk, name=name)) is not None:
                    spec.figures[name] = FigureFile(name=name, data=data, original=data)
    return spec


# --- Figures no lesson names --------------------------------------------------------------


def orphaned_figures() -> list[tuple[int, str]]:
    """The stored figures (course id, name) that no lesson names: not a lesson of any status
    (an archived one included), nor any earlier version of one in its history, whose
    course may since have been deleted. Storage is listed before the lessons are read, so
    a figure an import stores meanwhile is not among them."""
    stored = stored_figures()
    named = set()
    bodies = [Lesson.objects.all(), Lesson.history.all()]
    for lessons in bodies:
        rows = lessons.filter(body__contains="media/").values_list("course_id", "body")
        for course_id, body in rows.iterator():
            named.update((course_id, figure.name) for figure in figure_references(body))
    return [figure for figure in stored if figure not in named]
