"""Authoring quizzes in the admin, and the course pages' parts that need assessments.

Quizzes, questions, attempts and learners' quiz overrides are registered here. The course and module pages are
not: this module gives them their assessments part as mixins (the module page links its
quiz, the course page its final exam, course zips are imported and exported with the
same code as the import_course/export_course commands), and courseware/admin.py
composes each page once. A quiz takes a GIFT file.
"""

from collections import Counter
from functools import cache
from pathlib import Path
from random import Random

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy, ngettext, ngettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from assessments.course_io import (
    course_import,
    course_moodle_xml,
    course_zip_extract,
    courses_zip,
    gift_answer,
    gift_question,
    quiz_gift,
    quiz_questions_import,
    quiz_questions_import_moodle_xml,
)
from assessments.forms import local_number, question_fieldset
from assessments.gift import dump_gift
from assessments.grading import question_snapshot
from assessments.kinds import KINDS, kind_choices, kind_for
from assessments.kinds.base import QuestionKind
from assessments.models import Attempt, Choice, Question, Quiz, QuizOverride, Response
from assessments.moodle_xml import MAX_BYTES as MOODLE_XML_MAX_BYTES
from assessments.selectors import (
    draw_shortfalls,
    grade_changes_of,
    question_choices_chosen,
    submitted_answers_of,
)
from assessments.services import (
    quiz_attempts_close_follow,
    quiz_override_grant,
    quiz_override_problems,
)
from assessments.urls import QUESTION_REGRADE_PAGE
from lessons.admin import (
    BY_POSITION,
    ContentAdmin,
    ContentForm,
    CourseScopedAdmin,
    LabelledRowsFormSet,
    PlainTextMixin,
    PublishableAdmin,
    RowsInline,
    code,
    course_label,
    in_english,
    taught_course_ids,
)
from lessons.course_folder import (
    COURSE_FILE,
    CourseFormatError,
    decode_text,
    located,
    refuse_too_big,
)
from lessons.models import Course, Lesson
from lessons.validators import refuse_control_characters

SMALL_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


def answered_label(question: Question) -> str:
    count = getattr(question, "answer_count", None)
    if count is None:
        count = question.responses.count() if question.pk else 0
    if not count:
        return gettext("Not answered yet")
    return ngettext("Answered %(count)s time", "Answered %(count)s times", count) % {
        "count": count
    }


# --- Quizzes and questions ------------------------------------------------------------------


