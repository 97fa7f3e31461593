"""What a platform's gradebook gets for a learner: the one rule, for a course or a module.

The grade is the learner's best result at the quiz that closes it (a module's quiz, the
course's final exam) or, with no such quiz, how much of it is done (lessons read and
quizzes passed, out of all). Completion is the course complete, or the module done.
"""

from dataclasses import dataclass
from decimal import Decimal

from lessons.models import Module
from lti.models import PendingScore
from progress.rules import percent_done
from progress.selectors import CourseProgress

Activity = PendingScore.Activity
Grading = PendingScore.Grading


@dataclass(frozen=True)
class Score:
    given: Decimal | None
    activity: str
    grading: str
    maximum: Decimal = Decimal(100)


def score_of(progress: CourseProgress, module: Module | None = None) -> Score:
    if module is None:
        quiz = progress.final_exam
        done_percent = Decimal(progress.percent)
        complete = progress.is_complete
        started = any(m.state in ("in_progress", "done") for m in progress.modules)
    else:
        found = next((m for m in progress.modules if m.module.pk == module.pk), None)
        if found is None:  # no longer visible to learners: nothing to say
            return Score(given=None, activity=Activity.INITIALIZED, grading=Grading.NOT_READY)
        quiz = found.quiz
        complete = found.is_complete
        done_percent = Decimal(
            percent_done(
                steps_done=found.lessons_done + (1 if quiz and quiz.passed else 0),
                steps_total=len(found.lessons) + (1 if quiz else 0),
                complete=complete,
            )
        )
        started = found.state in ("in_progress", "done")
    activity = (
        Activity.COMPLETED
        if complete
        else Activity.IN_PROGRESS
        if started
        else Activity.INITIALIZED
    )
    if quiz is None:
        return Score(given=done_percent, activity=activity, grading=Grading.FULLY_GRADED)
    if quiz.awaiting_grading:
        return Score(given=quiz.best_percent, activity=activity, grading=Grading.PENDING_MANUAL)
    if quiz.best_percent is None:
        return Score(given=None, activity=activity, grading=Grading.PENDING)
    return Score(given=quiz.best_percent, activity=activity, grading=Grading.FULLY_GRADED)
