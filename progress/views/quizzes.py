"""Taking a quiz: the intro, the attempt (saved as you go), submitting, and the result.

The rules live in ``progress.services`` (gating, attempt limits, deadlines,
grading once); these views read the request, call them and render. Every
page works without JavaScript; htmx only saves each answer as it changes.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from assessments.forms import (
    AttemptAnswers,
    answer_from_post,
    score_label,
)
from assessments.grades import response_points
from assessments.grading import InvalidAnswer, grade
from assessments.models import Attempt, GradeChange, Quiz, Response
from assessments.review import answer_lines, key_lines
from assessments.selectors import (
    attempt_with_responses,
    grade_changes_of,
    quiz_availability_fields,
    quiz_is_available,
    quiz_is_closed,
    quiz_question_count,
)
from assessments.services import AttemptClosed, QuizError
from assessments.text_formats import explanation_html, feedback_html, question_text_html
from lessons.models import Status
from progress import services
from progress.selectors import (
    GradeNote,
    ReviewShows,
    ReviewStatus,
    awaiting_grading_reason,
    course_progress_for_learner,
    grade_notes,
    percent_label,
    quiz_next_step,
    quiz_progress,
    regrade_notes,
    response_reread_link,
    response_review_status,
    review_shows,
)

TIME_UP = gettext_lazy(
    "Time ran out, so your attempt was submitted with the answers saved before then."
)
OFF_LINE = "This quiz is not open at the moment."


# --- Shared steps ----------------------------------------------------------------


def _published_quiz(course_slug: str, slug: str) -> Quiz:
    return get_object_or_404(
        Quiz.objects.published()
        .select_related("course", "module")
        .annotate(bank_size=Count("questions")),
        course__slug=course_slug,
        course__status=Status.PUBLISHED,
        slug=slug,
    )


def _own_attempt(request, pk: int) -> Attempt:
    # Someone else's attempt is a 404, not a 403: its existence is nobody else's business.
    try:
        attempt = attempt_with_responses(pk, request.user)
    except Attempt.DoesNotExist:
        raise Http404("No such attempt.") from None
    # Off line, an attempt is hidden like the course's other pages (and kept as it is).
    if not quiz_is_available(attempt.quiz):
        raise Http404(OFF_LINE)
    return attempt


def _submit_if_late(request, attempt: Attempt) -> bool:
    """Hand in an attempt whose time ran out, as the server would have at the deadline.

    Submitting after the deadline records it as handed in by the server at the
    deadline, and issues any certificate it earns; the cron command
    (submit_expired_attempts) usually gets there first.
    """
    if attempt.is_submitted or not attempt.is_late(timezone.now()):
        return False
    services.quiz_attempt_submit(attempt=attempt)
    messages.warning(request, TIME_UP)
    return True


def _to_result(attempt: Attempt):
    return redirect("attempt_result", pk=attempt.pk)


def _closed(request, attempt: Attempt):
    """The redirect for an attempt that takes no more answers, or None while it is open."""
    if _submit_if_late(request, attempt) or attempt.is_submitted:
        return _to_result(attempt)
    return None


def _save_answers(attempt: Attempt, answers: AttemptAnswers) -> None:
    """Save what the learner changed; an answer that cannot be saved gets its error, shown
    beside its question.

    Raises ``AttemptClosed`` when the time ran out meanwhile (the attempt is then submitted).
    """
    responses = {response.slot: response for response in answers.responses}
    for slot, answer in answers.changed().items():
        try:
            response = services.quiz_response_save(
                attempt=attempt, slot=slot, answer=answer, response=responses[slot]
            )
        except InvalidAnswer as error:
            answers.add_error(slot, str(error))
        else:
            answers.mark_saved(slot, response.answer)


def _timer(attempt: Attempt) -> dict | None:
    """What the countdown starts from; the page counts down from the server's clock, not the
    learner's, which may be wrong."""
    if attempt.deadline is None:
        return None
    now = timezone.now()
    seconds = max(int((attempt.deadline - now).total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    left = f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"
    return {
        # Milliseconds at most: what every browser's Date.parse reads.
        "deadline": attempt.deadline.isoformat(timespec="milliseconds"),
        "now": now.isoformat(timespec="milliseconds"),
        "left": left,
    }


def _render_attempt(request, attempt: Attempt, answers: AttemptAnswers):
    quiz = attempt.quiz
    return render(
        request,
        "progress/attempt_detail.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "course": quiz.course,
            "questions": answers.questions(),
            "errors": answers.errors,
            "timer": _timer(attempt),
        },
    )


# --- The intro ---------------------------------------------------------------------


@login_required
def quiz_detail(request, course_slug, slug):
    quiz = _published_quiz(course_slug, slug)
    progress = course_progress_for_learner(learner=request.user, course=quiz.course)
    if progress.enrollment is None:
        messages.info(request, gettext("Enrol in the course to take its quizzes."))
        return redirect(quiz.course)
    record = quiz_progress(progress, quiz)
    if record is None:
        raise Http404("No such quiz.")
    if not record.is_open:
        reason = record.reasons[0]
        raise PermissionDenied(
            gettext("“%(title)s” %(reason)s.")
            % {"title": quiz.title, "reason": reason[0].lower() + reason[1:]}
        )
    attempts = list(Attempt.objects.filter(learner=request.user, quiz=quiz).order_by("number"))
    open_attempt = next((attempt for attempt in attempts if not attempt.is_submitted), None)
    if open_attempt is not None and _submit_if_late(request, open_attempt):
        return redirect(quiz)  # the counts on the page include it now
    past_attempts = [attempt for attempt in attempts if attempt.is_submitted]
    for attempt in past_attempts:
        attempt.percent_text = percent_label(attempt.percent)
    return render(
        request,
        "progress/quiz_detail.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "record": record,
            "closed": quiz_is_closed(closes_at=record.closes_at, now=timezone.now()),
            "question_count": quiz_question_count(quiz=quiz, bank_size=quiz.bank_size),
            "open_attempt": open_attempt,
            "past_attempts": past_attempts,
            "best": percent_label(record.best_percent),
        },
    )


