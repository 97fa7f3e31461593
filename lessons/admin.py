"""Authoring in the admin: courses, modules and lessons.

Instructors (staff in the Instructors group, see courseware/roles.py) see and
change only the courses they teach and everything in them; superusers see
all. Lessons are registered here. The course and module pages also carry parts of
assessments and progress (quizzes, course zips, records backups), so they are only
defined here and registered once, composed, in courseware/admin.py: lessons knows
nothing of the apps above it.
"""

from collections import Counter

from adminsortable2.admin import CustomInlineFormSet, SortableAdminBase, SortableTabularInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router
from django.db.models import Max, ProtectedError, Q
from django.db.models.deletion import Collector
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.text import format_lazy, get_text_list
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext
from simple_history.admin import SimpleHistoryAdmin

from lessons.course_folder import CourseFormatError, located
from lessons.figures import FigureError, lesson_figure_warnings
from lessons.markdown import render_markdown, validate_lesson_body
from lessons.models import Lesson, Module, Status
from lessons.reports import HTML
from lessons.selectors import courses_taught
from lessons.services import (
    FigureUpload,
    SyncReport,
    content_remove,
    course_draft_create,
    figure_upload_check,
    figure_upload_store,
)
from lessons.validators import (
    control_character_message,
    guard_text_field,
    refuse_control_characters,
)

# --- Who sees what -------------------------------------------------------------------------


def taught_course_ids(request) -> set[int] | None:
    """Ids of the courses the user teaches, or None for a superuser, who sees every course."""
    if request.user.is_superuser:
        return None
    if not hasattr(request, "_taught_course_ids"):
        taught = courses_taught(request.user).values_list("pk", flat=True)
        request._taught_course_ids = set(taught)
    return request._taught_course_ids


class ScopedChoicesMixin:
    """Foreign key choices limited to what the user may see in that model's own admin,
    so nothing can be attached to another instructor's course."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if "queryset" not in kwargs and self.admin_site.is_registered(model):
            related_admin = self.admin_site.get_model_admin(model)
            if isinstance(related_admin, CourseScopedAdmin):
                kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def name_the_parts(field):
    """A date and time drawn as two inputs under one label (Django's split widget, which
    writes "Date:" and "Time:" as bare text): each input named for screen readers."""
    if field is not None and isinstance(field.widget, AdminSplitDateTime):
        date, time = field.widget.widgets
        date.attrs.setdefault(
            "aria-label", format_lazy("{}: {}", field.label, gettext_lazy("date"))
        )
        time.attrs.setdefault(
            "aria-label", format_lazy("{}: {}", field.label, gettext_lazy("time"))
        )
    return field


class PlainTextMixin:
    """Every text field the admin builds from a model refuses control characters (see
    lessons/validators.py), and a search holding one lists nothing and says why rather than
    reaching the database. For every ModelAdmin and inline of the site: a test walks them all.
    Each input of a field drawn as several is named (``name_the_parts``).
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return name_the_parts(guard_text_field(field))

    def get_search_results(self, request, queryset, search_term):
        if message := control_character_message(search_term):
            messages.error(request, gettext("Search: %(problem)s") % {"problem": message})
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class ReadOnlyMixin:
    """What the site writes itself (learners' records, what other systems send): read in
    the admin, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CourseScopedAdmin(ScopedChoicesMixin, PlainTextMixin, admin.ModelAdmin):
    """An admin that shows a non-superuser only the objects of the courses they teach.

    ``course_path`` leads from the model to its course ("" for Course itself). The
    queryset covers lists and objects opened by URL; the object permissions cover
    pages that reach objects another way (history of deleted objects, old versions).
    """

    course_path = "course"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        taught = taught_course_ids(request)
        if taught is None:
            return queryset
        return queryset.filter(**{f"{self.course_path or 'pk'}__in": taught})

    def course_id_of(self, obj) -> int:
        if not self.course_path:
            return obj.pk
        *hops, last = self.course_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop)
        return getattr(obj, f"{last}_id")

    def teaches(self, request, obj) -> bool:
        taught = taught_course_ids(request)
        return taught is None or obj is None or self.course_id_of(obj) in taught

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.teaches(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.teaches(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.teaches(request, obj)


# --- Content admins ------------------------------------------------------------------------


def plain_newlines(text: str) -> str:
    """Browsers send text areas with CRLF line ends; the course files and GIFT cannot
    hold carriage returns, so a course edited with them would no longer export."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class ContentForm(forms.ModelForm):
    """Saves text with plain newlines."""

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = plain_newlines(value)
        return cleaned


