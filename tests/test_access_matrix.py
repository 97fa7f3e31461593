"""Who reaches what: every URL of the project, for every role, by GET and by POST.

The tables below are the access rules in one place. Every URL the resolver knows
must have a row (the admin's per-model pages are covered as a group, one row per
kind of model and page), so a new URL cannot be added without saying who may open it.

Someone else's attempt answers 404, not 403, so its existence is not given away;
the same for the admin's objects of a course the instructor does not teach (the
admin's own "not found" redirect, ``index``). A certificate's verification page and
its PDF are public by code: the code is the secret its holder shares.
"""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments.models import Quiz
from assessments.services import quiz_override_grant
from courseware.roles import INSTRUCTORS
from lessons.models import Course, Status
from lti.models import GradedLearner, PendingScore, Platform, PlatformAccount, ResourceLink
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.services import enrollment_create, quiz_attempt_start
from tests.factories import (
    NOW,
    LessonFactory,
    UserFactory,
    built_once,
    complete_module,
    course_with_modules,
    make_instructor,
    row_counts,
)
from xapi.models import OutboxStatement

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "owner", "peer", "other_instructor", "instructor", "superuser")
# anonymous         not logged in
# outsider          a learner not enrolled in the course
# owner             the enrolled learner whose attempts and certificate the URLs name
# peer              another learner enrolled in the course
# other_instructor  an instructor (staff, Instructors group) of another course only
# instructor        an instructor of the course
# superuser
#
# Outcomes: 200 page (or file); 302 redirect elsewhere (done, or sent on with a message);
# login: redirect to a login page; 403; 404; 405; index: redirect to the admin's index
# (the admin's answer for an object the user cannot see). A POST carries "post=yes", the
# admin's confirmation, so that a POST is a real attempt to change something.