@login_required
@require_POST
def quiz_start(request, course_slug, slug):
    quiz = _published_quiz(course_slug, slug)
    # "Start" on a page left open past the time limit: hand that attempt in and say so,
    # rather than open a blank one in its place as if the answers were lost.
    open_attempt = Attempt.objects.filter(
        learner=request.user, quiz=quiz, submitted_at=None
    ).first()
    if open_attempt is not None and _submit_if_late(request, open_attempt):
        return redirect(quiz)
    try:
        attempt = services.quiz_attempt_start(learner=request.user, quiz=quiz)
    except services.NotEnrolled as error:
        messages.info(request, str(error))
        return redirect(quiz.course)
    except services.QuizLocked as error:
        raise PermissionDenied(str(error)) from None
    except (QuizError, services.ProgressError) as error:
        # Out of attempts, or no questions yet: the intro says why.
        messages.error(request, str(error))
        return redirect(quiz)
    return redirect("attempt_detail", pk=attempt.pk)


# --- The attempt ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def attempt_detail(request, pk):
    """The questions; without JavaScript, a POST here is the "Save answers" button."""
    attempt = _own_attempt(request, pk)
    if closed := _closed(request, attempt):
        return closed
    answers = AttemptAnswers(attempt.responses.all(), data=request.POST or None)
    if answers.is_bound:
        try:
            _save_answers(attempt, answers)
        except AttemptClosed as error:
            messages.error(request, str(error))
            return _to_result(attempt)
        except services.AttemptOffLine:
            raise Http404(OFF_LINE) from None
        if not answers.errors:
            messages.success(request, gettext("Your answers are saved."))
            return redirect("attempt_detail", pk=attempt.pk)
    return _render_attempt(request, attempt, answers)


@login_required
@require_POST
def response_save(request, pk, slot):
    """Save one answer as it changes (htmx), and say so in the question's status line."""
    # Sent every few seconds while a quiz is open: only the columns this request reads.
    response = get_object_or_404(
        Response.objects.select_related("attempt__quiz__course", "attempt__quiz__module").only(
            "slot", "shown", "attempt__quiz__title", *quiz_availability_fields("attempt__quiz")
        ),
        attempt_id=pk,
        attempt__learner=request.user,
        slot=slot,
    )
    attempt = response.attempt
    answer = answer_from_post(response.shown, request.POST, slot)
    error = ""
    try:
        services.quiz_response_save(attempt=attempt, slot=slot, answer=answer, response=response)
    except AttemptClosed as closed:
        # Too late, or already handed in: the result page tells the rest.
        messages.error(request, str(closed))
        result = reverse("attempt_result", kwargs={"pk": attempt.pk})
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": result})
        return redirect(result)
    except InvalidAnswer as invalid:
        error = str(invalid)
    except services.AttemptOffLine as off_line:
        # The page was open when the quiz went off line: its status line says why the
        # answer was not saved; the attempt itself is now out of reach, as a 404.
        if not request.htmx:
            raise Http404(str(off_line)) from None
        error = str(off_line)
    if not request.htmx:
        if error:
            messages.error(
                request, gettext("Question %(slot)s: %(error)s") % {"slot": slot, "error": error}
            )
        return redirect(reverse("attempt_detail", kwargs={"pk": attempt.pk}) + f"#question-{slot}")
    return render(
        request,
        "progress/_question_status.html",
        {"question": {"slot": slot, "error": error}, "saved": not error},
    )