class ContentAdmin(CourseScopedAdmin, SortableAdminBase, SimpleHistoryAdmin):
    """Course content: scoped to the instructor, ordered by drag and drop, with history."""

    form = ContentForm
    # The parent whose children a new object goes after ("module" for a lesson), or None.
    position_within: str | None = None

    def save_model(self, request, obj, form, change):
        if self.position_within and not change and "position" not in form.changed_data:
            # Added on its own page with the position left as it was: last, as a row
            # added on the parent's page is, rather than before everything dragged.
            parent = {self.position_within: getattr(obj, self.position_within)}
            last = type(obj).objects.filter(**parent).aggregate(last=Max("position"))["last"]
            obj.position = (last or 0) + 1
        super().save_model(request, obj, form, change)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version may name a course the user does not teach, or the reverse:
        # the object as it is now decides, before any version is shown or restored.
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


def protected_by(obj) -> Counter:
    """What keeps ``obj`` from being deleted (learners' records, content inside it), by model."""
    collector = Collector(using=router.db_for_write(type(obj)))
    try:
        collector.collect([obj])
    except ProtectedError as error:
        return Counter(type(blocker) for blocker in error.protected_objects)
    return Counter()


def counted(opts, n: int) -> str:
    """ "3 lessons", "1 module": a count of a model's objects in the reader's language (the
    model's own names, translated; not ``model_ngettext``, which would look them up again)."""
    return f"{n} {opts.verbose_name if n == 1 else opts.verbose_name_plural}"


def pointing_at_it(counts: Counter) -> str:
    """``{LessonCompletion: 3, Lesson: 1}`` → "3 lesson completions and 1 lesson point at it"."""
    kinds = get_text_list(
        [counted(model._meta, n) for model, n in counts.most_common()],
        gettext("and"),
    )
    return ngettext("%(kinds)s points at it", "%(kinds)s point at it", counts.total()) % {
        "kinds": kinds
    }


def in_english(message) -> str:
    """A file-format message (GIFT, Moodle XML, a course folder: file lines and syntax, kept
    in English, docs/translating.md) inside a sentence of the interface, marked as English
    so that a screen reader reads it as such."""
    return format_html('<span lang="en">{}</span>', message)


def code(text: str) -> str:
    """A file's name or a line of a file format inside a sentence of the interface: the same
    in every language, marked as code and as English."""
    return format_html('<code lang="en">{}</code>', text)


def deleted_objects_or_refusals(admin_, objs, request, *, instead: str):
    """``ModelAdmin.get_deleted_objects`` that refuses objects learners' records point at.

    Django's own refusal lists every protected record (a lesson can have thousands of
    completions); this names what blocks each object and what to do ``instead``.
    ``admin_`` is the ``super()`` of the calling admin. Bulk delete and the delete
    page both go through here.
    """
    refusals = [
        gettext("“%(object)s”: %(blockers)s; %(instead)s.")
        % {"object": obj, "blockers": pointing_at_it(counts), "instead": instead}
        for obj in objs
        if (counts := protected_by(obj))
    ]
    if refusals:
        return [], {}, set(), refusals
    return admin_.get_deleted_objects(objs, request)