# --- The world the URLs point into -------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module's ~400 tests, which only read it: each request is rolled
    back (``request_as``), and a POST without its token is checked to write nothing."""
    # An LRS configured (never reached): the learner's steps leave statements in the outbox.
    with (
        built_once(django_db_blocker),
        override_settings(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI/"),
    ):
        yield _world_build()


def _world_build() -> SimpleNamespace:
    now = NOW
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    ines, otto = make_instructor("ines"), make_instructor("otto")
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    course = course_with_modules(modules=1, lessons=1, final_exam=False, slug="diplomacy")
    course.instructors.add(ines)
    # The first lesson is an open preview, as every course's first lesson is; this one is not.
    closed = LessonFactory(module=course.modules.get(), position=2, title="Members only")
    course_with_modules(modules=1, lessons=1, final_exam=False).instructors.add(otto)
    draft = course_with_modules(modules=1, lessons=1, final_exam=False, status=Status.DRAFT)
    draft.instructors.add(ines)
    module = course.modules.get()
    quiz = Quiz.objects.get(module=module)
    enrollment_create(learner=learner, course=course)
    complete_module(learner, module, now=now)  # a passed attempt, and the course complete
    submitted = quiz.attempts.get(learner=learner)
    open_attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    peer = UserFactory(username="peer")
    enrollment_create(learner=peer, course=course)
    return SimpleNamespace(
        users={
            "anonymous": None,
            "outsider": UserFactory(username="outsider"),
            "owner": learner,
            "peer": peer,
            "other_instructor": otto,
            "instructor": ines,
            "superuser": admin_user,
        },
        course=course,
        draft=draft,
        module=module,
        lesson=module.lessons.exclude(pk=closed.pk).get(),
        closed=closed,
        quiz=quiz,
        question=quiz.questions.get(),
        open_attempt=open_attempt,
        submitted=submitted,
        certificate=Certificate.objects.get(learner=learner, course=course),
        enrollment=Enrollment.objects.get(learner=learner, course=course),
        completion=LessonCompletion.objects.get(learner=learner, lesson=closed),
        owner=learner,
        override=quiz_override_grant(
            quiz=quiz, learner=learner, granted_by=ines, reason="Ill", time_limit_minutes=30
        ),
    )


# How each row's URL arguments come from the world.
ARGS: dict[str, Callable[[SimpleNamespace], dict]] = {
    "": lambda w: {},
    # Figures are served to anyone who has their address, as static files are
    # (docs/security.md); one that was never stored is not found.
    "figure": lambda w: {"path": f"figures/{w.course.pk}/none.png"},
    "course": lambda w: {"slug": w.course.slug},
    "draft": lambda w: {"slug": w.draft.slug},
    "lesson": lambda w: {"course_slug": w.course.slug, "slug": w.lesson.slug},
    "closed lesson": lambda w: {"course_slug": w.course.slug, "slug": w.closed.slug},
    "draft lesson": lambda w: {"course_slug": w.draft.slug, "slug": w.draft.lessons.get().slug},
    "quiz": lambda w: {"course_slug": w.course.slug, "slug": w.quiz.slug},
    "open attempt": lambda w: {"pk": w.open_attempt.pk},
    "open answer": lambda w: {"pk": w.open_attempt.pk, "slot": 1},
    "submitted": lambda w: {"pk": w.submitted.pk},
    "code": lambda w: {"code": w.certificate.code},
    "taught": lambda w: {"course_slug": w.course.slug},
    "taught draft": lambda w: {"course_slug": w.draft.slug},
    "learner": lambda w: {"course_slug": w.course.slug, "learner_id": w.owner.pk},
    "outsider": lambda w: {"course_slug": w.course.slug, "learner_id": w.users["outsider"].pk},
    "draft quiz": lambda w: {
        "course_slug": w.draft.slug,
        "slug": Quiz.objects.get(course=w.draft).slug,
    },
    "stats": lambda w: {"course_slug": w.course.slug, "quiz_slug": w.quiz.slug},
    "grant": lambda w: {
        "course_slug": w.course.slug,
        "quiz_slug": w.quiz.slug,
        "learner_id": w.owner.pk,
    },
    "answer": lambda w: {
        "course_slug": w.course.slug,
        "response_id": w.submitted.responses.get().pk,
    },
    "open answer to grade": lambda w: {
        "course_slug": w.course.slug,
        "response_id": w.open_attempt.responses.get().pk,
    },
    "reset link": lambda w: {"uidb64": "MQ", "token": "set-password"},
    "regrade": lambda w: {"course_slug": w.course.slug, "question_id": w.question.pk},
    "ticket": lambda w: {"ticket": "never-issued"},
}


@dataclass(frozen=True)
class Row:
    name: str  # URL name; "name@variant" for a second row of the same URL
    args: str  # a key of ARGS
    get: str  # outcomes in the order of ROLES
    post: str
    query: str = ""

    @property
    def url_name(self) -> str:
        return self.name.split("@")[0]


# fmt: off
SITE = [
    #   URL name                    arguments       anon  outsd owner peer  otherI instr super
    Row("healthz",                  "",      get="200   200   200   200   200   200   200",
                                             post="405   405   405   405   405   405   405"),
    Row("media",                    "figure", get="404   404   404   404   404   404   404",
                                             post="404   404   404   404   404   404   404"),
    Row("readyz",                   "",      get="200   200   200   200   200   200   200",
                                             post="405   405   405   405   405   405   405"),
    Row("catalogue",                "",      get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("dashboard",                "",      get="login 200   200   200   200   200   200",
                                             post="login 200   200   200   200   200   200"),
    Row("my_data",                  "",      get="login 200   200   200   200   200   200",
                                             post="login 200   200   200   200   200   200"),
    Row("course_detail",            "course", get="200  200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("course_detail@draft",      "draft", get="404   404   404   404   404   404   404",
                                             post="404   404   404   404   404   404   404"),
    Row("course_detail@preview",    "draft", get="404   404   404   404   404   200   200",
                                             post="404   404   404   404   404   200   200",
                                             query="preview=1"),
    Row("course_enrol",             "course", get="405  405   405   405   405   405   405",
                                             post="login 302   302   302   302   302   302"),
    Row("course_enrol@draft",       "draft", get="405   405   405   405   405   405   405",
                                             post="404   404   404   404   404   404   404"),
    # The course's first lesson: an open preview, read by anyone, marked read by the enrolled.
    Row("lesson_detail",            "lesson", get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("lesson_detail@closed",     "closed lesson",
                                             get="login 302   200   200   302   302   302",
                                             post="login 302   200   200   302   302   302"),
    # A draft is not found for a visitor either, as its course page is not: never previewable.
    Row("lesson_detail@draft",      "draft lesson",
                                             get="404   404   404   404   404   404   404",
                                             post="404   404   404   404   404   404   404"),
    Row("lesson_detail@preview",    "draft lesson",
                                             get="404   404   404   404   404   200   200",
                                             post="404   404   404   404   404   200   200",
                                             query="preview=1"),
    Row("lesson_complete",          "lesson", get="login 405  405   405   405   405   405",
                                             post="login 403   302   302   403   403   403"),
    Row("lesson_complete@closed",   "closed lesson",
                                             get="login 405   405   405   405   405   405",
                                             post="login 403   302   302   403   403   403"),
    Row("lesson_complete@draft",    "draft lesson",
                                             get="login 405   405   405   405   405   405",
                                             post="login 404   404   404   404   404   404"),
    Row("quiz_detail",              "quiz",  get="login 302   200   200   302   302   302",
                                             post="login 302   200   200   302   302   302"),
    Row("quiz_detail@draft",        "draft quiz",
                                             get="login 404   404   404   404   404   404",
                                             post="login 404   404   404   404   404   404"),
    Row("quiz_start",               "quiz",  get="login 405   405   405   405   405   405",
                                             post="login 302   302   302   302   302   302"),
    Row("attempt_detail",           "open attempt",
                                             get="login 404   200   404   404   404   404",
                                             post="login 404   200   404   404   404   404"),
    Row("attempt_detail@submitted", "submitted",
                                             get="login 404   302   404   404   404   404",
                                             post="login 404   302   404   404   404   404"),
    Row("response_save",            "open answer",
                                             get="login 405   405   405   405   405   405",
                                             post="login 404   302   404   404   404   404"),
    Row("attempt_submit",           "open attempt",
                                             get="login 405   405   405   405   405   405",
                                             post="login 404   200   404   404   404   404"),
    Row("attempt_result",           "submitted",
                                             get="login 404   200   404   404   404   404",
                                             post="login 404   200   404   404   404   404"),
    Row("attempt_result@open",      "open attempt",
                                             get="login 404   302   404   404   404   404",
                                             post="login 404   302   404   404   404   404"),
    Row("certificate_mine",         "course", get="login 302  200   302   302   302   302",
                                             post="login 302   200   302   302   302   302"),
    Row("certificate_verify",       "code",  get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("certificate_pdf",          "code",  get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("teach_index",              "",      get="login 403   403   403   200   200   200",
                                             post="login 403   403   403   200   200   200"),
    Row("teach_course",             "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_course@draft",       "taught draft",
                                             get="login 403   403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_stuck",              "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    # The POST carries no reason: refused with the form's error, nothing granted.
    Row("teach_attempt_grant",      "grant", get="login 403   403   403   403   405   405",
                                             post="login 403   403   403   403   400   400"),
    Row("teach_learner",            "learner", get="login 403 403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_learner@not enrolled", "outsider",
                                             get="login 403   403   403   403   404   404",
                                             post="login 403   403   403   403   404   404"),
    Row("teach_grading",            "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    # The POST carries no points: refused with the form's errors, nothing graded.
    Row("teach_response_grade",     "answer", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   400   400"),
    Row("teach_response_grade@open", "open answer to grade",
                                             get="login 403   403   403   403   404   404",
                                             post="login 403   403   403   403   404   404"),
    Row("teach_gradebook",          "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_gradebook_csv",      "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_gradebook_xlsx",     "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_quiz_stats",         "stats", get="login 403   403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    Row("teach_quiz_stats_csv",     "stats", get="login 403   403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    # The dry run; a POST without what was corrected is refused, nothing regraded.
    Row("teach_question_regrade",   "regrade", get="login 403 403   403   403   200   200",
                                             post="login 403   403   403   403   400   400"),
    # The platforms' rosters of the course (lti/).
    Row("teach_roster",             "taught", get="login 403  403   403   403   200   200",
                                             post="login 403   403   403   403   200   200"),
    # LTI: what learning platforms call. The tool's public keys are public; a login or
    # launch without a registered platform's signed request is refused with a page (the
    # launch and the deep-linking form are CSRF-exempt: the signed id_token protects them);
    # a ticket to open a framed launch in a window is good once, posted from Courseware's
    # own page only (any other POST is refused like a forged form), and this one never was.
    Row("lti_jwks",                 "",      get="200   200   200   200   200   200   200",
                                             post="405   405   405   405   405   405   405"),
    Row("lti_login",                "",      get="403   403   403   403   403   403   403",
                                             post="403   403   403   403   403   403   403"),
    Row("lti_launch",               "",      get="405   405   405   405   405   405   405",
                                             post="403   403   403   403   403   403   403"),
    Row("lti_continue",             "ticket", get="410  410   410   410   410   410   410",
                                             post="403   403   403   403   403   403   403"),
    Row("lti_deep_link",            "",      get="405   405   405   405   405   405   405",
                                             post="403   403   403   403   403   403   403"),
    # The language switcher: anyone may choose, and is sent back to the page they were on.
    Row("set_language",             "",      get="302   302   302   302   302   302   302",
                                             post="302   302   302   302   302   302   302"),
    # Accounts. Signing up again while logged in goes to the dashboard.
    Row("signup",                   "",      get="200   302   302   302   302   302   302",
                                             post="200   302   302   302   302   302   302"),
    Row("login",                    "",      get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("logout",                   "",      get="405   405   405   405   405   405   405",
                                             post="302   302   302   302   302   302   302"),
    Row("password_change",          "",      get="login 200   200   200   200   200   200",
                                             post="login 200   200   200   200   200   200"),
    Row("password_change_done",     "",      get="login 200   200   200   200   200   200",
                                             post="login 405   405   405   405   405   405"),
    Row("password_reset",           "",      get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("password_reset_done",      "",      get="200   200   200   200   200   200   200",
                                             post="405   405   405   405   405   405   405"),
    Row("password_reset_confirm",   "reset link",
                                             get="200   200   200   200   200   200   200",
                                             post="200   200   200   200   200   200   200"),
    Row("password_reset_complete",  "",      get="200   200   200   200   200   200   200",
                                             post="405   405   405   405   405   405   405"),
]
# fmt: on

# --- The admin ---------------------------------------------------------------------------
# Every registered model is one of three kinds; its pages follow the rows of its kind.
ADMIN_MODELS = {
    "auth.group": "accounts", "auth.user": "accounts",
    # Login lock-outs and the login log (django-axes): administrators only.
    "axes.accessattempt": "login log", "axes.accesslog": "login log",
    "axes.accessfailurelog": "login log",
    "lessons.course": "content", "lessons.module": "content", "lessons.lesson": "content",
    "assessments.quiz": "content", "assessments.question": "content",
    "assessments.attempt": "record", "progress.enrollment": "record",
    "assessments.quizoverride": "grant",
    "progress.lessoncompletion": "record", "progress.certificate": "record",
    # The xAPI statements waiting for the LRS, or sent: operators only, read-only.
    "xapi.outboxstatement": "outbox",
    # Learning platforms: registered by administrators; what launches and the score queue
    # write is read there, never edited.
    "lti.platform": "platform",
    "lti.platformaccount": "platform record", "lti.pendingscore": "platform record",
}  # fmt: skip

# fmt: off
ADMIN_PAGES = {
    # (kind, page):            GET / POST, in the order of ROLES
    #                               anon  outsd owner peer  otherI instr super
    ("accounts", "changelist"): ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("accounts", "add"):        ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("accounts", "change"):     ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("accounts", "delete"):     ("login login login login 403   403   200",
                                 "login login login login 403   403   302"),
    ("accounts", "history"):    ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("accounts", "object"):     ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    # Written by logins only: nobody adds a row; an administrator lifts a lock-out by
    # deleting it.
    ("login log", "changelist"):("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("login log", "add"):       ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    # Every field is read-only: saving the form changes nothing.
    ("login log", "change"):    ("login login login login 403   403   200",
                                 "login login login login 403   403   302"),
    ("login log", "delete"):    ("login login login login 403   403   200",
                                 "login login login login 403   403   302"),
    ("login log", "history"):   ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("login log", "object"):    ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    # A platform whose users launched keeps its accounts: deleting it is refused (the
    # admin's page that lists what protects it).
    ("platform", "changelist"): ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("platform", "add"):        ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("platform", "change"):     ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("platform", "delete"):     ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("platform", "history"):    ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("platform", "object"):     ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    ("platform record", "changelist"): ("login login login login 403   403   200",
                                        "login login login login 403   403   200"),
    ("platform record", "add"):     ("login login login login 403   403   403",
                                     "login login login login 403   403   403"),
    ("platform record", "change"):  ("login login login login 403   403   200",
                                     "login login login login 403   403   403"),
    ("platform record", "delete"):  ("login login login login 403   403   403",
                                     "login login login login 403   403   403"),
    ("platform record", "history"): ("login login login login 403   403   200",
                                     "login login login login 403   403   200"),
    ("platform record", "object"):  ("login login login login 302   302   302",
                                     "login login login login 302   302   302"),
    ("content", "changelist"):  ("login login login login 200   200   200",
                                 "login login login login 200   200   200"),
    ("content", "add"):         ("login login login login 200   200   200",
                                 "login login login login 200   200   200"),
    ("content", "change"):      ("login login login login index 200   200",
                                 "login login login login index 200   200"),
    ("content", "delete"):      ("login login login login index 200   200",
                                 "login login login login index 302   302"),
    ("content", "history"):     ("login login login login 403   200   200",
                                 "login login login login 403   200   200"),
    ("content", "version"):     ("login login login login 404   200   200",
                                 "login login login login 404   200   200"),
    ("content", "object"):      ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    # A learner's own terms at a quiz: granted and changed by the course's instructors,
    # never deleted (the history keeps every earlier grant).
    ("grant", "changelist"):    ("login login login login 200   200   200",
                                 "login login login login 200   200   200"),
    ("grant", "add"):           ("login login login login 200   200   200",
                                 "login login login login 200   200   200"),
    ("grant", "change"):        ("login login login login index 200   200",
                                 "login login login login index 200   200"),
    ("grant", "delete"):        ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    ("grant", "history"):       ("login login login login 403   200   200",
                                 "login login login login 403   200   200"),
    ("grant", "version"):       ("login login login login 403   200   200",
                                 "login login login login 403   200   200"),
    ("grant", "object"):        ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    ("outbox", "changelist"):   ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("outbox", "add"):          ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    ("outbox", "change"):       ("login login login login 403   403   200",
                                 "login login login login 403   403   403"),
    ("outbox", "delete"):       ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    ("outbox", "history"):      ("login login login login 403   403   200",
                                 "login login login login 403   403   200"),
    ("outbox", "object"):       ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
    ("record", "changelist"):   ("login login login login 200   200   200",
                                 "login login login login 200   200   200"),
    ("record", "add"):          ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    ("record", "change"):       ("login login login login index 200   200",
                                 "login login login login 403   403   403"),
    ("record", "delete"):       ("login login login login 403   403   403",
                                 "login login login login 403   403   403"),
    ("record", "history"):      ("login login login login index 200   200",
                                 "login login login login index 200   200"),
    ("record", "object"):       ("login login login login 302   302   302",
                                 "login login login login 302   302   302"),
}

ADMIN_SITE = [
    #   URL name                             arguments   anon  outsd owner peer  otherI instr super
    Row("admin:index",                       "",    get="login login login login 200   200   200",
                                                    post="login login login login 200   200   200"),
    # Staff already logged in are sent on to the index; the rest get the login form.
    Row("admin:login",                       "",    get="200   200   200   200   index index index",
                                                    post="200   200   200   200   200   200   200"),
    Row("admin:logout",                      "",    get="index index index index 405   405   405",
                                                    post="index index index index 302   302   302"),
    Row("admin:password_change",             "",    get="login login login login 200   200   200",
                                                    post="login login login login 200   200   200"),
    Row("admin:password_change_done",        "",    get="login login login login 200   200   200",
                                                    post="login login login login 405   405   405"),
    # Scoped like the lists: test_admin_autocomplete_lists_only_what_the_user_teaches.
    Row("admin:autocomplete",                "",    get="login login login login 200   200   200",
                                                    post="login login login login 405   405   405",
                                                    query="app_label=lessons&model_name=lesson&field_name=module"),
    Row("admin:jsi18n",                      "",    get="login login login login 200   200   200",
                                                    post="login login login login 405   405   405"),
    Row("admin:view_on_site",                "certificate object",
                                                    get="login login login login 404   302   302",
                                                    post="login login login login 404   302   302"),
    Row("view_on_site",                      "draft object",
                                                    get="login login login login 404   302   302",
                                                    post="login login login login 404   302   302"),
    Row("admin:app_list",                    "app", get="login login login login 200   200   200",
                                                    post="login login login login 200   200   200"),
    Row("admin:app_list@accounts",           "auth app",
                                                    get="login login login login 404   404   200",
                                                    post="login login login login 404   404   200"),
    Row("admin/(?P<url>.*)$",                "nowhere",
                                                    get="login login login login 404   404   404",
                                                    post="login login login login 404   404   404"),
    Row("admin:lessons_lesson_preview",      "",    get="login login login login 405   405   405",
                                                    post="login login login login 200   200   200"),
    # The question editor's preview: a blank form for anyone who may add one; a question
    # the instructor does not teach is not found, as on its own page.
    Row("admin:assessments_question_preview", "",   get="login login login login 405   405   405",
                                                    post="login login login login 200   200   200"),
    Row("admin:assessments_question_preview@question", "question object",
                                                    get="login login login login 405   405   405",
                                                    post="login login login login index 200   200"),
    Row("admin:lessons_course_import",       "",    get="login login login login 200   200   200",
                                                    post="login login login login 200   200   200"),
    Row("admin:lessons_course_import_apply", "",   get="login login login login 405   405   405",
                                                    post="login login login login 302   302   302"),
    Row("admin:lessons_course_from_document", "",   get="login login login login 200   200   200",
                                                    post="login login login login 200   200   200"),
    Row("admin:lessons_course_export",       "course object",
                                                    get="login login login login index 200   200",
                                                    post="login login login login index 200   200"),
    Row("admin:assessments_quiz_import_gift", "quiz object",
                                                    get="login login login login index 200   200",
                                                    post="login login login login index 200   200"),
    Row("admin:assessments_quiz_export_gift", "quiz object",
                                                    get="login login login login index 200   200",
                                                    post="login login login login index 200   200"),
    Row("admin:assessments_quiz_import_moodle_xml", "quiz object",
                                                    get="login login login login index 200   200",
                                                    post="login login login login index 200   200"),
    Row("admin:assessments_quiz_export_moodle_xml", "quiz object",
                                                    get="login login login login index 200   200",
                                                    post="login login login login index 200   200"),
    Row("admin:auth_user_password_change",   "user object",
                                                    get="login login login login 403   403   200",
                                                    post="login login login login 403   403   200"),
]
# fmt: on
ADMIN_PAGE_NAMES = {
    "changelist": "{}_changelist",
    "add": "{}_add",
    "change": "{}_change",
    "delete": "{}_delete",
    "history": "{}_history",
    "version": "{}_simple_history",
}  # fmt: skip


def _admin_object(world, label: str):
    """The object of model ``label`` that the admin rows open: the course's, or the owner's."""
    return {
        "auth.group": lambda: Group.objects.get(name=INSTRUCTORS),
        # An account with no records: a learner's records keep theirs from being deleted.
        "auth.user": lambda: world.users["outsider"],
        "lessons.course": lambda: world.course,
        "lessons.module": lambda: world.module,
        "lessons.lesson": lambda: world.lesson,
        "assessments.quiz": lambda: world.quiz,
        "assessments.question": lambda: world.question,
        "assessments.attempt": lambda: world.submitted,
        "assessments.quizoverride": lambda: world.override,
        "progress.enrollment": lambda: world.enrollment,
        "progress.lessoncompletion": lambda: world.completion,
        "progress.certificate": lambda: world.certificate,
        "xapi.outboxstatement": lambda: OutboxStatement.objects.filter(learner=world.owner)[0],
        "axes.accessattempt": lambda: AccessAttempt.objects.get_or_create(
            **LOGIN, failures_since_start=1
        )[0],
        "axes.accesslog": lambda: AccessLog.objects.get_or_create(**LOGIN)[0],
        "axes.accessfailurelog": lambda: AccessFailureLog.objects.get_or_create(**LOGIN)[0],
        "lti.platform": lambda: _platform_score(world).graded.link.platform,
        "lti.platformaccount": lambda: _platform_score(world).graded.account,
        "lti.pendingscore": lambda: _platform_score(world),
    }[label]()


def _platform_score(world) -> PendingScore:
    """A score waiting for a platform's gradebook, with its platform, link and account."""
    found = PendingScore.objects.first()
    if found is not None:
        return found
    platform = Platform.objects.create(
        issuer="https://moodle.example.org",
        client_id="courseware",
        auth_login_url="https://moodle.example.org/mod/lti/auth.php",
        auth_token_url="https://moodle.example.org/mod/lti/token.php",
        keyset_url="https://moodle.example.org/mod/lti/certs.php",
    )
    link = ResourceLink.objects.create(
        platform=platform,
        resource_link_id="7",
        course=world.course,
        lineitem_url="https://moodle.example.org/li",
    )
    account = PlatformAccount.objects.create(platform=platform, sub="42", user=world.owner)
    return PendingScore.objects.create(
        graded=GradedLearner.objects.create(link=link, account=account),
        activity=PendingScore.Activity.COMPLETED,
        grading=PendingScore.Grading.FULLY_GRADED,
        changed_at=world.certificate.issued_at,
        next_try_at=world.certificate.issued_at,
    )


