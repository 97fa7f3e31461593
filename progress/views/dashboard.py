"""The learner's dashboard: every course they are enrolled in, and where they stand in it."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext

from progress.models import Enrollment
from progress.selectors import (
    CourseProgress,
    QuizProgress,
    learner_courses,
    percent_label,
)


@dataclass(frozen=True)
class QuizScore:
    title: str
    score: str  # "85%" or "not attempted"
    attempted: bool
    passed: bool
    pass_mark: int
    awaiting_grading: bool  # an attempt's written answers await the instructor's grade


@dataclass(frozen=True)
class CourseCard:
    progress: CourseProgress
    enrollment: Enrollment
    modules_done: int
    scores: list[QuizScore]

    @property
    def awaiting_grading(self) -> bool:
        return any(score.awaiting_grading for score in self.scores)


def _score(record: QuizProgress) -> QuizScore:
    score = (
        percent_label(record.best_percent) if record.attempts_used else gettext("not attempted")
    )
    if record.attempts_used and record.best_percent is None:
        score = gettext("no score yet")  # its only attempts await grading
    return QuizScore(
        title=record.quiz.title,
        score=score,
        attempted=record.attempts_used > 0,
        passed=record.passed,
        pass_mark=record.quiz.pass_mark,
        awaiting_grading=record.awaiting_grading,
    )


def _card(progress: CourseProgress, enrollment: Enrollment) -> CourseCard:
    records = [module.quiz for module in progress.modules if module.quiz is not None]
    if progress.final_exam is not None:
        records.append(progress.final_exam)
    return CourseCard(
        progress=progress,
        enrollment=enrollment,
        modules_done=sum(module.is_complete for module in progress.modules),
        scores=[_score(record) for record in records],
    )


@login_required
def dashboard(request):
    """The learner's enrolments and the progress of each, from the cache while nothing
    changed: no query but the session's and the user's."""
    cards = [
        _card(progress, enrollment)
        for enrollment, progress in learner_courses(learner=request.user)
    ]
    return render(request, "progress/dashboard.html", {"cards": cards})