class NumberRangesMixin:
    """Number fields refused out of the range their table's check constraint allows,
    on the field and in words, rather than as “Constraint … is violated”."""

    number_ranges: dict[str, tuple[int | None, int | None]] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.number_ranges:
            kwargs["min_value"], kwargs["max_value"] = self.number_ranges[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class QuizForm(ContentForm):
    def clean(self):
        cleaned = super().clean()
        course, module, kind = cleaned.get("course"), cleaned.get("module"), cleaned.get("kind")
        if course and module and module.course_id != course.pk:
            self.add_error("module", gettext("This module belongs to another course."))
        elif kind == Quiz.Kind.MODULE and module is None and "module" not in self.errors:
            self.add_error("module", gettext("A module quiz belongs to a module: choose it."))
        elif kind == Quiz.Kind.FINAL and module is not None:
            self.add_error(
                "module", gettext("A final exam covers the whole course: leave this empty.")
            )
        if kind == Quiz.Kind.FINAL and course:
            final = course.quizzes.filter(kind=Quiz.Kind.FINAL).exclude(pk=self.instance.pk)
            if (existing := final.first()) is not None:
                self.add_error(
                    "kind",
                    gettext("The course already has a final exam: “%(quiz)s”.")
                    % {"quiz": existing},
                )
        return cleaned


class TagsField(forms.CharField):
    """Moodle's question tags typed as one line, separated by commas (as Moodle's own form)."""

    default_validators = [refuse_control_characters]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        tags = [tag.strip() for tag in (super().to_python(value) or "").split(",")]
        return list(dict.fromkeys(tag for tag in tags if tag))


# The button that shows the answers of the kind just chosen, saving nothing.
KIND_SWITCH = "_kind_switch"


class QuestionForm(ContentForm):
    tags = TagsField(
        required=False,
        label=gettext_lazy("Tags"),
        help_text=gettext_lazy(
            "Moodle's question tags, separated by commas; kept in GIFT and Moodle XML."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        changed_kind = self.instance.pk and kind and kind != self.instance.kind
        if changed_kind and submitted_answers_of(self.instance).exists():
            raise ValidationError(
                gettext(
                    "Learners have already answered this question as a %(kind)s question: "
                    "its kind cannot change, or their grades and its statistics would no "
                    "longer hold. Write a new question of the kind you want, and delete "
                    "this one if it must go (each attempt keeps the question as it was shown)."
                )
                % {"kind": kind_for(self.instance.kind).label.lower()}
            )
        if KIND_SWITCH in self.data and kind:
            raise ValidationError(
                gettext(
                    "Nothing is saved yet: the answers below are now those of a %(kind)s "
                    "question. Fill them in, then save."
                )
                % {"kind": kind_for(kind).label.lower()}
            )
        quiz, lesson, passage = cleaned.get("quiz"), cleaned.get("lesson"), cleaned.get("passage")
        if quiz and lesson and lesson.course_id != quiz.course_id:
            self.add_error("lesson", gettext("This lesson belongs to another course."))
        elif lesson and passage and passage > lesson.passage_count:
            self.add_error(
                "passage",
                ngettext(
                    "“%(lesson)s” has %(count)s passage.",
                    "“%(lesson)s” has %(count)s passages.",
                    lesson.passage_count,
                )
                % {"lesson": lesson, "count": lesson.passage_count},
            )
        return cleaned


# The Choice fields an editor may show; those a kind's editor does not show are reset.
ANSWER_FIELDS = (
    "text",
    "text_format",
    "weight",
    "feedback",
    "feedback_format",
    "match_text",
    "numeric_value",
    "tolerance",
)


class AnswerForm(ContentForm):
    def has_changed(self):
        # A new question's starting rows (true/false's True and False) are answers as shown.
        return super().has_changed() or (self.instance.pk is None and bool(self.initial))


class AnswersFormSet(LabelledRowsFormSet):
    """A question's answers, checked together as its kind says (``answers_problem``), with
    the question as it is being saved: a question is never saved with answers learners could
    not be graded on."""

    kind: QuestionKind

    def _answer_forms(self) -> list:
        """The rows that are answers: valid, not deleted, and not a blank row left unused."""
        return [
            form
            for form in self.forms
            if form.is_valid()
            and not self._should_delete_form(form)
            and (form.instance.pk is not None or form.has_changed())
        ]

    def answers(self) -> list[Choice]:
        """The answers the question will have, with the fields the kind does not show set
        as it says; read after validation."""
        editor = self.kind.editor
        kept = []
        for form in self._answer_forms():
            for name in ANSWER_FIELDS:
                if name not in editor.fields:
                    column = Choice._meta.get_field(name)
                    value = editor.fixed.get(name, column.get_default())
                    setattr(form.instance, name, column.to_python(value))
            kept.append(form.instance)
        return kept

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        self._refuse_deleting_what_learners_chose()
        required = self.kind.editor.required
        for choice, form in zip(self.answers(), self._answer_forms(), strict=True):
            for name in required:
                if getattr(choice, name) in ("", None):
                    form.add_error(name, gettext("Every answer of this kind needs this."))
        if any(self.errors):
            return
        answers = [
            gift_answer(choice, kind=self.kind.name, question_format=self.instance.text_format)
            for choice in self.answers()
        ]
        if problem := self.kind.answers_problem(answers):
            raise ValidationError(problem)

    def _refuse_deleting_what_learners_chose(self) -> None:
        deleted = [
            form.instance
            for form in self.forms
            if form.instance.pk is not None and self._should_delete_form(form)
        ]
        if not deleted:
            return
        chosen = question_choices_chosen(question=self.instance)
        refused = [
            gettext(
                "“%(answer)s”: learners have already chosen this answer in a submitted "
                "attempt. Deleting it would change their grade at the next regrade and take "
                "it out of the question's statistics. Keep it (with a grade of 0%% if it is "
                "wrong), or write a new question and delete this one (each attempt keeps the "
                "question as it was shown)."
            )
            % {"answer": choice}
            for choice in deleted
            if choice.pk in chosen
        ]
        if refused:
            raise ValidationError(refused)


class ChoiceInline(NumberRangesMixin, RowsInline):
    """The answers of a question of one kind: its fields, labels and rows, as the kind's
    editor says (``answers_inline``)."""

    model = Choice
    number_ranges = {"weight": (-100, 100), "tolerance": (0, None)}
    form = AnswerForm
    formset = AnswersFormSet
    ordering = BY_POSITION
    formfield_overrides = SMALL_TEXT
    kind: QuestionKind

    def get_formset(self, request, obj=None, **kwargs):
        editor = self.kind.editor
        formset = super().get_formset(request, obj, labels=dict(editor.labels), **kwargs)
        formset.kind = self.kind
        return formset

    def get_extra(self, request, obj=None, **kwargs):
        editor = self.kind.editor
        if obj is not None and obj.pk:
            return 0 if editor.max_answers is not None else 1
        return max(editor.min_answers, len(editor.starting_rows))

    def get_max_num(self, request, obj=None, **kwargs):
        return self.kind.editor.max_answers


@cache
def answers_inline(kind: QuestionKind) -> type[ChoiceInline]:
    """The inline that edits the answers of ``kind``'s questions, built from its editor."""
    return type(
        f"{kind.name.title().replace('_', '')}AnswersInline",
        (ChoiceInline,),
        {
            "kind": kind,
            "fields": kind.editor.fields,
            "verbose_name": gettext_lazy("answer"),
            "verbose_name_plural": kind.editor.heading,
        },
    )


class QuestionInline(RowsInline):
    """The quiz's questions, to reorder, retitle and delete. A question is added and its kind
    changed on its own page, where its answers are edited with it (“Add a question”)."""

    model = Question
    form = ContentForm
    fields = ("title", "kind", "text", "points", "answered")
    readonly_fields = ("kind", "answered")
    ordering = BY_POSITION
    formfield_overrides = SMALL_TEXT
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answer_count=Count("responses"))

    @admin.display(description=gettext_lazy("Answered"))
    def answered(self, question):
        return answered_label(question) if question.pk else "—"

    def has_add_permission(self, request, obj=None):
        return False


class GiftUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("GIFT file"),
        help_text=gettext_lazy("Moodle's GIFT format, UTF-8 text."),
    )


class MoodleXmlUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Moodle XML file"),
        help_text=gettext_lazy("A question bank as Moodle exports it (Moodle XML)."),
    )