# A failed login as django-axes records it.
LOGIN = {"username": "ada", "ip_address": "192.0.2.1", "user_agent": "test"}


ARGS |= {
    "app": lambda w: {"app_label": "lessons"},
    "auth app": lambda w: {"app_label": "auth"},
    "nowhere": lambda w: {"url": "nowhere/"},
    "course object": lambda w: {"object_id": w.course.pk},
    "quiz object": lambda w: {"object_id": w.quiz.pk},
    "question object": lambda w: {"object_id": w.question.pk},
    "user object": lambda w: {"id": w.owner.pk},
    "draft object": lambda w: {
        "content_type_id": _content_type_id(Course),
        "object_id": w.draft.pk,
    },
    "certificate object": lambda w: {
        "content_type_id": _content_type_id(Certificate),
        "object_id": w.certificate.pk,
    },
}


def _content_type_id(model) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def _admin_page_rows() -> list[Row]:
    """One row per registered model and page, with the outcomes of the model's kind."""
    rows = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        kind = ADMIN_MODELS.get(label)
        if kind is None:
            continue  # test_every_url_has_an_access_expectation names it
        for page in ("changelist", "add", "change", "delete", "history", "version", "object"):
            if (kind, page) in ADMIN_PAGES:
                get, post = ADMIN_PAGES[kind, page]
                rows.append(Row(f"admin {label} {page}", f"admin {label} {page}", get, post))
    return rows


