"""Hand in every quiz attempt whose time limit has passed. Run it from cron, every minute or so.

Pages submit an expired attempt when its learner comes back; this catches the
learners who never do, so scores, completions and certificates do not wait.
"""

from django.core.management.base import BaseCommand

from progress.services import quiz_attempts_expired_submit


class Command(BaseCommand):
    help = "Submit every open quiz attempt past its deadline, with the answers saved before it."

    def handle(self, *args, **options):
        submitted = quiz_attempts_expired_submit()
        count = len(submitted)
        self.stdout.write(f"Submitted {count} expired attempt{'' if count == 1 else 's'}.")