@admin.register(Quiz)
class QuizAdmin(NumberRangesMixin, PublishableAdmin):
    form = QuizForm
    number_ranges = {"pass_mark": (0, 100), "max_attempts": (1, None), "draw_count": (1, None)}
    list_display = ("title", "course", "kind", "module", "pass_mark", "max_attempts", "status")
    list_filter = (("course", admin.RelatedOnlyFieldListFilter), "kind", "status")
    list_select_related = ("course", "module")
    search_fields = ("title",)
    readonly_fields = ("attempt_summary",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = [QuestionInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "module":
            field.queryset = field.queryset.select_related("course")
            field.label_from_instance = course_label
        return field

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "closes_at" in form.changed_data:
            moved = quiz_attempts_close_follow(quiz=obj)
            if moved:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)s attempt still open now ends at the new close, or at the "
                        "end of its time limit if that comes first.",
                        "%(count)s attempts still open now end at the new close, or at the "
                        "end of their time limit if that comes first.",
                        moved,
                    )
                    % {"count": moved},
                )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Questions added here have no answers yet: their answers are edited on each
        # question's own page, so the quiz page says which still need them.
        questions = form.instance.questions.select_related("lesson").prefetch_related("choices")
        warn_unfinished(self, request, questions)
        warn_short_draw(self, request, form.instance)

    @admin.display(description=gettext_lazy("Attempts"))
    def attempt_summary(self, quiz):
        if not quiz.pk:
            return "—"
        counts = quiz.attempts.aggregate(n=Count("pk"), learners=Count("learner", distinct=True))
        if not counts["n"]:
            return gettext("No attempts yet.")
        attempts = ngettext("%(count)s attempt", "%(count)s attempts", counts["n"]) % {
            "count": counts["n"]
        }
        learners = ngettext("%(count)s learner", "%(count)s learners", counts["learners"]) % {
            "count": counts["learners"]
        }
        return gettext(
            "%(attempts)s by %(learners)s. Their results never change: each attempt keeps the "
            "questions as they were shown. Edits apply to attempts started from now on."
        ) % {"attempts": attempts, "learners": learners}

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/import-gift/",
                self.admin_site.admin_view(self.import_gift_view),
                name="assessments_quiz_import_gift",
            ),
            path(
                "<path:object_id>/export-gift/",
                self.admin_site.admin_view(self.export_gift_view),
                name="assessments_quiz_export_gift",
            ),
            path(
                "<path:object_id>/import-moodle-xml/",
                self.admin_site.admin_view(self.import_moodle_xml_view),
                name="assessments_quiz_import_moodle_xml",
            ),
            path(
                "<path:object_id>/export-moodle-xml/",
                self.admin_site.admin_view(self.export_moodle_xml_view),
                name="assessments_quiz_export_moodle_xml",
            ),
        ]
        return urls + super().get_urls()

    def import_gift_view(self, request, object_id):
        return self._questions_import_view(
            request,
            object_id,
            form=GiftUploadForm,
            title=gettext("Import GIFT"),
            read=lambda quiz, upload: quiz_questions_import(
                quiz, _upload_text(upload), source=upload.name
            ),
            intro=format_html(
                gettext("{syntax} lines link a question to the lesson that answers it."),
                syntax=code("// lesson: <lesson-slug>#passage-<n>"),
            ),
        )

    def import_moodle_xml_view(self, request, object_id):
        return self._questions_import_view(
            request,
            object_id,
            form=MoodleXmlUploadForm,
            title=gettext("Import Moodle XML"),
            read=lambda quiz, upload: quiz_questions_import_moodle_xml(
                quiz, _upload_bytes(upload, limit=MOODLE_XML_MAX_BYTES), source=upload.name
            ),
            intro=gettext(
                "Moodle XML names no lessons: a question matched keeps the lesson it links "
                "to. Images and files embedded in questions are refused, as are question types "
                "Courseware does not have (docs/moodle.md)."
            ),
        )

    def _questions_import_view(self, request, object_id, *, form, title, read, intro):
        quiz = self.get_object(request, unquote(object_id))
        if quiz is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, quiz):
            raise PermissionDenied
        form = form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = read(quiz, upload)
            except CourseFormatError as error:
                form.add_error("file", in_english(located(error)))
            else:
                self.log_change(request, quiz, f"Imported {upload.name}: {report}.")
                self.message_user(
                    request,
                    format_html(
                        gettext("Imported {file}: {questions}; {report}."),
                        file=upload.name,
                        questions=questions_summary(quiz),
                        report=report.summary(),
                    ),
                )
                return redirect("admin:assessments_quiz_change", quiz.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": quiz,
            "title": title,
            "form": form,
            "submit_label": gettext("Import"),
            "intro": [
                format_html(
                    "{} {}",
                    gettext(
                        "The quiz's questions become those of the file: questions are matched "
                        "by title (untitled ones by order), questions not in the file are "
                        "removed."
                    ),
                    intro,
                ),
                gettext(
                    "Learners' past attempts do not change: each keeps the questions as shown. "
                    "A file with an error changes nothing."
                ),
            ],
        }
        return TemplateResponse(request, "admin/upload_form.html", context)

    def export_gift_view(self, request, object_id):
        return self._questions_export_view(
            request, object_id, write=quiz_gift, extension="gift", content_type="text/plain"
        )

    def export_moodle_xml_view(self, request, object_id):
        return self._questions_export_view(
            request,
            object_id,
            write=lambda quiz: course_moodle_xml(
                quiz.course, quizzes=Quiz.objects.filter(pk=quiz.pk)
            ),
            extension="xml",
            content_type="application/xml",
        )

    def _questions_export_view(self, request, object_id, *, write, extension, content_type):
        quiz = self.get_object(request, unquote(object_id))
        if quiz is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        try:
            text = write(quiz)
        except ValueError as error:
            self.message_user(request, in_english(error), messages.ERROR)
            return redirect("admin:assessments_quiz_change", quiz.pk)
        response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
        filename = f"{quiz.course.slug}-{quiz.slug}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def warn_unfinished(model_admin, request, questions) -> None:
    """Say which questions learners could not answer as they stand (no right answer,
    true/false without its True and False answers…).

    Saved either way (a draft question may be unfinished), but said now rather than
    when the course is exported or a learner meets it. GIFT's rules are the test: what
    it cannot hold, learners cannot be graded on."""
    for question in questions:
        try:
            dump_gift([gift_question(question)])
        except ValueError as problem:
            model_admin.message_user(
                request,
                format_html(
                    gettext("Check this question: {problem}"), problem=in_english(problem)
                ),
                messages.WARNING,
            )