def _admin_page_url(world, label: str, page: str) -> str:
    obj = _admin_object(world, label)
    prefix = f"admin:{label.replace('.', '_')}"
    if page in ("changelist", "add"):
        return reverse(ADMIN_PAGE_NAMES[page].format(prefix))
    if page == "object":  # Django's old change URL, a redirect to the new one
        return reverse(f"{prefix}_changelist") + f"{obj.pk}/"
    if page == "version":
        version = obj.history.latest("history_date").history_id
        return reverse(ADMIN_PAGE_NAMES[page].format(prefix), args=[obj.pk, version])
    return reverse(ADMIN_PAGE_NAMES[page].format(prefix), args=[obj.pk])


ROWS = SITE + ADMIN_SITE + _admin_page_rows()


def url_of(row: Row, world) -> str:
    if row.name.startswith("admin "):
        _, label, page = row.name.split()
        url = _admin_page_url(world, label, page)
    elif row.url_name.startswith("admin/"):  # an unnamed pattern: the admin's catch-all
        url = "/admin/" + ARGS[row.args](world)["url"]
    else:
        url = reverse(row.url_name, kwargs=ARGS[row.args](world))
    return f"{url}?{row.query}" if row.query else url


# --- Reading outcomes -----------------------------------------------------------------------


def outcome(response) -> str:
    if response.status_code != 302:
        return str(response.status_code)
    target = response["Location"].split("?")[0]
    if target in (reverse("login"), reverse("admin:login")):
        return "login"
    if target == reverse("admin:index"):
        return "index"
    return "302"


