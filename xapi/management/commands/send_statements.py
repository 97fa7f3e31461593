"""Send the xAPI statements waiting in the outbox to the LRS, then exit. Run it from cron or a
systemd timer every minute, beside submit_expired_attempts.

Another run at the same time (cron and a run by hand, or another host) is no harm: each run
sends the statements it took for itself, and says how many another run holds.

When the LRS did not take the statements (down, unwell, wrong credentials) or refused one, the
command ends with an error and exit status 1, so that cron mails it and systemd marks the run
as failed; the statements wait in the outbox either way, the refused ones for an operator.

``--retry-refused`` first puts the statements the LRS refused back in the queue, for when the
LRS or its address was at fault and is mended.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from xapi.lrs import statements_send, statements_send_again
from xapi.models import OutboxStatement
from xapi.outbox import lrs_configured


class Command(BaseCommand):
    help = gettext_lazy(
        "Send the xAPI statements waiting in the outbox to the Learning Record Store "
        "(XAPI_ENDPOINT), in batches, and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry-refused",
            action="store_true",
            help=gettext_lazy(
                "First put the statements the LRS refused back in the queue (once the LRS or "
                "its address is mended)."
            ),
        )

    def handle(self, *args, retry_refused=False, **options):
        if not lrs_configured():
            self.stdout.write(
                _("No Learning Record Store is configured (XAPI_ENDPOINT): nothing to send.")
            )
            return
        if retry_refused:
            again = len(statements_send_again(OutboxStatement.objects.all()))
            self.stdout.write(
                ngettext(
                    "%(count)d refused statement put back in the queue.",
                    "%(count)d refused statements put back in the queue.",
                    again,
                )
                % {"count": again}
            )
        sending = statements_send()
        self.stdout.write(
            ngettext("%(count)d statement sent.", "%(count)d statements sent.", sending.sent)
            % {"count": sending.sent}
        )
        if sending.held_elsewhere:
            self.stdout.write(
                ngettext(
                    "%(count)d statement is being sent by another run.",
                    "%(count)d statements are being sent by another run.",
                    sending.held_elsewhere,
                )
                % {"count": sending.held_elsewhere}
            )
        problems = [
            _("Refused by the LRS, kept in the outbox: %(error)s") % {"error": error}
            for error in sending.errors
        ]
        if sending.stopped:
            problems.append(
                _("The LRS did not take the statements; they wait for a later run: %(why)s")
                % {"why": sending.stopped}
            )
        if problems:
            raise CommandError("\n".join(problems))
