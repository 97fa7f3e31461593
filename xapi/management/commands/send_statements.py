from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xapi.lrs import statements_send
from xapi.outbox import lrs_configured


class Command(BaseCommand):
    help = gettext_lazy(
        "Send the xAPI statements waiting in the outbox to the Learning Record Store "
        "(XAPI_ENDPOINT), in batches, and exit. Run it every minute, as the expiry job."
    )

    def handle(self, *args, **options):
        if not lrs_configured():
            self.stdout.write(
                _("No Learning Record Store is configured (XAPI_ENDPOINT): nothing to send.")
            )
            return
        sending = statements_send()
        self.stdout.write(
            _("%(sent)d statements sent, %(refused)d refused by the LRS.")
            % {"sent": sending.sent, "refused": sending.refused}
        )
        for error in sending.errors:
            self.stderr.write(_("Refused: %(error)s") % {"error": error})
        if sending.stopped:
            self.stderr.write(
                _("The LRS did not take the statements; they wait for the next run: %(why)s")
                % {"why": sending.stopped}
            )
