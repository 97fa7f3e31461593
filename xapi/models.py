from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatement(models.Model):
    """An xAPI statement on its way to the LRS, written in the transaction of what it tells.

    Its id is the statement's own (``xapi.statements.stable_id``): the same event writes
    it once, and the LRS keeps it once however often it is sent. Rows stay once sent: they
    are the learner's record of what was reported about them.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SENT = "sent", _("Sent")
        # The LRS refused this statement (400): sending it again cannot help, unless the LRS
        # or its address was at fault (an operator then sends it again).
        REFUSED = "refused", _("Refused by the LRS")

    id = models.UUIDField(primary_key=True, editable=False)
    # PROTECT: an account with records is deactivated, never deleted (courseware/admin.py).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="xapi_statements",
        verbose_name=_("learner"),
    )
    verb = models.CharField(_("verb"), max_length=40)
    statement = models.JSONField(_("statement"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    created_at = models.DateTimeField(_("written"))
    tries = models.PositiveIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(_("next try"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # When the LRS (or a proxy before it) refused it: refusals in a row with none taken since
    # mean the LRS or its address is at fault, not the statements (xapi.lrs).
    refused_at = models.DateTimeField(_("refused"), null=True, blank=True)
    # The run of send_statements sending it now, until its next try (the run's lease): another
    # run, from cron or another host, leaves it alone meanwhile (xapi.lrs).
    sending_run = models.UUIDField(_("sending run"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    # The LRS's refusal, kept when an operator sent the statement again (xapi.lrs): the next
    # try writes its own last error.
    refused_before = models.TextField(_("refused before"), blank=True)

    class Meta:
        verbose_name = _("xAPI statement")
        verbose_name_plural = _("xAPI statements")
        ordering = ["created_at", "id"]
        indexes = [
            # What the sender reads: the waiting rows that are due, oldest first.
            models.Index(
                fields=["next_try_at", "created_at"],
                condition=models.Q(state="waiting"),
                name="outbox_statement_due",
            ),
            models.Index(fields=["learner", "created_at"], name="outbox_statement_learner"),
            # What the circuit breaker reads after a refusal: the latest statement taken and
            # the refusals since, without reading every row the outbox has ever sent.
            models.Index(
                fields=["sent_at"],
                condition=models.Q(state="sent"),
                name="outbox_statement_last_sent",
            ),
            models.Index(
                fields=["refused_at"],
                condition=models.Q(state="refused"),
                name="outbox_statement_refused",
            ),
        ]

    def __str__(self):
        return f"{self.verb} {self.id}"
