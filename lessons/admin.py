from django.contrib import admin

from lessons.models import Course, Lesson, Module


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ("position", "title", "slug", "status")
    extra = 0
    show_change_link = True


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("position", "title", "slug", "status", "word_count")
    readonly_fields = ("word_count",)
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "status", "sequential", "updated_at")
    list_filter = ("status", "sequential")
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("instructors",)
    inlines = [ModuleInline]


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "position", "status")
    list_filter = ("course", "status")
    search_fields = ("title", "slug")
    list_select_related = ("course",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "course", "position", "status", "word_count")
    list_filter = ("course", "status")
    search_fields = ("title", "slug", "body")
    list_select_related = ("module", "course")
    prepopulated_fields = {"slug": ("title",)}
    exclude = ("course",)  # follows the module
    readonly_fields = ("word_count", "reading_minutes", "passage_count")