# How a shortfall names its groups, whole sentences each so that they translate: what each
# attempt draws, a group by its name, the questions in no group.
DRAW_GROUP_WORDS = {
    Quiz.DrawPer.MODULE: (
        ngettext_lazy(
            "Each attempt draws %(count)s question from each module",
            "Each attempt draws %(count)s questions from each module",
            "count",
        ),
        gettext_lazy("module “%(group)s”"),
        gettext_lazy("the questions with no module"),
    ),
    Quiz.DrawPer.CATEGORY: (
        ngettext_lazy(
            "Each attempt draws %(count)s question from each category",
            "Each attempt draws %(count)s questions from each category",
            "count",
        ),
        gettext_lazy("category “%(group)s”"),
        gettext_lazy("the questions with no category"),
    ),
}


def warn_short_draw(model_admin, request, quiz: Quiz) -> None:
    """Say which modules (or categories) hold fewer questions than the quiz draws from
    each: attempts take all of such a group rather than fail, so the attempt is shorter
    than the instructor may expect."""
    for group, size in draw_shortfalls(quiz=quiz).items():  # none when drawn from the bank
        draws, named_group, no_group = DRAW_GROUP_WORDS[quiz.draw_per]
        named = named_group % {"group": group} if group else no_group
        model_admin.message_user(
            request,
            gettext("%(draws)s, but %(named)s has %(size)s: attempts take all %(size)s of them.")
            % {"draws": draws % {"count": quiz.draw_count}, "named": named, "size": size},
            messages.WARNING,
        )


