from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from lessons.admin import CourseScopedAdmin, deleted_objects_or_refusals
from progress.models import Certificate, Enrollment, LessonCompletion


class ReadOnlyAdmin(CourseScopedAdmin):
    """Learners' records: visible to their course's instructors, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("learner", "course", "enrolled_at", "last_activity_at", "completed_at")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("learner", "course")
    search_fields = ("learner__username",)


@admin.register(LessonCompletion)
class LessonCompletionAdmin(ReadOnlyAdmin):
    course_path = "lesson__course"
    list_display = ("learner", "lesson", "completed_at")
    list_filter = (("lesson__course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("learner", "lesson")
    search_fields = ("learner__username",)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("code", "learner_name", "course_title", "issued_at")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("code", "learner_name")


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(UserAdmin):
    """Accounts with learning records are deactivated, never deleted.

    The records point at the account with PROTECT, so deleting it is refused (here
    and in code); deactivating it stops the login and keeps every record.
    """

    actions = ["deactivate"]

    @admin.action(
        description="Deactivate selected users (no more login, records kept)",
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        accounts = list(queryset.filter(is_active=True))
        for account in accounts:
            account.is_active = False
            account.save(update_fields=["is_active"])
            self.log_change(request, account, "Deactivated.")
        self.message_user(
            request,
            f"{len(accounts)} {model_ngettext(self.opts, len(accounts))} deactivated: they can "
            "no longer log in, and everything they did is kept.",
            messages.SUCCESS,
        )

    def get_deleted_objects(self, objs, request):
        return deleted_objects_or_refusals(
            super(),
            objs,
            request,
            instead="deactivate the account instead (untick “Active”, or the action "
            "“Deactivate selected users”)",
        )
