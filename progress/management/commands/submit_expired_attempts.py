"""Hand in every quiz attempt whose time limit has passed. Run it from cron, every minute or so.

Pages submit an expired attempt when its learner comes back; this catches the
learners who never do, so scores, completions and certificates do not wait.

Each attempt is graded on its own: one that fails is logged (with its id and
traceback) and left open for the next run, and the others are still handed in.
If any failed, the command ends with an error and exit status 1, so that cron
mails it and systemd marks the run as failed: a failure is never silent.
"""

from django.core.management.base import BaseCommand, CommandError

from progress.services import quiz_attempts_expired_submit


def _attempts(count: int) -> str:
    return f"{count} expired attempt{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = "Submit every open quiz attempt past its deadline, with the answers saved before it."

    def handle(self, *args, **options):
        result = quiz_attempts_expired_submit()
        self.stdout.write(f"Submitted {_attempts(len(result.submitted))}.")
        if result.failed:
            ids = ", ".join(map(str, result.failed))
            raise CommandError(
                f"{_attempts(len(result.failed))} could not be graded (attempt ids: {ids}); "
                "see the log. They stay open and the next run tries them again."
            )