@login_required
@require_POST
def attempt_submit(request, pk):
    """Save the answers posted with it, ask to confirm if some are blank, then grade once."""
    attempt = _own_attempt(request, pk)
    if closed := _closed(request, attempt):
        return closed
    answers = AttemptAnswers(attempt.responses.all(), data=request.POST)
    try:
        _save_answers(attempt, answers)
    except AttemptClosed as error:
        messages.error(request, str(error))
        return _to_result(attempt)
    except services.AttemptOffLine:
        raise Http404(OFF_LINE) from None
    if answers.errors:
        return _render_attempt(request, attempt, answers)
    unanswered = answers.unanswered()
    if unanswered and "confirm" not in request.POST:
        return render(
            request,
            "progress/attempt_confirm.html",
            {
                "attempt": attempt,
                "quiz": attempt.quiz,
                "course": attempt.quiz.course,
                "unanswered": unanswered,
                "total": len(answers.responses),
                "timer": _timer(attempt),
            },
        )
    services.quiz_attempt_submit(attempt=attempt)
    # No "submitted" message: the result page says so under its title, and a green
    # message above a "Not passed" box would say success and failure at once.
    return _to_result(attempt)


# --- The result ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionReview:
    slot: int
    text: str
    status: ReviewStatus
    score: str  # "0.5 of 1 point"
    answer: list[str]
    key: list[str]
    feedback: list[str]
    explanation: str
    reread_title: str = ""
    reread_url: str = ""
    grade_notes: list[GradeNote] = field(default_factory=list)


def _question_review(
    response: Response, *, course_slug: str, shows: ReviewShows, changes: list[GradeChange]
) -> QuestionReview:
    shown = response.shown
    reread = response_reread_link(response=response, course_slug=course_slug)
    return QuestionReview(
        slot=response.slot,
        text=question_text_html(shown),
        status=response_review_status(response=response),
        score=score_label(response.score or 0, shown.get("points") or 0),
        answer=answer_lines(shown, response.answer) if shows.answers else [],
        key=key_lines(shown) if shows.key else [],
        feedback=[feedback_html(shown, line) for line in grade(shown, response.answer).feedback]
        if shows.key
        else [],
        explanation=explanation_html(shown) if shows.key else "",
        reread_title=reread.title if reread else "",
        reread_url=reread.url if reread else "",
        grade_notes=grade_notes(changes=changes, points=shown.get("points") or 0),
    )


@login_required
def attempt_result(request, pk):
    attempt = _own_attempt(request, pk)
    if _submit_if_late(request, attempt):
        return _to_result(attempt)
    if not attempt.is_submitted:
        messages.info(request, gettext("Submit your answers to see your result."))
        return redirect("attempt_detail", pk=attempt.pk)
    quiz = attempt.quiz
    progress = course_progress_for_learner(learner=request.user, course=quiz.course)
    record = quiz_progress(progress, quiz)
    shows = review_shows(quiz=quiz, record=record)
    responses = list(attempt.responses.all())
    changes = grade_changes_of(responses)
    reviews = [
        _question_review(
            response,
            course_slug=quiz.course.slug,
            shows=shows,
            changes=changes.get(response.pk, []),
        )
        for response in responses
    ]
    awaiting = [response for response in responses if response.score is None]
    graded = [response for response in responses if response.score is not None]
    return render(
        request,
        "progress/attempt_result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "course": quiz.course,
            "record": record,
            "score": score_label(attempt.score, attempt.max_score)
            if attempt.score is not None
            else "",
            # While written answers await their grade: how many, and what the rest scored.
            "awaiting_reason": awaiting_grading_reason(answers=len(awaiting)) if awaiting else "",
            "graded_so_far": score_label(
                sum(r.score for r in graded), sum(response_points(r) for r in graded)
            ),
            "percent": percent_label(attempt.percent),
            "best": percent_label(record.best_percent) if record else "",
            "shows": shows,
            "reviews": reviews,
            "regrades": regrade_notes(responses=responses, changes=changes),
            "can_retake": record is not None
            and record.is_open
            and record.attempts_left != 0
            and not quiz_is_closed(closes_at=record.closes_at, now=timezone.now()),
            "next_step": quiz_next_step(progress=progress, quiz=quiz),
        },
    )
