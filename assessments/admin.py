from django.contrib import admin

from assessments.models import Attempt, Choice, Question, Quiz, Response


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "kind", "title", "points", "lesson", "passage")
    extra = 0
    show_change_link = True


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ("position", "text", "weight", "match_text", "numeric_value", "tolerance", "feedback")
    extra = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "kind", "module", "pass_mark", "max_attempts", "status")
    list_filter = ("course", "kind", "status")
    list_select_related = ("course", "module")
    search_fields = ("title",)
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quiz", "kind", "points", "lesson")
    list_filter = ("quiz__course", "quiz", "kind")
    list_select_related = ("quiz", "lesson")
    search_fields = ("title", "text")
    raw_id_fields = ("lesson",)
    inlines = [ChoiceInline]


class ResponseInline(admin.TabularInline):
    model = Response
    fields = ("slot", "question", "answer", "score", "is_correct", "saved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Attempts are learners' records: readable, never editable."""

    list_display = ("quiz", "learner", "number", "submitted_at", "percent", "passed")
    list_filter = ("quiz__course", "quiz", "passed")
    list_select_related = ("quiz", "learner")
    search_fields = ("learner__username",)
    inlines = [ResponseInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
