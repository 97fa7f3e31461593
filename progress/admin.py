from django.contrib import admin

from lessons.admin import CourseScopedAdmin
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
