"""factory_boy factories for the whole project, and helpers that build questions of each kind.

Content factories make published content by default: that is what learners
see. Pass ``status=Status.DRAFT`` for the rest.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from importlib import import_module

import factory
from django.apps import apps
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.db import connection, transaction
from django.test import override_settings

from assessments.grading import answer_to_public
from assessments.kinds import kind_for
from assessments.models import Choice, Question, Quiz
from lessons.models import Course, Lesson, Module, Status

# The tests' fixed moment (the ``now`` fixture): services take ``now=`` so tests move time
# without sleeping.
NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# Test accounts' passwords are hashed with a fast hasher, as Django's testing docs advise: the
# production hasher costs a quarter of a second per account. PBKDF2 stays available for
# accounts that a server started in another process must log in.
CHEAP_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# The backend a signed-in test session names: the first of AUTHENTICATION_BACKENDS that can
# read a user back (django-axes' backend, first, only refuses locked-out logins).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def row_counts() -> dict[str, int]:
    """How many rows each table holds, read in one query: "writes nothing" compared before
    and after, wherever the write could land (a count per model took most of the access
    matrix's time)."""
    tables = sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


@contextmanager
def built_once(django_db_blocker) -> Iterator[None]:
    """For a module-scoped fixture that builds what many tests only read: the database open
    (as for a test), cheap password hashing, and one transaction, rolled back when the
    fixture ends. Each test then runs in a savepoint of that transaction and meets the data
    as built, whatever the tests before it wrote."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=CHEAP_PASSWORD_HASHERS),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"learner{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


def make_instructor(username: str):
    """A staff user in the Instructors group (teaching nothing until added to a course)."""
    from courseware.roles import instructors_group

    user = UserFactory(username=username, is_staff=True)
    user.groups.add(instructors_group())
    return user


def logged_in_session(user, *, key: str | None = None, backend: str = MODEL_BACKEND):
    """A saved session signed in as ``user``, as login() leaves one, written without login().

    What login() does besides (its signal: django-axes' lockout bookkeeping, last_login;
    a new session key; a new CSRF token) is for tests of logging in, which go through the
    login page. Written directly, signing a test client in costs a query or two instead of
    about ten (9 ms a time; the access matrix alone signs in 3,710 times). The session
    ``key`` names is kept, with its data, unless it holds another user's; login() keeps the
    data but moves it to a new key, which only a test of logging in needs to see.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    session = store(key)
    if session.get(SESSION_KEY, str(user.pk)) != str(user.pk):
        session = store()  # login() starts afresh when another user was signed in
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A short course."
    status = Status.PUBLISHED
    sequential = False


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    slug = factory.Sequence(lambda n: f"module-{n}")
    title = factory.Sequence(lambda n: f"Module {n}")
    objectives = ["Explain the topic."]
    status = Status.PUBLISHED


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.SelfAttribute("module.course")
    position = factory.Sequence(lambda n: n + 1)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "First passage.\n\nSecond passage."
    status = Status.PUBLISHED


class QuizFactory(factory.django.DjangoModelFactory):
    """A module quiz; ``QuizFactory(final=True, course=…)`` makes the final exam."""

    class Meta:
        model = Quiz

    class Params:
        final = factory.Trait(kind=Quiz.Kind.FINAL, module=None, title="Final exam")

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda quiz: quiz.module.course if quiz.module else None)
    kind = Quiz.Kind.MODULE
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    pass_mark = 70
    status = Status.PUBLISHED


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = Question.Kind.SINGLE
    title = factory.Sequence(lambda n: f"Question {n}")
    text = "Which one is right?"
    points = Decimal(1)
    explanation = "Because the lesson says so."


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Choice {n}")
    weight = Decimal(0)


# --- Questions of each kind --------------------------------------------------
# Weights are percents of the question's points, as in GIFT/Moodle.


def _question(kind: str, quiz: Quiz | None, **fields) -> Question:
    if quiz is not None:
        fields["quiz"] = quiz
    return QuestionFactory(kind=kind, **fields)


def single_question(
    *, quiz: Quiz | None = None, choices=(("Right", 100), ("Wrong", 0)), **fields
) -> Question:
    """``choices``: (text, weight) or (text, weight, feedback)."""
    question = _question(Question.Kind.SINGLE, quiz, **fields)
    for position, (text, weight, *feedback) in enumerate(choices, start=1):
        ChoiceFactory(
            question=question,
            position=position,
            text=text,
            weight=Decimal(weight),
            feedback=feedback[0] if feedback else "",
        )
    return question


def multiple_question(
    *,
    quiz: Quiz | None = None,
    choices=(("Right A", 50), ("Right B", 50), ("Wrong C", -100)),
    **fields,
) -> Question:
    question = _question(Question.Kind.MULTIPLE, quiz, **fields)
    for position, (text, weight, *feedback) in enumerate(choices, start=1):
        ChoiceFactory(
            question=question,
            position=position,
            text=text,
            weight=Decimal(weight),
            feedback=feedback[0] if feedback else "",
        )
    return question


