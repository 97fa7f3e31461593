"""The instructor area: cohort progress, grading, gradebook and question statistics."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from assessments import statistics
from assessments.forms import score_label
from assessments.grades import GradeConflict, grade_version_check, response_points
from assessments.models import Question, Quiz, Response
from assessments.regrade import Regrade, question_regrade_plan
from assessments.review import key_lines
from assessments.selectors import (
    Queue,
    grade_changes_of,
    grade_version_sql,
    grader_queue_by_quiz,
    question_regrades,
    responses_for_grader,
)
from lessons.models import Course
from lessons.selectors import courses_taught, is_teaching_staff
from lessons.validators import control_character_message
from progress import cohort, services
from progress.forms import AttemptGrantForm, RegradeForm, ResponseGradeForm
from progress.models import Certificate, Enrollment
from progress.selectors import percent_label
from progress.spreadsheets import csv_response, xlsx_response

LEARNERS_PER_PAGE = 50
ANSWERS_PER_PAGE = 20
CHANGES_PER_PAGE = 50
# A regrade applied from the page stops starting attempts after this long, well within the
# server's request timeout (GUNICORN_TIMEOUT, 30 s); applying again carries on.
REGRADE_SECONDS = 15
NAMES_IN_A_MESSAGE = 10
CSV_CHUNK = 2000
NO_ACCESS = gettext_lazy("Only the course’s instructors can follow its learners.")


def teaching_staff(view):
    """Let in staff and superusers; send anonymous visitors to log in; 403 for the rest."""

    @login_required
    @wraps(view)
    def gated(request, *args, **kwargs):
        if not is_teaching_staff(request.user):
            raise PermissionDenied(gettext("The instructor area is for instructors."))
        return view(request, *args, **kwargs)

    return gated


def teaches_course(view):
    """Hand ``view`` the course named by ``course_slug`` if the user teaches it, else 403.

    With ``teaching_staff``, the one gate of the instructor area: every page uses one or
    the other.
    """

    @teaching_staff
    @wraps(view)
    def gated(request, course_slug, **kwargs):
        try:
            course, allowed = cohort.course_for_instructor(user=request.user, slug=course_slug)
        except Course.DoesNotExist:
            raise Http404("No such course.") from None
        if not allowed:
            raise PermissionDenied(NO_ACCESS)
        return view(request, course, **kwargs)

    return gated


@teaching_staff
def index(request):
    courses = (
        courses_taught(request.user)
        .annotate(
            enrolled=Count("enrollments"),
            completed=Count("enrollments", filter=Q(enrollments__completed_at__isnull=False)),
        )
        .order_by("title")
    )
    return render(request, "progress/teach/index.html", {"courses": courses})


@teaches_course
def course_overview(request, course):
    outline = cohort.course_outline(course)
    modules = {module.slug: module for module in outline.modules}
    search = request.GET.get("q", "")
    # Never sent to the database: PostgreSQL refuses NUL, and no name holds a control character.
    search_error = control_character_message(search)
    filters = {
        "search": "" if search_error else search.strip(),
        "module": modules.get(request.GET.get("module", "")),
        "state": request.GET.get("state", ""),
        "sort": request.GET.get("sort", "name"),
    }
    learners = cohort.cohort_learners(outline, **filters)
    if search_error:
        learners = learners.none()
    page = Paginator(learners, LEARNERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "progress/teach/course.html",
        {
            "course": course,
            "outline": outline,
            "funnel": cohort.course_funnel(outline),
            "regrade_flags": cohort.regrade_flags(course, outline.quizzes),
            "page": page,
            "rows": cohort.matrix_rows(outline, list(page)),
            "filters": filters,
            "search_error": search_error,
            "states": cohort.STATES,
            "sorts": cohort.SORTS,
        },
    )


@teaches_course
def learner_detail(request, course, learner_id):
    # Hand in what ran out of time first, as the periodic job would have: the page then shows
    # the grade, not "In progress". One query when nothing is due.
    services.quiz_attempts_expired_submit(learner_id=learner_id, course=course)
    try:
        record = cohort.learner_record(course=course, learner_id=learner_id)
    except Enrollment.DoesNotExist:
        raise Http404("This learner is not enrolled in the course.") from None
    back = request.get_full_path()
    for attempt in record.attempts:
        # Each submitted answer with the form that grades it, or overrides its grade.
        attempt.graded_answers = [
            (answer, _grade_form(answer.response, back=back) if attempt.is_submitted else None)
            for answer in attempt.answers
        ]
    return render(request, "progress/teach/learner.html", {"course": course, "record": record})


# --- Grading -----------------------------------------------------------------------------


def _with_answer_text(response: Response) -> Response:
    response.answer_text = cohort.answer_text(response.shown, response.answer)
    return response


def _grade_form(response: Response, *, back: str, data=None) -> ResponseGradeForm:
    """The form grading ``response`` (annotated with its ``version``), coming back to
    ``back`` once saved."""
    return ResponseGradeForm(
        data, response=response, initial={"version": response.version, "next": back}
    )


def _learner_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@teaches_course
def grading(request, course):
    """The written answers awaiting a grade, then those worth no points to read and comment
    on, oldest submission first in each, by quiz, learner and which of the two."""
    quizzes = list(Quiz.objects.filter(course=course).select_related("module"))
    quiz = next((q for q in quizzes if q.slug == request.GET.get("quiz")), None)
    learner_id = _learner_id(request.GET.get("learner"))
    learner = None
    if learner_id is not None:
        enrollment = (
            Enrollment.objects.filter(course=course, learner_id=learner_id)
            .select_related("learner")
            .first()
        )
        learner = enrollment.learner if enrollment else None
    show = Queue(request.GET.get("show")) if request.GET.get("show") in Queue.values else Queue.ALL
    responses = responses_for_grader(course=course, quiz=quiz, learner_id=learner_id, show=show)
    page = Paginator(responses, ANSWERS_PER_PAGE).get_page(request.GET.get("page"))
    back = request.get_full_path()
    counts = grader_queue_by_quiz(course=course)
    return render(
        request,
        "progress/teach/grading.html",
        {
            "course": course,
            "quizzes": [(q, sum(counts.get(q.pk, ()))) for q in quizzes],
            "quiz": quiz,
            "shows": Queue.choices,
            "show": show,
            "learner_id": learner_id,
            "learner": learner,
            "page": page,
            "entries": [
                (_with_answer_text(response), _grade_form(response, back=back))
                for response in page
            ],
            "to_grade": sum(to_grade for to_grade, _ in counts.values()),
            "to_read": sum(to_read for _, to_read in counts.values()),
        },
    )


def _back_to(request, course, target: str) -> str:
    """Where a saved grade returns: the page the form came from, if it is one of the course's
    instructor pages, else the grading queue."""
    home = reverse("teach_grading", kwargs={"course_slug": course.slug})
    prefix = reverse("teach_course", kwargs={"course_slug": course.slug})
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return home


@teaches_course
def response_grade(request, course, response_id):
    """One submitted answer with the history of its grade and the form that grades it (or
    overrides its grade); the grading queue and the learner's page post their forms here."""
    response = get_object_or_404(
        Response.objects.select_related("attempt__quiz", "attempt__learner").annotate(
            version=grade_version_sql()
        ),
        pk=response_id,
        attempt__quiz__course=course,
        attempt__submitted_at__isnull=False,
    )
    back = request.POST.get(f"r{response.pk}-next") or request.GET.get("next", "")
    form = _grade_form(response, back=back, data=request.POST or None)
    here = reverse("teach_response_grade", args=[course.slug, response.pk])
    status = 200
    if request.method == "POST":
        try:
            # A page from before someone else's grade is answered first, whatever it holds:
            # it showed a grade (and a form) that no longer stands.
            if form.add_prefix("version") in request.POST:
                grade_version_check(
                    response,
                    version=response.version,
                    expected=request.POST[form.add_prefix("version")],
                )
        except GradeConflict as conflict:
            messages.error(request, str(conflict))
            return redirect(f"{here}?{urlencode({'next': back})}")
        if form.is_valid():
            try:
                change = services.quiz_response_grade(
                    response=response,
                    score=form.cleaned_data["score"],
                    by=request.user,
                    source=form.source,
                    expected_version=form.cleaned_data["version"],
                    feedback=form.cleaned_data["feedback"],
                    reason=form.cleaned_data["reason"],
                )
            except GradeConflict as conflict:
                messages.error(request, str(conflict))
                return redirect(f"{here}?{urlencode({'next': back})}")
            except ValidationError as refusal:
                form.add_error(None, refusal.messages)
            else:
                messages.success(request, _graded_message(change))
                return redirect(_back_to(request, course, back))
        status = 400
    return render(
        request,
        "progress/teach/response_grade.html",
        {
            "course": course,
            "response": _with_answer_text(response),
            "form": form,
            "changes": grade_changes_of([response.pk]).get(response.pk, []),
            "back": _back_to(request, course, back),
        },
        status=status,
    )