def offer_regrade(model_admin, request, question: Question) -> None:
    """After a change to a question learners have answered in submitted attempts: they keep
    the key they were graded by, so link to the regrade's dry run, in case the change was a
    fix of the key. Written answers are graded by people and never regraded."""
    if not kind_for(question.kind).graded_automatically:
        return
    answered = Response.objects.filter(question=question, attempt__submitted_at__isnull=False)
    count = answered.count()
    if not count:
        return
    url = reverse(
        QUESTION_REGRADE_PAGE,
        kwargs={"course_slug": question.quiz.course.slug, "question_id": question.pk},
    )
    model_admin.message_user(
        request,
        format_html(
            gettext(
                "Learners answered this question in {attempts}: those attempts keep the key "
                'they were graded by. If you corrected the key, <a href="{url}">see which of '
                "them a regrade would change</a>; nothing changes until you apply it."
            ),
            attempts=ngettext("%(count)s submitted attempt", "%(count)s submitted attempts", count)
            % {"count": count},
            url=url,
        ),
        messages.INFO,
    )


def questions_summary(quiz: Quiz) -> str:
    """The quiz's questions counted by kind: 12 questions (8 single choice, 4 true/false)."""
    kinds = Counter(quiz.questions.values_list("kind", flat=True))
    detail = ", ".join(f"{n} {kind_for(kind).label.lower()}" for kind, n in kinds.most_common())
    total = sum(kinds.values())
    counted = ngettext("%(count)s question", "%(count)s questions", total) % {"count": total}
    return counted + (f" ({detail})" if detail else "")


