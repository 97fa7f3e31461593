"""Learners' records in the admin (read-only), accounts and roles, and the course page's
records backup, which courseware/admin.py composes into the Course admin."""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.shortcuts import redirect

from lessons.admin import CourseScopedAdmin, PlainTextMixin, deleted_objects_or_refusals
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.records import course_records_zip


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


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(PlainTextMixin, GroupAdmin):
    """Django's groups (the Instructors role), with the text rule of every admin form."""


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(PlainTextMixin, UserAdmin):
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


class CourseRecordsBackupMixin:
    """The course page's part from progress: a backup of the course with its learners'
    records (the action ``export_records_zip``). Composed into the Course admin in
    courseware/admin.py."""

    def has_backup_permission(self, request):
        # Learners' names and e-mails of every course: for whoever runs the site.
        return request.user.is_superuser

    @admin.action(
        description="Back up the selected course with its learners' records (zip)",
        permissions=["backup"],
    )
    def export_records_zip(self, request, queryset):
        """The zip export_course_records writes; import_course_records restores it."""
        if queryset.count() != 1:
            self.message_user(request, "Select one course to back up.", messages.ERROR)
            return redirect(request.get_full_path())
        course = queryset.get()
        try:
            data = course_records_zip(course=course)
        except ValueError as error:
            self.message_user(request, f"Cannot export: {error}", messages.ERROR)
            return redirect(request.get_full_path())
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}-records.zip"'
        return response