def _graded_message(change) -> str:
    response = change.response
    attempt = response.attempt
    name = cohort.learner_name(attempt.learner)
    names = {"name": name, "slot": response.slot, "quiz": attempt.quiz.title}
    if response_points(response) == 0:
        # A comment changes no score: the attempt's result stands as it was.
        return (
            gettext("Saved your comment on %(name)s’s answer to question %(slot)s of “%(quiz)s”.")
            % names
        )
    saved = gettext(
        "Saved: %(score)s for %(name)s’s answer to question %(slot)s of “%(quiz)s”."
    ) % {**names, "score": score_label(change.score_after, response_points(response))}
    if attempt.is_awaiting_grading:
        return gettext("%(saved)s The attempt has more written answers to grade.") % {
            "saved": saved
        }
    outcome = (
        gettext("passed")
        if attempt.passed
        else gettext("not passed (%(pass_mark)s%% needed)") % {"pass_mark": attempt.pass_mark}
    )
    return gettext("%(saved)s The attempt now scores %(percent)s: %(outcome)s.") % {
        "saved": saved,
        "percent": percent_label(attempt.percent),
        "outcome": outcome,
    }


def _stuck_page(request, course, *, refused=None, status=200):
    """The learners stuck at a quiz, each with a "Grant one more attempt" form; ``refused``
    is the (quiz pk, learner pk, bound form) whose reason was refused, shown with its error."""
    outline = cohort.course_outline(course)
    rows = [
        (
            stuck,
            refused[2]
            if refused and refused[:2] == (stuck.quiz.pk, stuck.enrollment.learner_id)
            else AttemptGrantForm(),
        )
        for stuck in cohort.stuck_learners(outline)
    ]
    return render(
        request, "progress/teach/stuck.html", {"course": course, "rows": rows}, status=status
    )


