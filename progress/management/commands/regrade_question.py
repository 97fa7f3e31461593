"""Regrade the past answers to a question after its key was fixed, as the instructor's
regrade page does: a dry run by default, the regrade itself with --apply.

    manage.py regrade_question 42 --reason "The key named the wrong treaty"
    manage.py regrade_question 42 --reason "The key named the wrong treaty" --apply

The grade changes it makes are recorded as made by the system (no instructor), with the
reason. Exit status 1 if any attempt could not be regraded (each is logged).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.kinds.base import plain
from assessments.models import Question
from assessments.regrade import Regrade, question_regrade_plan
from progress.cohort import learner_name
from progress.services import question_regrade


def _percent(result) -> str:
    return "awaiting grading" if result.percent is None else f"{plain(result.percent)}%"


class Command(BaseCommand):
    help = "Regrade a question's past answers by its key as it is now (a dry run unless --apply)."

    def add_arguments(self, parser):
        parser.add_argument("question_id", type=int)
        parser.add_argument(
            "--reason", required=True, help="What was corrected; learners read it."
        )
        parser.add_argument("--apply", action="store_true", help="Regrade; without it, only say.")

    def handle(self, *args, question_id, reason, apply, **options):
        try:
            question = Question.objects.select_related("quiz", "lesson").get(pk=question_id)
        except Question.DoesNotExist:
            raise CommandError(f"No question {question_id}.") from None
        if apply:
            try:
                outcome = question_regrade(question=question, by=None, reason=reason)
            except ValidationError as refusal:
                raise CommandError(" ".join(refusal.messages)) from None
        else:
            outcome = question_regrade_plan(question=question)
            if outcome.refused:
                raise CommandError(outcome.refused)
        self._report(outcome)
        if outcome.failed:
            raise CommandError(
                f"{len(outcome.failed)} attempts could not be regraded (ids "
                f"{', '.join(map(str, outcome.failed))}); see the log. They are unchanged."
            )

    def _report(self, outcome: Regrade) -> None:
        verb = "Changed" if outcome.applied else "Would change"
        self.stdout.write(
            f"“{outcome.question.quiz.title}”, question {outcome.question.position}:"
        )
        for change in outcome.changes:
            self.stdout.write(
                f"  {learner_name(change.attempt.learner)}, attempt {change.attempt.number}: "
                f"{'–' if change.score_before is None else plain(change.score_before)}"
                f" → {plain(change.score_after)} "
                f"points, {_percent(change.result_before)} → {_percent(change.result_after)}"
            )
        for item in outcome.left_alone:
            self.stdout.write(
                f"  left alone: {learner_name(item.attempt.learner)}, attempt "
                f"{item.attempt.number}: {item.why}"
            )
        for change in outcome.pass_changes:
            now = "now passes" if change.passes_after else "no longer passes (certificate kept)"
            self.stdout.write(f"  {learner_name(change.learner)} {now}")
        self.stdout.write(
            f"{verb} {len(outcome.changes)} attempts; {outcome.rekeyed} more answers "
            f"{'carry' if outcome.applied else 'would carry'} the corrected key with the same score."
        )
        if not outcome.applied:
            self.stdout.write("Nothing was changed: run again with --apply to regrade.")
