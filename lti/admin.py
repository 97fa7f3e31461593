from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from lessons.admin import PlainTextMixin, ReadOnlyMixin
from lti.models import Deployment, PendingScore, Platform, PlatformAccount


class ReadOnlyAdmin(ReadOnlyMixin, PlainTextMixin, admin.ModelAdmin):
    """What launches and the score queue write. Only superusers see the platforms' pages:
    the Instructors group has no permission on them."""


class DeploymentInline(PlainTextMixin, admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Platform)
class PlatformAdmin(PlainTextMixin, admin.ModelAdmin):
    list_display = ("__str__", "issuer", "client_id")
    search_fields = ("name", "issuer", "client_id")
    inlines = [DeploymentInline]
    filter_horizontal = ("courses_taught",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(PlatformAccount)
class PlatformAccountAdmin(ReadOnlyAdmin):
    """Read-only: accounts are linked by launches, and a link is never moved to another user."""

    list_display = ("user", "platform", "sub", "created_at")
    list_select_related = ("user", "platform")
    search_fields = ("sub", "user__username", "user__email")


@admin.register(PendingScore)
class PendingScoreAdmin(ReadOnlyAdmin):
    """What is waiting for, or was sent to, the platforms' gradebooks (read-only)."""

    list_display = (
        "graded",
        "score_given",
        "activity",
        "grading",
        "changed_at",
        "tries",
        "sent_at",
    )
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    list_select_related = ("graded__account__user", "graded__link")
    readonly_fields = [f.name for f in PendingScore._meta.fields]

    @admin.display(description=_("learner and link"))
    def learner_and_link(self, obj):
        return str(obj.graded)