@teaches_course
def stuck(request, course):
    return _stuck_page(request, course)


@teaches_course
@require_POST
def attempt_grant(request, course, quiz_slug, learner_id):
    quiz = get_object_or_404(Quiz, course=course, slug=quiz_slug)
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("learner"), course=course, learner_id=learner_id
    )
    form = AttemptGrantForm(request.POST)
    if not form.is_valid():
        return _stuck_page(request, course, refused=(quiz.pk, learner_id, form), status=400)
    learner = enrollment.learner
    try:
        services.quiz_attempt_grant(
            quiz=quiz, learner=learner, granted_by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            gettext("%(name)s may now make one more attempt at “%(quiz)s”.")
            % {"name": cohort.learner_name(learner), "quiz": quiz.title},
        )
    return redirect("teach_stuck", course_slug=course.slug)


# --- Regrading after a key fix ---------------------------------------------------------------


@teaches_course
def question_regrade(request, course, question_id):
    """A question's past answers graded again by its key as it is now: what would change (the
    dry run, always shown) and, on POST with what was corrected, the regrade itself."""
    question = get_object_or_404(
        Question.objects.select_related("quiz", "lesson"), pk=question_id, quiz__course=course
    )
    form = RegradeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = services.question_regrade(
                    question=question,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    seconds=REGRADE_SECONDS,
                )
            except ValidationError as refusal:
                form.add_error(None, refusal.messages)
            else:
                _regrade_messages(request, outcome)
                return redirect(request.path)
        status = 400
    plan = question_regrade_plan(question=question)
    losing = [change.learner.pk for change in plan.no_longer_passing]
    certified = set(
        Certificate.objects.filter(course=course, learner__in=losing).values_list(
            "learner_id", flat=True
        )
        if losing
        else ()
    )
    return render(
        request,
        "progress/teach/regrade.html",
        {
            "course": course,
            "question": question,
            "plan": plan,
            "key_now": key_lines(plan.key_now),
            "page": Paginator(plan.changes, CHANGES_PER_PAGE).get_page(request.GET.get("page")),
            "pass_changes": [
                (change, change.learner.pk in certified) for change in plan.pass_changes
            ],
            "flags": cohort.regrade_flags(course, [question.quiz]),
            "history": [
                run | {"who": _regraded_by(run)} for run in question_regrades(question=question)
            ],
            "form": form,
        },
        status=status,
    )


def _regraded_by(run: dict) -> str:
    if run["by__username"] is None:
        return "a command"
    full = f"{run['by__first_name']} {run['by__last_name']}".strip()
    return full or run["by__username"]


def _names(changes) -> str:
    names = [cohort.learner_name(change.learner) for change in changes]
    more = len(names) - NAMES_IN_A_MESSAGE
    listed = ", ".join(names[:NAMES_IN_A_MESSAGE])
    if more <= 0:
        return listed
    return gettext("%(names)s and %(count)s more") % {"names": listed, "count": more}