class PublishableAdmin(ContentAdmin):
    """Content with a draft/published/archived status.

    Deleting goes through ``content_remove``, the rule the course import follows too:
    what learners' records (or other content) point at is archived, never cascaded
    away, and the confirmation page says so before anything happens.
    """

    actions = ["publish", "make_draft", "archive"]

    @admin.action(
        description=gettext_lazy("Publish selected %(verbose_name_plural)s"),
        permissions=["change"],
    )
    def publish(self, request, queryset):
        self._status_set(request, queryset, Status.PUBLISHED)

    @admin.action(
        description=gettext_lazy("Make selected %(verbose_name_plural)s drafts"),
        permissions=["change"],
    )
    def make_draft(self, request, queryset):
        self._status_set(request, queryset, Status.DRAFT)

    @admin.action(
        description=gettext_lazy("Archive selected %(verbose_name_plural)s (hide, keep records)"),
        permissions=["change"],
    )
    def archive(self, request, queryset):
        self._status_set(request, queryset, Status.ARCHIVED)

    def _status_set(self, request, queryset, status: Status) -> None:
        changed = 0
        for obj in queryset:
            if obj.status != status:
                obj.status = status
                # save(), not update(): history and timestamps follow every change.
                obj.save(update_fields=["status", "updated_at"])
                self.log_change(request, obj, f"Status set to {status.label}.")
                changed += 1
        self.message_user(
            request,
            gettext("%(counted)s set to %(status)s.")
            % {"counted": counted(self.opts, changed), "status": status.label.lower()},
            messages.SUCCESS,
        )

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        blockers = protected_by(obj) if obj and self.has_delete_permission(request, obj) else None
        if not blockers:
            return super().delete_view(request, object_id, extra_context)
        if request.method == "POST":
            self.delete_model(request, obj)
            if obj.pk is None:  # what pointed at it went away meanwhile
                self.message_user(
                    request,
                    gettext("“%(object)s” was deleted.") % {"object": obj},
                    messages.SUCCESS,
                )
                return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            self.log_change(request, obj, f"Archived, not deleted: {pointing_at_it(blockers)}.")
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Archive this %(kind)s?") % {"kind": self.opts.verbose_name},
            "subtitle": str(obj),
            "object": obj,
            "opts": self.opts,
            "blockers": pointing_at_it(blockers),
            "already_archived": obj.status == Status.ARCHIVED,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/archive_confirmation.html", context)

    def get_deleted_objects(self, objs, request):
        return deleted_objects_or_refusals(
            super(),
            objs,
            request,
            instead=gettext("archive it instead (action “Archive selected”)"),
        )

    def delete_model(self, request, obj):
        content_remove(obj, report=SyncReport(), kind=str(self.opts.verbose_name_plural))
        if obj.pk is not None:  # archived
            self.message_user(
                request,
                gettext(
                    "The %(kind)s “%(object)s” was archived, not deleted: learners no longer "
                    "see it and every record that points at it is kept. Publish it again to "
                    "bring it back."
                )
                % {"kind": self.opts.verbose_name, "object": obj},
                messages.WARNING,
            )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


# --- Courses, modules, lessons ---------------------------------------------------------------


class LinesField(forms.CharField):
    """A list of sentences edited as lines of text (learning objectives)."""

    default_validators = [refuse_control_characters]

    widget = forms.Textarea(attrs={"rows": 3, "cols": 80})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ModuleForm(ContentForm):
    objectives = LinesField(
        required=False, help_text=gettext_lazy("One learning objective per line.")
    )


