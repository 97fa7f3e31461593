import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from lessons.models import Course, Lesson

# Unambiguous alphabet (no 0/O, 1/I/L) so a code read off paper can be typed back.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_certificate_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Enrollment(models.Model):
    # PROTECT: an account with records is deactivated, never deleted (courseware/admin.py).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("enrollment")
        verbose_name_plural = gettext_lazy("enrollments")
        ordering = ["course", "enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course"], name="one_enrollment_per_course"
            ),
        ]
        indexes = [models.Index(fields=["course", "learner"], name="enrollment_course_learner")]

    def __str__(self):
        return f"{self.learner} in {self.course}"


class LessonCompletion(models.Model):
    # PROTECT: an account with records is deactivated, never deleted (courseware/admin.py).
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("lesson completion")
        verbose_name_plural = gettext_lazy("lesson completions")
        ordering = ["completed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"], name="one_completion_per_lesson"
            ),
        ]
        indexes = [models.Index(fields=["lesson", "learner"], name="completion_lesson_learner")]

    def __str__(self):
        return f"{self.learner} completed {self.lesson}"


class Certificate(models.Model):
    """Proof of completion. Names are copied at issue so the certificate never changes."""

    code = models.CharField(max_length=19, unique=True, default=new_certificate_code)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificates",
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    learner_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=200)
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = gettext_lazy("certificate")
        verbose_name_plural = gettext_lazy("certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course"],
                condition=Q(learner__isnull=False),
                name="one_certificate_per_course",
            ),
        ]

    def __str__(self):
        return f"{self.course_title} — {self.learner_name} ({self.code})"

    def get_absolute_url(self):
        return reverse("certificate_verify", kwargs={"code": self.code})
