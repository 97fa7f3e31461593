"""Send the scores waiting for the learning platforms' gradebooks; run by the timer."""

from django.core.management.base import BaseCommand

from lti.services import scores_send
from lti.tool import launch_data_expired_delete


class Command(BaseCommand):
    help = "Send waiting scores to the learning platforms (LTI Assignment and Grade Services)."

    def handle(self, *args, **options):
        outcome = scores_send()
        swept = launch_data_expired_delete()
        self.stdout.write(
            f"{outcome.sent} scores sent, {outcome.failed} to try again later; "
            f"{swept} expired launch records removed."
        )