class LessonForm(ContentForm):
    def clean(self):
        cleaned = super().clean()
        # Checked on the text as it will be saved, with plain newlines.
        if "body" in cleaned:
            try:
                validate_lesson_body(cleaned["body"])
            except ValidationError as error:
                self.add_error("body", error)
        # The course is not on the form (it follows the module), so the database's
        # one-slug-per-course rule is checked here rather than failing on save.
        module, slug = cleaned.get("module"), cleaned.get("slug")
        if module is not None and module.course_id and slug:
            clash = (
                Lesson.objects.filter(course_id=module.course_id, slug=slug)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if clash is not None:
                self.add_error(
                    "slug",
                    gettext("The lesson “%(lesson)s” of this course has this slug.")
                    % {"lesson": clash},
                )
        return cleaned


class LessonPageForm(LessonForm):
    """The lesson's own page: the lesson, and a figure to add to its body."""

    figure = forms.FileField(
        required=False,
        label=gettext_lazy("Figure"),
        help_text=gettext_lazy(
            "A PNG, JPEG, GIF or WebP image of at most 5 MB. It is checked and re-encoded as "
            "the figures of a course folder are, then named at the end of the body as a "
            "paragraph of its own: move that line to where the figure belongs."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    figure_alt = forms.CharField(
        required=False,
        max_length=300,
        label=gettext_lazy("Alt text of the figure"),
        help_text=gettext_lazy("What the figure shows, for readers who cannot see it."),
        validators=[refuse_control_characters],
    )

    # The figure checked on clean, stored by the admin once the lesson is saved.
    figure_upload: FigureUpload | None = None

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("figure")
        if not upload:
            return cleaned
        alt = cleaned.get("figure_alt", "").strip()
        if not alt:
            self.add_error(
                "figure_alt",
                gettext("Say what the figure shows: a figure is added with its alt text."),
            )
        module = cleaned.get("module")
        if module is None or "body" in self.errors:
            return cleaned
        try:
            figure = figure_upload_check(course_id=module.course_id, upload=upload, alt=alt)
        except FigureError as error:
            self.add_error(
                "figure",
                format_html(
                    gettext("{file} cannot be a figure: {problem}."),
                    file=code(upload.name),
                    problem=in_english(error),
                ),
            )
            return cleaned
        if self.errors:
            return cleaned
        body = cleaned.get("body", "").rstrip("\n")
        cleaned["body"] = f"{body}\n\n{figure.markdown}" if body else figure.markdown
        try:
            validate_lesson_body(cleaned["body"])
        except ValidationError as error:
            self.add_error("figure", error)
            return cleaned
        self.figure_upload = figure
        return cleaned


# Drag and drop sets positions, but content added elsewhere (the lesson add page, an
# import) can share one: ties are broken as learners see them, by id.
BY_POSITION = ("position", "id")


class LabelledRowsFormSet(CustomInlineFormSet):
    """Rows of a table of the admin whose fields each carry their name: a column's header
    is not the label of the fields below it, so screen readers (and axe) would find none."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            if not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", field.label)


# The buttons of each sortable row: django-admin-sortable2 asks for these labels, but its
# French catalogue lacks them, so the project's holds them.
SORTABLE_ROW_LABELS = (
    gettext_noop("Move to first position"),
    gettext_noop("Move to last position"),
)


class RowsInline(PlainTextMixin, SortableTabularInline):
    """Content listed in its parent's page as rows to reorder by dragging, each field named."""

    formset = LabelledRowsFormSet


class ModuleInline(RowsInline):
    model = Module
    form = ContentForm
    fields = ("title", "slug", "status")
    prepopulated_fields = {"slug": ("title",)}
    ordering = BY_POSITION
    extra = 0
    show_change_link = True


class LessonInline(RowsInline):
    model = Lesson
    form = LessonForm
    fields = ("title", "slug", "status", "is_preview", "word_count")
    readonly_fields = ("word_count",)
    prepopulated_fields = {"slug": ("title",)}
    ordering = BY_POSITION
    extra = 0
    show_change_link = True


def course_label(obj) -> str:
    """A module or quiz named with its course: titles repeat from course to course."""
    return f"{obj.course} › {obj}"


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("Document"),
        help_text=gettext_lazy(
            "Plain text (.txt), Markdown (.md), a saved web page (.html) or a Word "
            "file (.docx), in UTF-8 for the text kinds; or a .zip of a Markdown file or "
            "saved web page with its pictures beside it."
        ),
    )
    title = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy("Leave blank to take the document's title."),
    )
    slug = forms.SlugField(
        required=False,
        max_length=100,
        label=gettext_lazy("Slug"),
        help_text=gettext_lazy("Leave blank to make one from the title."),
    )


class CourseAdmin(PublishableAdmin):
    """The course page as lessons knows it; courseware/admin.py adds the other apps'
    parts and registers it."""

    course_path = ""
    list_display = ("title", "slug", "status", "sequential", "updated_at")
    list_filter = ("status", "sequential")
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("instructors",)
    inlines = [ModuleInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "instructors":
            # Co-instructors are staff; whoever already teaches stays selectable.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(Q(is_staff=True) | Q(courses_taught__isnull=False))
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not request.user.is_superuser:
            # Whoever creates a course teaches it, so they can go on editing it.
            form.instance.instructors.add(request.user)
            taught_course_ids(request).add(form.instance.pk)

    def get_urls(self):
        from_document = path(
            "from-document/",
            self.admin_site.admin_view(self.from_document_view),
            name="lessons_course_from_document",
        )
        return [from_document, *super().get_urls()]

    def from_document_view(self, request):
        """ "New course from a document": a draft course, taught by whoever uploads it,
        and the report of what the document gave and what was left out."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DocumentForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["document"]
            try:
                course, report = course_draft_create(
                    upload=upload,
                    owner=request.user,
                    slug=form.cleaned_data["slug"] or None,
                    title=form.cleaned_data["title"] or None,
                )
            except CourseFormatError as error:
                form.add_error("document", in_english(located(error)))
            else:
                if not request.user.is_superuser:
                    taught_course_ids(request).add(course.pk)
                self.log_addition(request, course, f"Drafted from {upload.name}.")
                context = {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": gettext("Draft course “%(course)s”") % {"course": course},
                    "course": course,
                    "report": report,
                    "report_html": report.render(HTML),
                }
                return TemplateResponse(request, "admin/lessons/course/draft_report.html", context)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("New course from a document"),
            "form": form,
            "submit_label": gettext("Draft the course"),
            "intro": [
                gettext(
                    "A plain text, Markdown, saved web page (.html) or Word (.docx) file "
                    "becomes a draft course: its headings become lessons grouped into modules, "
                    "and its paragraphs, lists and tables go into them as written."
                ),
                gettext(
                    "A Word file's pictures come with it. Those of a Markdown file or a saved "
                    "web page come when you upload a .zip of the document with its pictures "
                    "beside it, in its folder or below (as a browser's “Save page as… "
                    "complete” keeps them)."
                ),
                gettext(
                    "Page debris (menus, “See also” links, cookie banners, share buttons) and "
                    "pictures that cannot be kept are left out and listed in a report, so you "
                    "can check that nothing of the text was lost. Learners see nothing until "
                    "you publish the course."
                ),
            ],
        }
        return TemplateResponse(request, "admin/upload_form.html", context)


class ModuleAdmin(PublishableAdmin):
    """The module page as lessons knows it; courseware/admin.py adds the other apps'
    parts and registers it."""

    form = ModuleForm
    position_within = "course"
    list_display = ("title", "course", "position", "status")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "status")
    search_fields = ("title", "slug")
    list_select_related = ("course",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = [LessonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course")

    def view_on_site(self, obj):
        return obj.course.get_absolute_url()


@admin.register(Lesson)
class LessonAdmin(PublishableAdmin):
    form = LessonPageForm
    position_within = "module"
    list_display = ("title", "module", "course", "position", "status", "is_preview", "word_count")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "status")
    search_fields = ("title", "slug", "body")
    list_select_related = ("module", "course")
    prepopulated_fields = {"slug": ("title",)}
    exclude = ("course",)  # follows the module
    readonly_fields = ("word_count", "reading_minutes", "passage_count")
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "module",
                    "position",
                    "slug",
                    "title",
                    "body",
                    "status",
                    "is_preview",
                    *readonly_fields,
                ]
            },
        ),
        (gettext_lazy("Add a figure"), {"fields": ["figure", "figure_alt"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "module":
            field.label_from_instance = course_label
        return field

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if figure := form.figure_upload:
            figure_upload_store(figure)
            self.message_user(
                request,
                format_html(
                    gettext(
                        "The figure {name} is stored and named at the end of the body as "
                        "{markdown}: move that line to where the figure belongs."
                    ),
                    name=code(figure.name),
                    markdown=code(figure.markdown),
                ),
                messages.SUCCESS,
            )
        storing = frozenset([figure.name] if figure else [])
        for warning in lesson_figure_warnings(
            body=obj.body, course_id=obj.course_id, storing=storing
        ):
            self.message_user(request, in_english(warning), messages.WARNING)

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.markdown_preview),
            name="lessons_lesson_preview",
        )
        return [preview, *super().get_urls()]

    def _preview_course_id(self, request) -> int | None:
        """The course of the module chosen on the form, when the user teaches it: its
        figures are shown in the preview."""
        module_id = request.POST.get("module", "")
        if not module_id.isdigit():
            return None
        return (
            Module.objects.filter(pk=module_id, course__in=courses_taught(request.user))
            .values_list("course_id", flat=True)
            .first()
        )

    def markdown_preview(self, request):
        """The body being edited, rendered as learners will see it (nothing is saved).

        htmx swaps the fragment in under the editor; without JavaScript the button
        opens the same rendering as a page of its own.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        body = plain_newlines(request.POST.get("body", ""))
        try:
            validate_lesson_body(body)
        except ValidationError as error:
            # Refused before rendering; answered with 200 so htmx shows the message.
            rendered, refusal = None, error.message
        else:
            course_id = self._preview_course_id(request)
            rendered, refusal = render_markdown(body, course_id=course_id), None
        template = (
            "admin/lessons/lesson/_preview.html"
            if request.htmx
            else "admin/lessons/lesson/preview.html"
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Preview: %(lesson)s")
            % {"lesson": request.POST.get("title") or gettext("lesson")},
            "rendered": rendered,
            "refusal": refusal,
        }
        return TemplateResponse(request, template, context)
