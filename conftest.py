"""Fixtures shared by every app's tests. Factories live in tests/factories.py."""

import os
import random
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings

from tests.factories import UserFactory, make_instructor, right_answer, wrong_answer

# In CI the property-based tests draw the same examples on every run: a red build is the
# code's doing, never the luck of the draw. Locally they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _cheap_password_hashing(settings):
    """Hash test accounts' passwords with a fast hasher, as Django's testing docs advise: the
    production hasher costs a quarter of a second per account. PBKDF2 stays available for
    accounts that a server started in another process must log in."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rolled-back rows reuse ids (SQLite), and a
    course or learner cached by an earlier test must not stand in for a new one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def now():
    """A fixed moment; services take ``now=`` so tests move time without sleeping."""
    return datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def rng():
    return random.Random(20250303)


@pytest.fixture
def learner(db):
    return UserFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def answer_all(db):
    """Save an answer to every question of an open attempt: right, wrong, or by slot."""
    from assessments.services import response_save

    def answer(attempt, *, now, right=True):
        for response in attempt.responses.order_by("slot"):
            correct = right(response.slot) if callable(right) else right
            chosen = right_answer(response.shown) if correct else wrong_answer(response.shown)
            response_save(attempt=attempt, slot=response.slot, answer=chosen, now=now)

    return answer


@pytest.fixture
def take_quiz(answer_all):
    """Take a quiz through the progress services, as a learner would: start, answer, submit."""
    from progress.services import quiz_attempt_start, quiz_attempt_submit

    def take(learner, quiz, *, now, right=True):
        attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
        answer_all(attempt, now=now, right=right)
        return quiz_attempt_submit(attempt=attempt, now=now)

    return take


@pytest.fixture
def complete_module(take_quiz):
    """Read every visible lesson of a module and pass its quiz, through the services."""
    from lessons.models import Lesson
    from progress.services import lesson_complete

    def complete(learner, module, *, now, quiz=True):
        for lesson in Lesson.objects.visible().filter(module=module):
            lesson_complete(learner=learner, lesson=lesson, now=now)
        if quiz and hasattr(module, "quiz"):
            take_quiz(learner, module.quiz, now=now)

    return complete


# Admin and instructor tests: two instructors and a superuser.
@pytest.fixture
def ines(db):
    return make_instructor("ines")


@pytest.fixture
def otto(db):
    return make_instructor("otto")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)
