"""Reads of course content."""

from lessons.course_folder import CourseSpec, LessonSpec, ModuleSpec
from lessons.models import Course, Status


def course_spec(*, course: Course) -> CourseSpec:
    """The course as a folder spec (without quizzes: the assessments app adds those).

    Archived content is left out: it is kept only for learners' records.
    """
    spec = CourseSpec(
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        notice=course.notice,
        sequential=course.sequential,
        status=course.status,
    )
    lessons_by_module: dict[int, list[LessonSpec]] = {}
    for lesson in course.lessons.exclude(status=Status.ARCHIVED).order_by("position", "id"):
        lessons_by_module.setdefault(lesson.module_id, []).append(
            LessonSpec(
                slug=lesson.slug, title=lesson.title, body=lesson.body, status=lesson.status
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
    return spec
