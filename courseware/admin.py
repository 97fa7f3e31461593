"""The admin pages that gather parts of several apps, each registered once, here.

Each app registers the models only it knows (lessons the lesson, assessments quizzes,
questions and attempts, progress the learners' records). The course and module pages
carry parts of every app: lessons gives the page, assessments the final exam, the module
quiz and course zips, progress the records backup and the zip import's plan. Rather than each app taking the page
over from the one below (registered, unregistered, registered again, the live class
depending on INSTALLED_APPS order), each app offers its part and the project composes
the page once: one reads this file to know what the course page is made of, and the
apps keep their arrows pointing down (lessons ← assessments ← progress).

Django's own accounts and groups are the project's too (courseware/accounts.py signs people
up, courseware/roles.py makes the Instructors group): Django registers them, so this is the
one place that unregisters anything, to register them again with the text rule of every
admin form and accounts that are deactivated, never deleted. The guarded "View on site"
lives here as well: it serves every registered model, and so do the yes/no icons' words.
"""

from django.contrib import admin, messages
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from assessments.admin import CourseExamAndZipsMixin, ModuleQuizMixin
from lessons import admin as lessons_admin
from lessons.admin import PlainTextMixin, counted, deleted_objects_or_refusals
from lessons.models import Course, Module
from progress.admin import CourseRecordsBackupMixin, CourseZipImportMixin


def boolean_icon_in_words(value: bool | None) -> str:
    """Django's yes/no icon with its alt text in the reader's language. Django's own
    (``admin_list._boolean_icon``, which every list and read-only field calls when drawn)
    gives the icon Python's "True", "False" or "None", read out in English on a French page."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    words = {True: gettext("Yes"), False: gettext("No"), None: gettext("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), words)


admin_list._boolean_icon = boolean_icon_in_words


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
        description=gettext_lazy("Deactivate selected users (no more login, records kept)"),
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
            gettext(
                "%(counted)s deactivated: they can no longer log in, and everything they did "
                "is kept."
            )
            % {"counted": counted(self.opts, len(accounts))},
            messages.SUCCESS,
        )

    def get_deleted_objects(self, objs, request):
        return deleted_objects_or_refusals(
            super(),
            objs,
            request,
            instead=gettext(
                "deactivate the account instead (untick “Active”, or the action "
                "“Deactivate selected users”)"
            ),
        )


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
