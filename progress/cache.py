"""Versions the cached course outlines and learner records are keyed on.

A course's *content version* changes on every save or delete of the course or
of anything in it (module, lesson, quiz, question, choice), and the *courses
version* on every save or delete of any course (its title, address, status); a
learner's *learner version* on every save or delete of their enrolments, lesson
completions, attempts and quiz overrides, and whenever their last activity in a
course is written. Cached entries carry the versions in their keys, so
an edit is seen at once by every process sharing the cache (Redis in
production) and old entries simply expire.

Versions are random tokens, not counters: a version evicted from the cache
comes back as a new token, never as one an old entry was stored under. They
change as soon as the row is saved and again once the transaction commits:
a request that read the old rows in between must not keep them under the new
version. The signals below change them on every save; the admin's actions,
the course import and the services all save through the ORM, and writing with
``QuerySet.update()`` bypasses them: the one service that does so, writing a
learner's last activity (``progress.services._touch``), moves the learner's
version itself.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from assessments.models import Attempt, Choice, Question, Quiz, QuizOverride
from lessons.models import Course, Lesson, Module
from progress.models import Enrollment, LessonCompletion

# Entries keyed on versions are never wrong, only unused once a version moves on.
TIMEOUT = 24 * 3600


def content_version_key(course_id: int) -> str:
    return f"course-content-version:{course_id}"


def learner_version_key(learner_id: int) -> str:
    return f"learner-version:{learner_id}"


COURSES_VERSION_KEY = "courses-version"


def versions(*keys: str) -> list[str]:
    """The current token of each version key, making one up for any the cache lacks."""
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    if missing:
        cache.set_many(missing, TIMEOUT)
    return [found.get(key) or missing[key] for key in keys]


def version_bump(key: str) -> None:
    def bump():
        cache.set(key, uuid.uuid4().hex, TIMEOUT)

    bump()
    transaction.on_commit(bump)


def _course_id(instance) -> int | None:
    """The course a piece of content belongs to (None if it is gone, e.g. in a cascade)."""
    try:
        if isinstance(instance, Course):
            return instance.pk
        if isinstance(instance, Module | Lesson | Quiz):
            return instance.course_id
        if isinstance(instance, Question):
            return instance.quiz.course_id
        return instance.question.quiz.course_id
    except (Quiz.DoesNotExist, Question.DoesNotExist):
        return None


def content_changed(sender, instance, **kwargs) -> None:
    course_id = _course_id(instance)
    if course_id is not None:
        version_bump(content_version_key(course_id))
    if isinstance(instance, Course):
        version_bump(COURSES_VERSION_KEY)


def learner_changed(sender, instance, **kwargs) -> None:
    version_bump(learner_version_key(instance.learner_id))


for signal in (post_save, post_delete):
    for model in (Course, Module, Lesson, Quiz, Question, Choice):
        signal.connect(content_changed, sender=model)
    for model in (Enrollment, LessonCompletion, Attempt, QuizOverride):
        signal.connect(learner_changed, sender=model)


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[CheckMessage]:
    """Versions live in the cache: an in-process cache keeps each worker process's own, so
    an edit made through one worker would not show on pages served by the others."""
    if settings.CACHES["default"]["BACKEND"].endswith(".LocMemCache"):
        return [
            Warning(
                "The cache is in-process: with more than one worker, learner pages may show "
                "course content and progress as they were before an edit.",
                hint="Set REDIS_URL so that every worker shares one cache.",
                id="progress.W001",
            )
        ]
    return []