def _regrade_messages(request, outcome: Regrade) -> None:
    """What the instructor is told once a regrade is applied."""
    changed = len(outcome.changes)
    learners = len({change.attempt.learner_id for change in outcome.changes})
    if changed:
        done = ngettext(
            "Regraded: %(changed)s attempt of %(learners)s changed score.",
            "Regraded: %(changed)s attempts of %(learners)s changed score.",
            changed,
        ) % {
            "changed": changed,
            "learners": ngettext("%(count)s learner", "%(count)s learners", learners)
            % {"count": learners},
        }
    else:
        done = gettext("No score changed.")
    if outcome.rekeyed:
        done += " " + ngettext(
            "%(count)s more answer now carries the corrected key, with the same score.",
            "%(count)s more answers now carry the corrected key, with the same score.",
            outcome.rekeyed,
        ) % {"count": outcome.rekeyed}
    messages.success(request, done)
    quiz_title = outcome.question.quiz.title
    if outcome.no_longer_passing:
        messages.warning(
            request,
            gettext(
                "No longer passing “%(quiz)s”: %(names)s. Certificates already issued stay "
                "valid; they are listed below until you act."
            )
            % {"quiz": quiz_title, "names": _names(outcome.no_longer_passing)},
        )
    if outcome.now_passing:
        messages.info(
            request,
            gettext(
                "Now passing “%(quiz)s”: %(names)s. Whoever has now completed the course has "
                "their certificate."
            )
            % {"quiz": quiz_title, "names": _names(outcome.now_passing)},
        )
    if outcome.unfinished:
        messages.warning(
            request,
            ngettext(
                "Time ran short: %(count)s more answer to look at. Apply again to carry on: "
                "what is done stays done. (The regrade_question command has no time limit.)",
                "Time ran short: %(count)s more answers to look at. Apply again to carry on: "
                "what is done stays done. (The regrade_question command has no time limit.)",
                outcome.unfinished,
            )
            % {"count": outcome.unfinished},
        )
    if outcome.failed:
        messages.error(
            request,
            ngettext(
                "%(count)s attempt could not be regraded (ids %(ids)s) and stays as it was: "
                "see the server log, then apply again.",
                "%(count)s attempts could not be regraded (ids %(ids)s) and stay as they "
                "were: see the server log, then apply again.",
                len(outcome.failed),
            )
            % {"count": len(outcome.failed), "ids": ", ".join(map(str, outcome.failed))},
        )


@teaches_course
def gradebook(request, course):
    outline = cohort.course_outline(course)
    # The page is chosen among plain enrolments; only its learners' attempts are read.
    page = Paginator(cohort.enrollments_by_name(course), LEARNERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    enrollments = cohort.gradebook_learners(outline, only=page.object_list)
    return render(
        request,
        "progress/teach/gradebook.html",
        {
            "course": course,
            "outline": outline,
            "header": cohort.gradebook_header(outline),
            "page": page,
            "rows": [cohort.gradebook_row(outline, enrollment) for enrollment in enrollments],
        },
    )


@teaches_course
def gradebook_csv(request, course):
    outline = cohort.course_outline(course)
    # Fetched in chunks and written as they come: memory stays flat however large the cohort.
    enrollments = cohort.gradebook_learners(outline).iterator(chunk_size=CSV_CHUNK)
    rows = (cohort.gradebook_row(outline, enrollment).cells for enrollment in enrollments)
    return csv_response(
        filename=f"{course.slug}-gradebook.csv", header=cohort.gradebook_header(outline), rows=rows
    )


@teaches_course
def gradebook_xlsx(request, course):
    outline = cohort.course_outline(course)
    enrollments = cohort.gradebook_learners(outline).iterator(chunk_size=CSV_CHUNK)
    return xlsx_response(
        filename=f"{course.slug}-gradebook.xlsx",
        sheet_title=gettext("Gradebook"),
        header=cohort.gradebook_header(outline),
        rows=(cohort.gradebook_values(outline, enrollment) for enrollment in enrollments),
    )


def _quiz_statistics(request, course, quiz_slug):
    quiz = get_object_or_404(Quiz, course=course, slug=quiz_slug)
    quiz.course = course
    which = request.GET.get("attempts", "best")
    if which not in statistics.WHICH:
        which = "best"
    return statistics.quiz_statistics(quiz=quiz, which=which)


@teaches_course
def quiz_stats(request, course, quiz_slug):
    stats = _quiz_statistics(request, course, quiz_slug)
    return render(
        request,
        "progress/teach/quiz_stats.html",
        {
            "course": course,
            "stats": stats,
            "header": statistics.STATISTICS_HEADER,
            "rows": [(item, statistics.item_cells(item)) for item in stats.items],
            "choices": statistics.WHICH,
        },
    )


@teaches_course
def quiz_stats_csv(request, course, quiz_slug):
    stats = _quiz_statistics(request, course, quiz_slug)
    rows = map(statistics.item_cells, stats.items)
    return csv_response(
        filename=f"{course.slug}-{stats.quiz.slug}-statistics-{stats.which}.csv",
        header=statistics.STATISTICS_HEADER,
        rows=rows,
    )
