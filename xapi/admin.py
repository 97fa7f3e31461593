"""The outbox, read-only, for operators: what waits, what was refused and why."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from lessons.admin import PlainTextMixin, ReadOnlyMixin
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
    # The number of statements in each state and verb, beside the filters.
    show_facets = admin.ShowFacets.ALWAYS
    list_select_related = ("learner",)
    search_fields = ("id", "learner__username")
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
        "statement_json",
    )
    readonly_fields = fields

    # Operators only: statements about every course's learners.
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("statement"))
    def statement_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.statement, indent=2))
