"""The outbox, read-only, for operators: what waits, what was refused and why; and "Send
again" for refused statements once the LRS or its address is mended."""

import json
import uuid

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from lessons.admin import PlainTextMixin, ReadOnlyMixin
from xapi.lrs import statements_send_again
from xapi.models import OutboxStatement


@admin.register(OutboxStatement)
class OutboxStatementAdmin(ReadOnlyMixin, PlainTextMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "verb",
        "learner",
        "state",
        "tries",
        "next_try_at",
        "sent_at",
        "error",
    )
    list_filter = ("state", "verb")
    # The number of statements in each state and verb, beside the filters, when asked ("Show
    # counts"): counting a large outbox on every visit of the list would be slow.
    show_facets = admin.ShowFacets.ALLOW
    list_select_related = ("learner",)
    # Exact, so that a search reads an index: a statement by its whole id, or a learner's
    # statements by their username (get_search_results).
    search_fields = ("learner__username__exact",)
    search_help_text = _("A statement's whole id, or a learner's username.")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "learner",
        "verb",
        "state",
        "created_at",
        "tries",
        "next_try_at",
        "sent_at",
        "last_error",
        "refused_before",
        "statement_json",
    )
    readonly_fields = fields
    actions = ["send_again"]

    def get_search_results(self, request, queryset, search_term):
        try:
            statement_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(pk=statement_id), False

    # Operators only: statements about every course's learners.
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_send_again_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(
        description=_("Send again (refused statements, once the LRS is mended)"),
        permissions=["send_again"],
    )
    def send_again(self, request, queryset):
        again = statements_send_again(queryset, by=request.user)
        if not again:
            self.message_user(
                request,
                gettext("None of the selected statements was refused: nothing to send again."),
                messages.WARNING,
            )
            return
        LogEntry.objects.log_actions(
            request.user.pk,
            OutboxStatement.objects.filter(pk__in=again),
            CHANGE,
            change_message="Sent again.",
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d refused statement is back in the queue: the next run of "
                "send_statements sends it.",
                "%(count)d refused statements are back in the queue: the next run of "
                "send_statements sends them.",
                len(again),
            )
            % {"count": len(again)},
            messages.SUCCESS,
        )

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("statement"))
    def statement_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.statement, indent=2))