def true_false_question(*, quiz: Quiz | None = None, answer: bool = True, **fields) -> Question:
    question = _question(Question.Kind.TRUE_FALSE, quiz, **fields)
    ChoiceFactory(question=question, position=1, text="True", weight=Decimal(100 if answer else 0))
    ChoiceFactory(
        question=question, position=2, text="False", weight=Decimal(0 if answer else 100)
    )
    return question


def short_question(
    *, quiz: Quiz | None = None, answers=(("Helsinki", 100),), **fields
) -> Question:
    """``answers``: accepted texts with their weight."""
    question = _question(Question.Kind.SHORT, quiz, **fields)
    for position, (text, weight, *feedback) in enumerate(answers, start=1):
        ChoiceFactory(
            question=question,
            position=position,
            text=text,
            weight=Decimal(weight),
            feedback=feedback[0] if feedback else "",
        )
    return question


def numerical_question(
    *, quiz: Quiz | None = None, answers=(("3.14", "0.01", 100),), **fields
) -> Question:
    """``answers``: (value, tolerance, weight)."""
    question = _question(Question.Kind.NUMERICAL, quiz, **fields)
    for position, (value, tolerance, weight, *feedback) in enumerate(answers, start=1):
        ChoiceFactory(
            question=question,
            position=position,
            text=str(value),
            numeric_value=Decimal(value),
            tolerance=Decimal(tolerance),
            weight=Decimal(weight),
            feedback=feedback[0] if feedback else "",
        )
    return question


def matching_question(
    *,
    quiz: Quiz | None = None,
    pairs=(("Helsinki", "Finland"), ("Tallinn", "Estonia"), ("Riga", "Latvia")),
    distractors=(),
    **fields,
) -> Question:
    """``pairs``: (left, right); ``distractors``: right sides that match nothing."""
    question = _question(Question.Kind.MATCHING, quiz, **fields)
    position = 0
    for position, (left, right) in enumerate(pairs, start=1):
        ChoiceFactory(question=question, position=position, text=left, match_text=right)
    for offset, right in enumerate(distractors, start=1):
        ChoiceFactory(question=question, position=position + offset, text="", match_text=right)
    return question


def essay_question(*, quiz: Quiz | None = None, **fields) -> Question:
    return _question(Question.Kind.ESSAY, quiz, **fields)


# --- Answers read from a snapshot --------------------------------------------


def right_answer(shown: dict):
    """The answer that earns full marks, read from the snapshot as a test would cheat."""
    return kind_for(shown).right_answer(shown)


def wrong_answer(shown: dict):
    """An answer that scores nothing."""
    return kind_for(shown).wrong_answer(shown)


def answer_fields(shown: dict, slot: int, answer) -> dict:
    """The POST fields a browser sends for ``answer`` (as stored: choice ids, right side texts)
    to question ``slot``: options named by their tokens, as the attempt page names them."""
    return kind_for(shown).fields_posted(slot, answer_to_public(shown, answer))


# --- A learner's way through a course, through the services -----------------


def answer_all(attempt, *, now, right=True) -> None:
    """Save an answer to every question of an open attempt: right, wrong, or by slot
    (``right`` a function of the slot)."""
    from assessments.services import response_save

    for response in attempt.responses.order_by("slot"):
        correct = right(response.slot) if callable(right) else right
        chosen = right_answer(response.shown) if correct else wrong_answer(response.shown)
        response_save(attempt=attempt, slot=response.slot, answer=chosen, now=now)


def take_quiz(learner, quiz, *, now, right=True):
    """Take a quiz as a learner would: start, answer, submit. Returns the submitted attempt."""
    from progress.services import quiz_attempt_start, quiz_attempt_submit

    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    answer_all(attempt, now=now, right=right)
    return quiz_attempt_submit(attempt=attempt, now=now)


def complete_module(learner, module, *, now, quiz=True) -> None:
    """Read every visible lesson of a module and pass its quiz."""
    from lessons.models import Lesson
    from progress.services import lesson_complete

    for lesson in Lesson.objects.visible().filter(module=module):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    if quiz and hasattr(module, "quiz"):
        take_quiz(learner, module.quiz, now=now)


# --- Whole courses -----------------------------------------------------------


def course_with_modules(
    *,
    modules: int = 2,
    lessons: int = 2,
    module_quizzes: bool = True,
    final_exam: bool = True,
    sequential: bool = False,
    **course_fields,
) -> Course:
    """A published course: ``modules`` modules of ``lessons`` lessons, a one-question
    quiz per module and a two-question final exam."""
    course = CourseFactory(sequential=sequential, **course_fields)
    for m in range(1, modules + 1):
        module = ModuleFactory(course=course, position=m, title=f"Module {m}")
        for n in range(1, lessons + 1):
            LessonFactory(module=module, position=n, title=f"Lesson {m}.{n}")
        if module_quizzes:
            quiz = QuizFactory(module=module, title=f"Quiz {m}")
            single_question(quiz=quiz)
    if final_exam:
        exam = QuizFactory(final=True, course=course)
        single_question(quiz=exam)
        true_false_question(quiz=exam, answer=False)
    return course
