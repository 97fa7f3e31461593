from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from lessons.markdown import render_markdown
from lessons.urls import COURSE_PAGE, LESSON_PAGE
from lessons.validators import validate_language_tag


class Status(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    PUBLISHED = "published", gettext_lazy("Published")
    # Content that learners have history with is archived instead of deleted:
    # hidden from the course, kept for the records that point at it.
    ARCHIVED = "archived", gettext_lazy("Archived")


STATUS_IS_VALID = Q(status__in=Status.values)


class Previews(models.TextChoices):
    """Which lessons of a course visitors may read before enrolling (``previews`` in
    course.yaml, the same words)."""

    FIRST = "first", gettext_lazy("The first lesson, and the lessons marked as open previews")
    MARKED = "marked", gettext_lazy("Only the lessons marked as open previews")


class ContentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


class CourseQuerySet(ContentQuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Course(models.Model):
    slug = models.SlugField(max_length=100, unique=True, verbose_name=gettext_lazy("slug"))
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    summary = models.TextField(blank=True, verbose_name=gettext_lazy("summary"))
    notice = models.TextField(
        blank=True,
        help_text=gettext_lazy("Shown on every page of the course."),
        verbose_name=gettext_lazy("notice"),
    )
    sequential = models.BooleanField(
        default=False,
        help_text=gettext_lazy("A module opens only when the module before it is complete."),
        verbose_name=gettext_lazy("sequential"),
    )
    # The language of the course's own text, whatever the interface around it speaks: the
    # pages mark the content with it, so that screen readers read it right. The database
    # default serves rows written by code that predates the column (a migration's own).
    language = models.CharField(
        max_length=16,
        default="en",
        db_default="en",
        validators=[validate_language_tag],
        help_text=gettext_lazy(
            "The language the course is written in, as a language tag (en, fr, de…)."
        ),
        verbose_name=gettext_lazy("language"),
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        verbose_name=gettext_lazy("status"),
    )
    previews = models.CharField(
        gettext_lazy("open previews"),
        max_length=10,
        choices=Previews.choices,
        default=Previews.FIRST,
        # In the database too: a server still running the code before this column (a
        # rolling upgrade of several app servers) adds courses without naming it.
        db_default=Previews.FIRST,
        help_text=gettext_lazy("The lessons visitors may read before enrolling."),
    )
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="courses_taught",
        verbose_name=gettext_lazy("instructors"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = CourseQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("course")
        verbose_name_plural = gettext_lazy("courses")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=STATUS_IS_VALID, name="course_status_valid"),
            models.CheckConstraint(
                condition=Q(previews__in=Previews.values), name="course_previews_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(COURSE_PAGE, kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class ModuleQuerySet(ContentQuerySet):
    def get_by_natural_key(self, course_slug, slug):
        return self.get(course__slug=course_slug, slug=slug)


class Module(models.Model):
    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="modules",
        verbose_name=gettext_lazy("course"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("position"))
    slug = models.SlugField(max_length=100, verbose_name=gettext_lazy("slug"))
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    objectives = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("Learning objectives, one sentence each."),
        verbose_name=gettext_lazy("objectives"),
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        verbose_name=gettext_lazy("status"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = ModuleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = gettext_lazy("module")
        verbose_name_plural = gettext_lazy("modules")
        ordering = ["course", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="module_slug_unique_in_course"
            ),
            models.CheckConstraint(condition=STATUS_IS_VALID, name="module_status_valid"),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (*self.course.natural_key(), self.slug)

    natural_key.dependencies = ["lessons.course"]


class LessonQuerySet(ContentQuerySet):
    def get_by_natural_key(self, course_slug, slug):
        return self.get(course__slug=course_slug, slug=slug)

    def visible(self):
        """Lessons a learner can see: published, in a published module."""
        return self.filter(status=Status.PUBLISHED, module__status=Status.PUBLISHED)


class Lesson(models.Model):
    module = models.ForeignKey(
        Module,
        on_delete=models.PROTECT,
        related_name="lessons",
        verbose_name=gettext_lazy("module"),
    )
    # Denormalised from module so slugs are unique per course (lesson URLs and
    # quiz references name a lesson by course and slug alone).
    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="lessons",
        verbose_name=gettext_lazy("course"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("position"))
    slug = models.SlugField(max_length=100, verbose_name=gettext_lazy("slug"))
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    body = models.TextField(
        blank=True, help_text=gettext_lazy("Markdown."), verbose_name=gettext_lazy("body")
    )
    body_html = models.TextField(
        blank=True, editable=False, verbose_name=gettext_lazy("body html")
    )
    word_count = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=gettext_lazy("word count")
    )
    reading_minutes = models.PositiveIntegerField(
        default=1, editable=False, verbose_name=gettext_lazy("reading minutes")
    )
    passage_count = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=gettext_lazy("passage count")
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        verbose_name=gettext_lazy("status"),
    )
    is_preview = models.BooleanField(
        gettext_lazy("open preview"),
        default=False,
        help_text=gettext_lazy(
            "Visitors may read it before enrolling. So may they the course's first lesson, "
            "unless the course opens only the lessons marked."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = LessonQuerySet.as_manager()
    # body_html is derived from body: no need to keep every rendering.
    history = HistoricalRecords(excluded_fields=["body_html"])

    class Meta:
        verbose_name = gettext_lazy("lesson")
        verbose_name_plural = gettext_lazy("lessons")
        ordering = ["course", "module__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="lesson_slug_unique_in_course"
            ),
            models.CheckConstraint(condition=STATUS_IS_VALID, name="lesson_status_valid"),
        ]
        indexes = [models.Index(fields=["module", "position"], name="lesson_module_position")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.course_id = self.module.course_id
        rendered = render_markdown(self.body, course_id=self.course_id)
        self.body_html = rendered.html
        self.word_count = rendered.word_count
        self.reading_minutes = rendered.reading_minutes
        self.passage_count = rendered.passage_count
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {
                *update_fields,
                "body_html",
                "word_count",
                "reading_minutes",
                "passage_count",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(LESSON_PAGE, kwargs={"course_slug": self.course.slug, "slug": self.slug})

    def natural_key(self):
        return (*self.course.natural_key(), self.slug)

    natural_key.dependencies = ["lessons.course", "lessons.module"]
