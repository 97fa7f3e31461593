"""The catalogue, the course page and the lesson reader."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from lessons.models import Course, Lesson, Module, Status
from lessons.selectors import course_teaches
from progress import services
from progress.models import Enrollment, LessonCompletion
from progress.selectors import (
    course_progress_for_learner,
    learner_states_shown,
    lesson_for_reader,
    lesson_is_open,
    lesson_is_open_preview,
)


def _learner(request):
    return request.user if request.user.is_authenticated else None


def _count(queryset, *, per: str):
    """A correlated COUNT subquery, grouped by the field ``per`` that ties it to the outer row."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(per).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def catalogue(request):
    learner = _learner(request)
    visible_lessons = Lesson.objects.visible().filter(course=OuterRef("pk"))
    courses = (
        Course.objects.published()
        .annotate(
            module_count=_count(
                Module.objects.published().filter(course=OuterRef("pk")), per="course"
            ),
            lesson_count=_count(visible_lessons, per="course"),
            reading_minutes=Coalesce(
                Subquery(
                    visible_lessons.order_by()
                    .values("course")
                    .annotate(total=Sum("reading_minutes"))
                    .values("total")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            enrolled=Exists(Enrollment.objects.filter(course=OuterRef("pk"), learner=learner)),
            lessons_done=_count(
                LessonCompletion.objects.filter(
                    learner=learner,
                    lesson__course=OuterRef("pk"),
                    lesson__in=Lesson.objects.visible(),
                ),
                per="lesson__course",
            ),
            completed=Exists(
                Enrollment.objects.filter(
                    course=OuterRef("pk"), learner=learner, completed_at__isnull=False
                )
            ),
        )
        .order_by("title")
    )
    mine = [course for course in courses if course.enrolled]
    others = [course for course in courses if not course.enrolled]
    return render(request, "progress/catalogue.html", {"mine": mine, "others": others})


def _published_course(slug: str) -> Course:
    return get_object_or_404(Course.objects.published(), slug=slug)


def _course_for(request, slug: str) -> tuple[Course, bool]:
    """The course this request may see, and whether it is an instructor's preview.

    Learners see published courses only. With ``?preview=1`` the course's
    instructors (``course_teaches``) see it as learners will, whatever its status;
    a preview never records progress.
    """
    course = get_object_or_404(Course, slug=slug)
    preview = request.GET.get("preview") == "1" and course_teaches(
        user=request.user, course=course
    )
    if course.status != Status.PUBLISHED and not preview:
        raise Http404("No such course.")
    return course, preview


def course_detail(request, slug):
    course, preview = _course_for(request, slug)
    progress = course_progress_for_learner(learner=_learner(request), course=course)
    if progress.enrollment is not None and not preview:
        services.course_open(learner=request.user, course=course)
    context = {
        "course": course,
        "progress": progress,
        "preview": preview,
        "states_shown": learner_states_shown(progress=progress, preview=preview),
    }
    return render(request, "progress/course_detail.html", context)


@require_POST
def course_enrol(request, slug):
    course = _published_course(slug)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={course.get_absolute_url()}")
    services.enrollment_create(learner=request.user, course=course)
    messages.success(
        request,
        gettext("You are enrolled in “%(title)s”. Enjoy the course!") % {"title": course.title},
    )
    return redirect(course)


def _lesson_context(request, course_slug: str, slug: str) -> dict:
    """The lesson with the learner's progress; refuses what the reader may not open.

    An enrolled learner reads the lessons of the modules open to them. Anyone else, logged
    in or not, reads the course's open previews (``lesson_is_open_preview``) and records
    nothing; any other lesson sends a visitor to log in and a learner to enrol.
    """
    if request.GET.get("preview") == "1":
        course, preview = _course_for(request, course_slug)
        lessons = Lesson.objects.all() if preview else Lesson.objects.visible()
        lesson = get_object_or_404(lessons.select_related("module"), course=course, slug=slug)
        lesson.course = course
        progress = course_progress_for_learner(learner=_learner(request), course=course)
    else:
        # No preview asked for, as on every learner's visit: the published lesson of the
        # published course, with the progress, from the cache (no query once cached). Its
        # module comes from the course's cached outline, which holds the published modules
        # only.
        try:
            lesson, progress = lesson_for_reader(
                learner=_learner(request), course_slug=course_slug, slug=slug
            )
        except Lesson.DoesNotExist:
            raise Http404("No such lesson.") from None
        course, preview = lesson.course, False
    module_progress = next((m for m in progress.modules if m.module.pk == lesson.module_id), None)
    if module_progress is not None:
        lesson.module = module_progress.module
    elif not preview:
        raise Http404("No such lesson.")  # published, in a module that is not
    reads_as_learner = progress.enrollment is not None and lesson_is_open(progress, lesson)
    open_preview = not preview and not reads_as_learner
    if open_preview and not lesson_is_open_preview(progress, lesson):
        if not request.user.is_authenticated:
            return {"login": True}
        if progress.enrollment is None:
            return {"redirect": course}
        raise PermissionDenied(
            gettext("“%(title)s” is locked. %(reason)s.")
            % {"title": lesson.module.title, "reason": module_progress.reasons[0]}
        )
    ordered = [item for module in progress.modules for item in module.lessons]
    # A draft lesson (seen only in a preview) has no place in the learner's sequence.
    index = next((i for i, item in enumerate(ordered) if item.lesson.pk == lesson.pk), None)
    last_in_module = (
        module_progress is not None and module_progress.lessons[-1].lesson.pk == lesson.pk
    )
    return {
        "course": course,
        "lesson": lesson,
        "progress": progress,
        "preview": preview,
        "open_preview": open_preview,
        "states_shown": learner_states_shown(progress=progress, preview=preview),
        "module_progress": module_progress,
        # "Lesson 4 of 18", at the top of the page on a phone.
        "position": index + 1 if index is not None else None,
        "done": index is not None and ordered[index].done,
        "previous": ordered[index - 1].lesson if index else None,
        "next": ordered[index + 1].lesson
        if index is not None and index + 1 < len(ordered)
        else None,
        "module_quiz": module_progress.quiz if last_in_module else None,
    }


def lesson_detail(request, course_slug, slug):
    context = _lesson_context(request, course_slug, slug)
    if "login" in context:
        return redirect_to_login(request.get_full_path())
    if "redirect" in context:
        messages.info(request, gettext("Enrol in the course to start reading."))
        return redirect(context["redirect"])
    # A learner back from the dashboard opens the course at a lesson, not its page.
    if context["progress"].enrollment is not None and not context["preview"]:
        services.course_open(learner=request.user, course=context["course"])
    return render(request, "progress/lesson_detail.html", context)


@login_required
@require_POST
def lesson_complete(request, course_slug, slug):
    course = _published_course(course_slug)
    lesson = get_object_or_404(Lesson.objects.visible(), course=course, slug=slug)
    lesson.course = course
    try:
        services.lesson_complete(learner=request.user, lesson=lesson)
    except services.ProgressError as error:
        raise PermissionDenied(str(error)) from None
    context = _lesson_context(request, course_slug, slug)
    if request.htmx:
        return render(request, "progress/_lesson_completed.html", {**context, "oob_toc": True})
    messages.success(request, gettext("“%(title)s” marked as complete.") % {"title": lesson.title})
    if request.POST.get("then") == "continue":
        quiz = context["module_quiz"]
        if quiz is not None and not quiz.passed:
            return redirect(quiz.quiz)
        return redirect(context["next"] or course)
    return redirect(lesson)