@admin.register(Question)
class QuestionAdmin(ContentAdmin):
    course_path = "quiz__course"
    form = QuestionForm
    position_within = "quiz"
    list_display = ("__str__", "quiz", "kind", "points", "lesson", "answered")
    list_filter = (
        ("quiz__course", admin.RelatedOnlyFieldListFilter),
        ("quiz", admin.RelatedOnlyFieldListFilter),
        "kind",
    )
    list_select_related = ("quiz", "lesson")
    search_fields = ("title", "text", "idnumber")
    fields = (
        "answered",
        "quiz",
        "position",
        "kind",
        "title",
        "text",
        "text_format",
        "points",
        "explanation",
        "explanation_format",
        "lesson",
        "passage",
        "category",
        "idnumber",
        "tags",
    )
    readonly_fields = ("answered",)
    object_history_template = "admin/assessments/question/object_history.html"

    # --- The editor: the question and its answers as its kind says, with a preview ---

    def editing_kind(self, request, obj=None) -> QuestionKind:
        """The kind whose editor the page shows: the one chosen on the form just posted,
        else the one the address asks for (``?kind=``), else the question's, else the first."""
        for name in (request.POST.get("kind"), request.GET.get("kind"), getattr(obj, "kind", "")):
            if name in KINDS:
                return KINDS[name]
        return KINDS[kind_choices()[0][0]]

    def get_fields(self, request, obj=None):
        kind = self.editing_kind(request, obj)
        position = self.fields.index("explanation_format") + 1
        return (*self.fields[:position], *kind.editor.question_fields, *self.fields[position:])

    def get_inlines(self, request, obj=None):
        kind = self.editing_kind(request, obj)
        if kind.editor.max_answers == 0 and not (obj is not None and obj.choices.exists()):
            return []  # no answers, and none left from another kind to delete
        return [answers_inline(kind)]

    def get_changeform_initial_data(self, request):
        return {
            "kind": self.editing_kind(request).name,
            **super().get_changeform_initial_data(request),
        }

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if KIND_SWITCH in request.POST:
            # The answers as the chosen kind shows them, not the rows posted for another.
            kwargs.pop("data", None)
            kwargs.pop("files", None)
        if (request.method != "POST" or KIND_SWITCH in request.POST) and obj.pk is None:
            kwargs["initial"] = [dict(row) for row in inline.kind.editor.starting_rows]
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        kind = self.editing_kind(request, obj)
        context.update(
            editing_kind=kind,
            kind_switch=KIND_SWITCH,
            preview_url=reverse(
                "admin:assessments_question_preview",
                kwargs={"object_id": obj.pk} if obj is not None and obj.pk else {},
            ),
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        name = "assessments_question_preview"
        return [
            path("preview/", view, name=name),
            path("<path:object_id>/preview/", view, name=name),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id=None):
        """The question being edited as the learner's quiz page shows it, drawn by the
        same template from what the page may know (no key); nothing is saved.

        htmx swaps the fragment in beside the editor; without JavaScript the preview
        button opens it as a page of its own."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = None
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:  # or not one the user teaches: not found, as on its own page
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            if not self.has_view_or_change_permission(request, obj):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(
            request.POST, instance=obj or Question()
        )
        form.is_valid()  # what is valid is shown; the editor says what is not
        question = form.instance
        question.kind = self.editing_kind(request, obj).name
        formsets, _ = self._create_formsets(request, question, change=obj is not None)
        choices, problems = [], []
        for formset in formsets:
            formset.is_valid()
            choices += formset.answers()  # the rows that are valid
            problems += formset.non_form_errors()
            problems += [
                f"{form.fields[name].label}: {error}"
                for form in formset.forms
                for name, errors in form.errors.items()
                if name in form.fields
                for error in errors
            ]
        # Answers not saved yet have no id; the page names them by token either way.
        for number, choice in enumerate(choices, start=1):
            choice.pk = choice.pk or -number
        quiz = question.quiz if question.quiz_id else None
        shown = question_snapshot(
            question,
            rng=Random(),
            shuffle_choices=bool(quiz and quiz.shuffle_choices),
            choices=choices,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Preview: %(question)s")
            % {"question": str(question) or gettext("question")},
            "question": question_fieldset(shown, slot=1, answer=None),
            "attempt": None,
            "problems": problems,
        }
        template = (
            "admin/assessments/question/_preview.html"
            if request.htmx
            else "admin/assessments/question/preview.html"
        )
        return TemplateResponse(request, template, context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answer_count=Count("responses"))

    @admin.display(description=gettext_lazy("Answered"), ordering="answer_count")
    def answered(self, question):
        if not question.pk:
            return "—"
        label = answered_label(question)
        if question.answer_count:
            label += ". " + gettext(
                "Learners' recorded results keep the question as they saw it; "
                "changes apply to attempts started from now on."
            )
        return label

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "quiz":
            field.queryset = field.queryset.select_related("course")
            field.label_from_instance = course_label
        return field

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "lesson" in form.base_fields:
            form.base_fields["lesson"].queryset = Lesson.objects.filter(course=obj.quiz.course_id)
        return form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_unfinished(self, request, [form.instance])
        if change and (form.has_changed() or any(f.has_changed() for f in formsets)):
            offer_regrade(self, request, form.instance)

    def delete_view(self, request, object_id, extra_context=None):
        question = self.get_object(request, unquote(object_id))
        extra = {
            "answered": answered_label(question) if question and question.answer_count else ""
        }
        return super().delete_view(request, object_id, {**extra, **(extra_context or {})})

    def history_view(self, request, object_id, extra_context=None):
        # Answers are edited inline on the question, so their changes are shown here.
        choices = (
            Choice.history.filter(question_id=unquote(object_id))
            .select_related("history_user")
            .order_by("-history_date")[:200]
        )
        return super().history_view(
            request, object_id, {"choice_history": choices, **(extra_context or {})}
        )


def yes_or_no(value: bool | None) -> str:
    """A yes/no field of a learner's record in words of the reader's language: the admin's
    own icons read "True", "False" or "None" aloud, in English whatever the page speaks."""
    return {True: gettext("Yes"), False: gettext("No"), None: gettext("Not graded yet")}[value]


class ResponseInline(PlainTextMixin, admin.TabularInline):
    model = Response
    fields = ("slot", "question", "answer", "score", "correct", "saved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("correct"))
    def correct(self, response):
        return yes_or_no(response.is_correct)


@admin.register(Attempt)
class AttemptAdmin(CourseScopedAdmin):
    """Attempts are learners' records: readable by their course's instructors, never edited."""

    course_path = "quiz__course"
    list_display = ("quiz", "learner", "number", "submitted_at", "percent", "result")
    list_filter = (
        ("quiz__course", admin.RelatedOnlyFieldListFilter),
        ("quiz", admin.RelatedOnlyFieldListFilter),
        "passed",
    )
    list_select_related = ("quiz", "learner")
    search_fields = ("learner__username",)
    inlines = [ResponseInline]
    readonly_fields = ("grade_history",)

    @admin.display(description=gettext_lazy("passed"), ordering="passed")
    def result(self, attempt):
        return yes_or_no(attempt.passed)

    @admin.display(description=gettext_lazy("Changes of grades"))
    def grade_history(self, attempt):
        """Every grade an instructor gave, overrode or a regrade changed, oldest first: the
        history is never edited, here or anywhere (graded from /teach/)."""
        responses = {response.pk: response.slot for response in attempt.responses.all()}
        changes = [
            change
            for by_response in grade_changes_of(list(responses)).values()
            for change in by_response
        ]
        if not changes:
            return gettext("None")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    responses[change.response_id],
                    date_format(timezone.localtime(change.created_at), "SHORT_DATETIME_FORMAT"),
                    change.get_source_display(),
                    change.by or gettext("the system"),
                    gettext("awaiting")
                    if change.score_before is None
                    else local_number(change.score_before),
                    local_number(change.score_after),
                    change.reason,
                    change.feedback,
                )
                for change in sorted(changes, key=lambda change: change.pk)
            ),
        )
        headers = format_html_join(
            "",
            "<th>{}</th>",
            (
                (gettext("Question"),),
                (gettext("When"),),
                (gettext("What"),),
                (gettext("By"),),
                (gettext("Points"),),
                (gettext("Why"),),
                (gettext("Feedback"),),
            ),
        )
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", headers, rows
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class QuizOverrideForm(forms.ModelForm):
    class Meta:
        model = QuizOverride
        fields = ("quiz", "learner", "extra_attempts", "time_limit_minutes", "time_multiplier")
        fields += ("closes_at", "reason")

    def clean(self):
        cleaned = super().clean()
        quiz = cleaned.get("quiz") or getattr(self.instance, "quiz", None)
        if quiz is None:
            return cleaned
        # The rules of the service that saves it, so the form says what it would refuse.
        problems = quiz_override_problems(
            quiz=quiz,
            reason=cleaned.get("reason", ""),
            extra_attempts=cleaned.get("extra_attempts") or 0,
            time_limit_minutes=cleaned.get("time_limit_minutes"),
            time_multiplier=cleaned.get("time_multiplier"),
            closes_at=cleaned.get("closes_at"),
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


@admin.register(QuizOverride)
class QuizOverrideAdmin(CourseScopedAdmin, SimpleHistoryAdmin):
    """A learner's own attempts, time limit and close at a quiz, saved by
    ``quiz_override_grant`` with the instructor as the one who granted it. Never deleted: the
    terms are changed (0 extra attempts, no time limit) and the history keeps what held
    before."""

    form = QuizOverrideForm
    course_path = "quiz__course"
    list_display = (
        "quiz",
        "learner",
        "extra_attempts",
        "time_limit_minutes",
        "time_multiplier",
        "closes_at",
        "granted_by",
        "created_at",
    )
    list_filter = (("quiz__course", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("quiz", "learner", "granted_by")
    search_fields = ("learner__username", "learner__last_name")
    readonly_fields = ("granted_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # Terms change; whose and which quiz's they are does not.
        return (*self.readonly_fields, "quiz", "learner") if obj else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "learner":
            # Learners of the quizzes the instructor teaches: not the whole list of accounts.
            taught = taught_course_ids(request)
            learners = get_user_model().objects.filter(is_active=True)
            if taught is not None:
                learners = learners.filter(attempts__quiz__course__in=taught).distinct()
            kwargs["queryset"] = learners.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = quiz_override_grant(
            quiz=obj.quiz,
            learner=obj.learner,
            granted_by=request.user,
            reason=data["reason"],
            extra_attempts=data.get("extra_attempts") or 0,
            time_limit_minutes=data.get("time_limit_minutes"),
            time_multiplier=data.get("time_multiplier"),
            closes_at=data.get("closes_at"),
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


# --- The course and module pages, with their quizzes ----------------------------------------


def quiz_link(quiz: Quiz | None, *, add: dict) -> str:
    if quiz is not None:
        url = reverse("admin:assessments_quiz_change", args=[quiz.pk])
        return format_html(
            '<a href="{}">{}</a> ({}, {})',
            url,
            quiz,
            ngettext("%(count)s question", "%(count)s questions", quiz.questions.count())
            % {"count": quiz.questions.count()},
            quiz.get_status_display().lower(),
        )
    url = f"{reverse('admin:assessments_quiz_add')}?{urlencode(add)}"
    return format_html(gettext('None yet. <a href="{url}">Add one</a>'), url=url)


class ModuleQuizMixin:
    """The module page's part from assessments: a link to the module's quiz, or to add one.
    Composed into the Module admin in courseware/admin.py."""

    # Not "quiz": that name is the module's own reverse relation, which would win.
    readonly_fields = ("module_quiz",)

    @admin.display(description=gettext_lazy("Quiz"))
    def module_quiz(self, module):
        if not module.pk:
            return "—"
        return quiz_link(
            Quiz.objects.filter(module=module).first(),
            add={
                "course": module.course_id,
                "module": module.pk,
                "kind": Quiz.Kind.MODULE,
                "slug": module.slug,
                "title": gettext("%(module)s quiz") % {"module": module.title},
            },
        )


class CourseZipForm(forms.Form):
    archive = forms.FileField(label=gettext_lazy("Course zip"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["archive"].help_text = format_html(
            gettext(
                "A zip of a course folder ({files}), as “Export as zip” or the {command} "
                "command writes it."
            ),
            files=code("course.yaml, modules/, quizzes/"),
            command=code("export_course"),
        )


class CourseExamAndZipsMixin:
    """The course page's part from assessments: a link to the final exam, importing a
    course zip (``course_zip_import``) and exporting one (the action ``export_zip``). Composed into the Course
    admin in courseware/admin.py."""

    readonly_fields = ("final_exam",)

    @admin.display(description=gettext_lazy("Final exam"))
    def final_exam(self, course):
        if not course.pk:
            return "—"
        return quiz_link(
            course.quizzes.filter(kind=Quiz.Kind.FINAL).first(),
            add={
                "course": course.pk,
                "kind": Quiz.Kind.FINAL,
                "slug": "final-exam",
                "title": gettext("Final exam"),
            },
        )

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="lessons_course_export",
            ),
        ]
        return urls + super().get_urls()

    def course_zip_import(self, request, archive, folder: Path) -> tuple[Course, object, bool]:
        """Import the zip ``archive`` (unpacked into ``folder``) as ``request.user``: a new
        course is theirs; a course that exists must be one they teach. CourseFormatError,
        and nothing written, otherwise. The upload itself, with its plan first, is
        progress's part of the page (``CourseZipImportMixin``)."""
        root = course_zip_extract(archive, folder)
        with transaction.atomic():
            course, report = course_import(root)
            created = bool(report.counts["courses", "created"])
            if created and not request.user.is_superuser:
                course.instructors.add(request.user)
                taught_course_ids(request).add(course.pk)
            elif not self.has_change_permission(request, course):
                # Raised inside the transaction: the import is rolled back.
                raise CourseFormatError(
                    f"the course '{course.slug}' exists and you do not teach it",
                    path=root / COURSE_FILE,
                )
        return course, report, created

    def export_view(self, request, object_id):
        course = self.get_object(request, unquote(object_id))
        if course is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return self.export_zip(request, Course.objects.filter(pk=course.pk))

    @admin.action(
        description=gettext_lazy("Export question banks as Moodle XML"), permissions=["view"]
    )
    def export_moodle_xml(self, request, queryset):
        courses = list(queryset)
        if len(courses) != 1:
            self.message_user(
                request,
                gettext("Choose one course: a Moodle XML file holds one course's bank."),
                messages.WARNING,
            )
            return redirect(request.get_full_path())
        try:
            text = course_moodle_xml(courses[0])
        except ValueError as error:
            self.message_user(request, cannot_export(error), messages.ERROR)
            return redirect(request.get_full_path())
        response = HttpResponse(text, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{courses[0].slug}-questions.xml"'
        return response

    @admin.action(description=gettext_lazy("Export selected courses as zip"), permissions=["view"])
    def export_zip(self, request, queryset):
        courses = list(queryset)
        try:
            data = courses_zip(courses=courses)
        except ValueError as error:
            self.message_user(request, cannot_export(error), messages.ERROR)
            return redirect(request.get_full_path())
        name = courses[0].slug if len(courses) == 1 else "courses"
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
        return response


# --- Course zips and uploaded files ---------------------------------------------------------


def cannot_export(error: ValueError) -> str:
    """An export refused: what GIFT, Moodle XML or a course folder cannot hold, in English."""
    return format_html(gettext("Cannot export: {problem}"), problem=in_english(error))


def _upload_bytes(upload, *, limit: int) -> bytes:
    if upload.size > limit:  # before reading it into memory
        raise CourseFormatError(f"larger than {limit // 2**20} MB", path=upload.name)
    return upload.read()


def _upload_text(upload) -> str:
    refuse_too_big(upload.size, path=upload.name)  # before reading it into memory
    return decode_text(upload.read(), path=upload.name)
