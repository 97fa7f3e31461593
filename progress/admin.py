"""Learners' records in the admin (read-only), and the course page's records backup, which
courseware/admin.py composes into the Course admin."""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect

from lessons.admin import CourseScopedAdmin
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
