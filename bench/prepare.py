"""What the scenarios need in the database: logged-in learners, an instructor, open attempts,
written answers awaiting a grade.

Sessions are written straight into the session store the server reads, so no
password is hashed or posted. The scenarios that change data use the load
learners who never started the course: their attempts are made afresh on
every run, so each run submits the same kind of attempt.
"""

import random
import secrets
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from assessments.forms import answer_as_posted
from assessments.models import Attempt, Choice, Question, Quiz
from bench.loaddata import load_learners_create, open_attempts_create
from courseware.roles import instructors_group
from lessons.models import Course, Status
from progress.models import Certificate, Enrollment
from progress.selectors import course_progress_for_learner, lesson_is_open, quiz_is_open
from progress.services import (
    enrollment_create,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_response_save,
)

INSTRUCTOR = "bench-instructor"
WRITTEN_COURSE = "bench-written-answers"
# The exam-day learners: apart from the load learners, so the cohort the other scenarios read
# stays as seeded.
EXAM_PREFIX = "exam-"


@dataclass(frozen=True)
class Browser:
    """A logged-in visitor as a load generator sends it: cookies and a CSRF token."""

    cookie: str
    csrf: str


def browser_for(user) -> Browser:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    csrf = secrets.token_hex(16)  # an unmasked secret, which Django accepts as a token
    store[SESSION_KEY] = str(user.pk)
    # What login() records: the backend that checked the password (the lock-out backend
    # before it only refuses, it never logs anyone in).
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["_csrftoken"] = csrf  # where it is looked for with CSRF_USE_SESSIONS
    store.set_expiry(6 * 3600)  # long enough for a run; they pile up otherwise
    store.create()
    return Browser(
        cookie=f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}",
        csrf=csrf,
    )


def readers(course: Course, count: int, *, prefix: str = "load-") -> list[tuple]:
    """``count`` load learners spread over the cohort, each with a lesson open to them."""
    User = get_user_model()
    learners = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    step = max(len(learners) // count, 1)
    rng = random.Random(0)
    chosen = []
    for learner in learners[::step][:count]:
        progress = course_progress_for_learner(learner=learner, course=course)
        lessons = [
            item.lesson
            for module in progress.modules
            for item in module.lessons
            if lesson_is_open(progress, item.lesson)
        ]
        chosen.append((learner, browser_for(learner), rng.choice(lessons)))
    return chosen


def writers(course: Course, quiz: Quiz, *, prefix: str = "load-") -> list[tuple[Browser, Attempt]]:
    """The load learners who never started (about 10%), each with an open attempt at ``quiz``
    made afresh, every question answered: for saving answers and submitting attempts."""
    learners = list(
        get_user_model()
        .objects.filter(username__startswith=prefix, enrollments__course=course)
        .exclude(lesson_completions__isnull=False)
        .order_by("username")
    )
    # Their only attempts are the previous run's: this puts them back as seeded.
    Attempt.objects.filter(learner__in=learners, quiz=quiz).delete()
    attempts = open_attempts_create(
        course=course, quiz=quiz, learners=learners, seed=0, now=timezone.now()
    )
    return [(browser_for(a.learner), a) for a in attempts]


def exam_takers(course: Course, exam: Quiz, count: int) -> list[tuple]:
    """``count`` learners, each logged in, who have done every module and never sat ``exam``
    (the final exam): for the exam-day scenario.

    They are seeded the first time, half as many again since some stop at a module quiz they
    run out of attempts at. Each run puts them back as seeded: their exam attempts and the
    certificates those earned are removed (one by one, so their cached progress follows).
    """
    User = get_user_model()
    wanted = count + count // 2
    if User.objects.filter(username__startswith=EXAM_PREFIX).count() < wanted:
        load_learners_create(
            course=course, learners=wanted, prefix=EXAM_PREFIX, anchor=timezone.now(),
            before_final_exam=True,
        )  # fmt: skip
    learners = list(User.objects.filter(username__startswith=EXAM_PREFIX).order_by("username"))
    Attempt.objects.filter(learner__in=learners, quiz=exam).delete()
    Certificate.objects.filter(learner__in=learners, course=course).delete()
    completed = Enrollment.objects.filter(learner__in=learners, course=course)
    for enrollment in completed.exclude(completed_at=None):
        enrollment.completed_at = None
        enrollment.save(update_fields=["completed_at"])
    ready = [
        learner
        for learner in learners
        if quiz_is_open(course_progress_for_learner(learner=learner, course=course), exam)
    ][:count]
    if len(ready) < count:
        raise ValueError(f"only {len(ready)} of {len(learners)} exam learners may sit the exam")
    return [(learner, browser_for(learner)) for learner in ready]


def instructor(course: Course):
    user, _ = get_user_model().objects.get_or_create(
        username=INSTRUCTOR, defaults={"is_staff": True, "password": make_password(None)}
    )
    user.groups.add(instructors_group())
    course.instructors.add(user)
    return user


def submit_body(attempt: Attempt) -> str:
    fields = [pair for r in attempt.rows for pair in answer_as_posted(r.shown, r.slot, r.answer)]
    return urlencode([*fields, ("confirm", "1")])


def save_body(shown: dict, slot: int, answer) -> str:
    return urlencode(answer_as_posted(shown, slot, answer))


def grading_backlog(count: int, *, prefix: str = "load-") -> Course:
    """A course whose exam asks for an essay, taken by ``count`` load learners through the
    quiz services (enrol, start, save, submit): ``count`` written answers await a grade in
    its queue, among the 10,000 learners' attempts. Made once; later runs add only the
    learners missing (some 40 ms each)."""
    course, _ = Course.objects.get_or_create(
        slug=WRITTEN_COURSE,
        defaults={
            "title": "Written answers (benchmark)",
            "summary": "An exam with an essay, for the grading queue's benchmark.",
            "status": Status.PUBLISHED,
        },
    )
    exam, created = Quiz.objects.get_or_create(
        course=course,
        kind=Quiz.Kind.FINAL,
        defaults={"slug": "written-exam", "title": "Written exam", "pass_mark": 60},
    )
    if created:
        choice = Question.objects.create(
            quiz=exam, position=1, kind="single", text="Who heads a defence section?", points=2
        )
        Choice.objects.create(question=choice, position=1, text="The attaché", weight=100)
        Choice.objects.create(question=choice, position=2, text="The consul", weight=0)
        Question.objects.create(
            quiz=exam,
            position=2,
            kind="essay",
            points=5,
            text="How do defence attachés build trust between two armed forces? "
            "Give two examples from the course.",
        )
    learners = (
        get_user_model()
        .objects.filter(username__startswith=prefix)
        .exclude(enrollments__course=course)
        .order_by("username")[: max(count - course.enrollments.count(), 0)]
    )
    essay = (
        "Attachés meet their hosts' officers often, explain their own forces' intentions "
        "and arrange visits and joint exercises, so that each side reads the other right. "
    ) * 4
    for learner in learners:
        enrollment_create(learner=learner, course=course)
        attempt = quiz_attempt_start(learner=learner, quiz=exam)
        for response in attempt.responses.all():
            answer = (
                essay if response.shown["kind"] == "essay" else response.shown["choices"][0]["id"]
            )
            quiz_response_save(
                attempt=attempt, slot=response.slot, answer=answer, response=response
            )
        quiz_attempt_submit(attempt=attempt)
    instructor(course)
    return course
