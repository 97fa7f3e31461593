"""Learners' records in the admin (read-only), and the course page's records backup and its
zip import (plan first), which courseware/admin.py composes into the Course admin."""

import tempfile
from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from assessments.admin import CourseZipForm, cannot_export
from assessments.course_io import course_zip_extract
from lessons.admin import CourseScopedAdmin, ReadOnlyMixin, code, in_english
from lessons.course_folder import COURSE_FILE, CourseFormatError, located
from lessons.models import Course
from lessons.reports import HTML
from progress.import_plan import ImportPlan, course_import_plan
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.pending_imports import (
    pending_import_discard,
    pending_import_get,
    pending_import_keep,
)
from progress.records import course_records_zip


class ReadOnlyAdmin(ReadOnlyMixin, CourseScopedAdmin):
    """Learners' records: visible to their course's instructors, never edited by hand."""


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
        description=gettext_lazy("Back up the selected course with its learners' records (zip)"),
        permissions=["backup"],
    )
    def export_records_zip(self, request, queryset):
        """The zip export_course_records writes; import_course_records restores it."""
        if queryset.count() != 1:
            self.message_user(request, gettext("Select one course to back up."), messages.ERROR)
            return redirect(request.get_full_path())
        course = queryset.get()
        try:
            data = course_records_zip(course=course)
        except ValueError as error:
            self.message_user(request, cannot_export(error), messages.ERROR)
            return redirect(request.get_full_path())
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}-records.zip"'
        return response


class CourseZipImportMixin:
    """The course page's "Import course (zip)", plan first: the upload shows what the
    import would change (the plan ``import_course --plan`` prints), kept on the server
    until the instructor applies or cancels it; nothing is written before "Apply this
    import". Composed into the Course admin in courseware/admin.py, with assessments'
    ``course_zip_import`` doing the import."""

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="lessons_course_import",
            ),
            path(
                "import/apply/",
                self.admin_site.admin_view(self.import_apply_view),
                name="lessons_course_import_apply",
            ),
        ]
        return urls + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CourseZipForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["archive"]
            with tempfile.TemporaryDirectory() as folder:
                try:
                    plan = self._plan(request, upload, Path(folder))
                except CourseFormatError as error:
                    form.add_error("archive", in_english(located(error, Path(folder))))
                else:
                    upload.seek(0)
                    context = {
                        **self.admin_site.each_context(request),
                        "opts": self.opts,
                        "title": gettext("Import %(file)s: the plan") % {"file": upload.name},
                        "plan": plan,
                        "plan_html": plan.render(HTML),
                        "token": pending_import_keep(request, upload),
                    }
                    return TemplateResponse(request, "admin/lessons/course/import_plan.html",
                                            context)  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a course (zip)"),
            "form": form,
            "submit_label": gettext("Show the plan"),
            "intro": [
                format_html(
                    gettext(
                        "A course already here (the same slug in {file}) is updated in place: "
                        "modules, lessons and questions are matched by slug and title, so "
                        "learners keep their progress; content no longer in the folder is "
                        "removed, or archived when learners have records in it."
                    ),
                    file=code(COURSE_FILE),
                ),
                gettext(
                    "You see first what the import would change and whose records each change "
                    "touches; nothing is written until you apply it. A file with an error "
                    "changes nothing; the error names the file and line."
                ),
            ],
        }
        return TemplateResponse(request, "admin/upload_form.html", context)

    def _plan(self, request, archive, folder: Path) -> ImportPlan:
        root = course_zip_extract(archive, folder)
        plan = course_import_plan(root)
        course = Course.objects.filter(slug=plan.course).first()
        if course is not None and not self.has_change_permission(request, course):
            raise CourseFormatError(
                f"the course '{course.slug}' exists and you do not teach it",
                path=root / COURSE_FILE,
            )
        return plan

    def import_apply_view(self, request):
        """ "Apply this import" or "Cancel", for a zip this session uploaded."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        token = request.POST.get("token", "")
        pending = pending_import_get(request, token)
        if pending is None:
            self.message_user(
                request,
                gettext(
                    "This import is no longer waiting (applied, cancelled, or uploaded more "
                    "than an hour ago): upload the zip again."
                ),
                messages.ERROR,
            )
            return redirect("admin:lessons_course_import")
        archive, name = pending
        if "cancel" in request.POST:
            pending_import_discard(request, token)
            self.message_user(
                request, gettext("Cancelled: nothing was imported from %(file)s.") % {"file": name}
            )
            return redirect("admin:lessons_course_changelist")
        with tempfile.TemporaryDirectory() as folder:
            try:
                course, report, created = self.course_zip_import(request, archive, Path(folder))
            except CourseFormatError as error:
                # The course changed since the plan (someone else's import, say).
                pending_import_discard(request, token)
                problem = in_english(located(error, Path(folder)))
                self.message_user(
                    request,
                    format_html(gettext("Nothing imported: {problem}"), problem=problem),
                    messages.ERROR,
                )
                return redirect("admin:lessons_course_import")
        pending_import_discard(request, token)
        if created:
            self.log_addition(request, course, f"Imported from {name}.")
        else:
            self.log_change(request, course, f"Imported {name}: {report}.")
        self.message_user(
            request,
            format_html(
                gettext("Imported “{course}” from {file}: {report}."),
                course=course,
                file=name,
                report=report.summary(),
            ),
        )
        # Figures without alt text and the like: imported, but the instructor should look.
        for warning in report.warnings:
            self.message_user(request, in_english(warning), messages.WARNING)
        return redirect("admin:lessons_course_change", course.pk)
