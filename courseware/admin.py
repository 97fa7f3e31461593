"""The admin pages that gather parts of several apps, each registered once, here.

Each app registers the models only it knows (lessons the lesson, assessments quizzes,
questions and attempts, progress the learners' records). The course and module pages
carry parts of every app: lessons gives the page, assessments the final exam, the module
quiz and course zips, progress the records backup and the zip import's plan. Rather than each app taking the page
over from the one below (registered, unregistered, registered again, the live class
depending on INSTALLED_APPS order), each app offers its part and the project composes
the page once: one reads this file to know what the course page is made of, and the
apps keep their arrows pointing down (lessons ← assessments ← progress).

The guarded "View on site" lives here too: it serves every registered model.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404

from assessments.admin import CourseExamAndZipsMixin, ModuleQuizMixin
from lessons import admin as lessons_admin
from lessons.models import Course, Module
from progress.admin import CourseRecordsBackupMixin, CourseZipImportMixin


@admin.register(Course)
class CourseAdmin(
    CourseZipImportMixin,
    CourseRecordsBackupMixin,
    CourseExamAndZipsMixin,
    lessons_admin.CourseAdmin,
):
    actions = [
        *lessons_admin.CourseAdmin.actions,
        "export_zip",
        "export_moodle_xml",
        "export_records_zip",
    ]


@admin.register(Module)
class ModuleAdmin(ModuleQuizMixin, lessons_admin.ModuleAdmin):
    pass


def view_on_site(request, content_type_id, object_id):
    """The admin's "View on site" redirect, for what the user may open in the admin only.

    Django's own follows the public address of any object for any staff user, such as
    a certificate's verification code in a course the instructor does not teach.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except (ContentType.DoesNotExist, ValueError):
        raise Http404 from None
    if model is None or not admin.site.is_registered(model):
        raise Http404
    model_admin = admin.site.get_model_admin(model)
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None or not model_admin.has_view_or_change_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)