def request_as(world, role: str, method: str, url: str, **client_options):
    """One request as ``role``, rolled back afterwards: each request meets the same world."""
    client = Client(**client_options)
    if world.users[role] is not None:
        client.force_login(world.users[role])
    with transaction.atomic():
        response = client.post(url, {"post": "yes"}) if method == "post" else client.get(url)
        transaction.set_rollback(True)
    return response


# --- The tests --------------------------------------------------------------------------------


def _all_patterns(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _all_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield route, f"{namespace}{pattern.name}" if pattern.name else route


def _admin_model_keys() -> set[str]:
    """The URL keys the per-model admin rows cover."""
    keys = set()
    for model in admin.site._registry:
        label = model._meta.label_lower
        if label not in ADMIN_MODELS:
            continue
        prefix = f"admin:{label.replace('.', '_')}"
        keys |= {name.format(prefix) for name in ADMIN_PAGE_NAMES.values()}
        keys.add(f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/")
    return keys


def test_every_url_has_an_access_expectation():
    covered = {row.url_name for row in ROWS} | _admin_model_keys()
    missing = [
        f"new URL {key} ({route}) has no access expectation"
        for route, key in _all_patterns(get_resolver().url_patterns)
        if key not in covered
    ]
    unregistered = [
        f"admin model {model._meta.label_lower} has no access expectation"
        for model in admin.site._registry
        if model._meta.label_lower not in ADMIN_MODELS
    ]
    assert not missing + unregistered, "\n".join(missing + unregistered)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_who_reaches_what(world, row, method):
    expected = dict(zip(ROLES, getattr(row, method).split(), strict=True))
    url = url_of(row, world)
    wrong = []
    for role in ROLES:
        got = outcome(request_as(world, role, method, url))
        if got != expected[role]:
            wrong.append(f"{method.upper()} {url} as {role}: expected {expected[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_a_post_without_csrf_token_is_refused_and_writes_nothing(world, row):
    url = url_of(row, world)
    accepted = []
    # Every logged-in role: any of them may be the one the POST would serve.
    for role in (role for role in ROLES if role != "anonymous"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.users[role])
        before = row_counts()  # logging in writes a session
        response = client.post(url, {"post": "yes"})
        if response.status_code != 403 or row_counts() != before:
            accepted.append(f"POST {url} as {role} without a token: {response.status_code}")
    assert not accepted, "\n".join(accepted)


def test_admin_autocomplete_lists_only_what_the_user_teaches(world):
    url = reverse("admin:autocomplete") + "?app_label=lessons&model_name=lesson&field_name=module"
    offered = {
        role: {int(item["id"]) for item in request_as(world, role, "get", url).json()["results"]}
        for role in ("other_instructor", "instructor")
    }

    assert world.module.pk in offered["instructor"]
    assert world.module.pk not in offered["other_instructor"]
