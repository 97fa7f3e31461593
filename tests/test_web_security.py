"""Web security, by attacking the site: script injection surface (Content-Security-Policy),
password guessing, open redirects, account enumeration, weak passwords, production cookies.
docs/security.md maps each threat to its defence and to the test here that proves it."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.db.models import F
from django.urls import reverse

from progress.models import Certificate
from progress.services import enrollment_create, lesson_complete, quiz_attempt_start
from tests.factories import UserFactory, course_with_modules

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
EVIL_NEXT = ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]


# --- Content-Security-Policy ---------------------------------------------------------------


class ScriptSurface(HTMLParser):
    """What a browser would run or apply from the page itself rather than from a file."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs_inline = tag == "script" and "src" not in attributes
        if runs_inline and attributes.get("type") != "application/json":  # JSON is never run
            self.inline_scripts.append(self.get_starttag_text())
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
            elif name == "style":
                self.styles.append(f"<{tag} style={value!r}>")
        if tag == "style":
            self.styles.append("<style> element")


def directives(header: str | None) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: sources}, in any order."""
    pairs = (part.strip().split(" ", 1) for part in (header or "").split(";") if part.strip())
    return {name: sources for name, sources in pairs}


def inline_code(html: str, *, styles: bool) -> list[str]:
    surface = ScriptSurface()
    surface.feed(html)
    return surface.inline_scripts + surface.handlers + (surface.styles if styles else [])


def policy_problems(client, urls: list[str], *, styles: bool = True) -> list[str]:
    """Every page sends the policy and carries nothing inline that the policy would block."""
    problems = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: status {response.status_code}")
            continue
        if directives(response.get("Content-Security-Policy")) != POLICY:
            problems.append(f"{url}: policy {response.get('Content-Security-Policy')!r}")
        problems += [f"{url}: {found}" for found in inline_code(response.text, styles=styles)]
    return problems


@pytest.fixture
def course():
    return course_with_modules(modules=2, lessons=2, title="Military diplomacy")


@pytest.fixture
def graduate(course, now, complete_module, take_quiz):
    """A learner who finished the course: certificate, submitted attempts, full progress."""
    learner = UserFactory(first_name="Grace", last_name="Hopper")
    enrollment_create(learner=learner, course=course)
    for module in course.modules.order_by("position"):
        complete_module(learner, module, now=now)
    take_quiz(learner, course.quizzes.get(kind="final"), now=now)
    return learner


@pytest.fixture
def instructor(course):
    user = UserFactory(is_staff=True, first_name="Ines", last_name="Instructor")
    course.instructors.add(user)
    return user


def test_learner_pages_send_the_policy_and_have_no_inline_script_or_style(
    client, course, graduate, learner, now
):
    module = course.modules.order_by("position").first()
    lesson = module.lessons.order_by("position").first()
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=lesson, now=now)
    open_attempt = quiz_attempt_start(learner=learner, quiz=module.quiz)
    certificate = Certificate.objects.get(learner=graduate)
    submitted = graduate.attempts.filter(submitted_at__isnull=False).first()
    anonymous = [
        reverse("catalogue"),
        course.get_absolute_url(),
        reverse("login"),
        reverse("signup"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "not-a-token"]),
        certificate.get_absolute_url(),
    ]
    assert not policy_problems(client, anonymous)

    client.force_login(learner)
    reading = [
        reverse("dashboard"),
        course.get_absolute_url(),
        lesson.get_absolute_url(),
        module.quiz.get_absolute_url(),
        reverse("attempt_detail", args=[open_attempt.pk]),
        reverse("password_change"),
    ]
    assert not policy_problems(client, reading)

    client.force_login(graduate)
    finished = [
        reverse("dashboard"),
        reverse("attempt_result", args=[submitted.pk]),
        reverse("certificate_mine", args=[course.slug]),
    ]
    assert not policy_problems(client, finished)


def test_teach_pages_send_the_policy_and_have_no_inline_script_or_style(
    client, course, graduate, instructor
):
    exam = course.quizzes.get(kind="final")
    client.force_login(instructor)
    urls = [
        reverse("teach_index"),
        reverse("teach_course", args=[course.slug]),
        reverse("teach_learner", args=[course.slug, graduate.pk]),
        reverse("teach_gradebook", args=[course.slug]),
        reverse("teach_quiz_stats", args=[course.slug, exam.slug]),
    ]
    assert not policy_problems(client, urls)


def test_every_admin_page_sends_the_policy_and_has_no_inline_script(
    client, course, graduate, admin_user, rf
):
    client.force_login(admin_user)
    request = rf.get("/admin/")
    request.user = admin_user
    pages, histories = [reverse("admin:index")], []
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{name}_add"))
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{name}_change", args=[first.pk]))
            histories.append(reverse(f"{name}_history", args=[first.pk]))
    assert len(pages) > 20

    assert not policy_problems(client, pages)
    # django-simple-history's history page has one style attribute (a paginator border),
    # which the browser drops without running anything.
    assert not policy_problems(client, histories, styles=False)


def test_the_lock_out_page_sends_the_policy_too(client):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": user.username, "password": "x"})

    assert response.status_code == 429
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert not inline_code(response.text, styles=True)


# --- Login throttling ----------------------------------------------------------------------


def log_in(client, username, password, *, url=None, **headers):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, **headers
    )


def logged_in_as(client) -> str | None:
    return client.session.get(SESSION_KEY)


def fail_until_locked(client, username, *, url=None, **headers):
    responses = [log_in(client, username, "wrong", url=url, **headers) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    return responses[-1]


def test_five_wrong_passwords_lock_the_username_out_from_that_address(client):
    UserFactory(username="amara")

    locked = fail_until_locked(client, "amara")
    # Even the right password is refused now, with a page that says why.
    response = log_in(client, "amara", PASSWORD)

    assert response.status_code == 429
    assert logged_in_as(client) is None
    page = response.text
    assert "Too many attempts to log in" in page
    assert "15 minutes" in page
    assert "Traceback" not in page and "Traceback" not in locked.text
    assert reverse("password_reset") in page


def test_an_unknown_username_is_locked_out_alike_so_the_lock_reveals_nothing(client):
    response = fail_until_locked(client, "nobody")

    assert "Too many attempts to log in" in response.text


def test_four_wrong_passwords_do_not_lock_and_a_success_clears_them(client):
    user = UserFactory(username="amara")
    for _ in range(4):
        assert log_in(client, "amara", "wrong").status_code == 200
    assert log_in(client, "amara", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert log_in(client, "amara", "wrong").status_code == 200

    assert log_in(client, "amara", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(user.pk)


def move_failures_back(by: timedelta) -> None:
    """Make the recorded failures older, rather than wait."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_the_lock_holds_for_fifteen_minutes_then_lifts(client):
    user = UserFactory(username="amara")
    fail_until_locked(client, "amara")

    move_failures_back(timedelta(minutes=14))
    assert log_in(client, "amara", PASSWORD).status_code == 429

    # That refused try restarted the clock; 15 quiet minutes lift the lock.
    move_failures_back(timedelta(minutes=15, seconds=1))
    assert log_in(client, "amara", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(user.pk)


def test_the_lock_is_per_address_so_a_stranger_cannot_lock_a_learner_out(client):
    user = UserFactory(username="amara")
    fail_until_locked(client, "amara", REMOTE_ADDR="203.0.113.9")

    assert log_in(client, "amara", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert logged_in_as(client) == str(user.pk)


def test_the_admin_login_is_locked_out_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)

    fail_until_locked(client, "root", url=reverse("admin:login"))
    response = log_in(client, "root", PASSWORD, url=reverse("admin:login"))

    assert response.status_code == 429
    assert logged_in_as(client) is None


def test_behind_a_proxy_the_address_it_saw_counts_not_what_the_client_claims(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="amara")
    # Each try claims a new address in front of the one the proxy appended: still locked.
    for n in range(5):
        response = log_in(
            client, "amara", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.9"
        )
    assert response.status_code == 429

    other = log_in(client, "amara", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(client):
    UserFactory(username="amara")
    for n in range(5):
        response = log_in(client, "amara", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert response.status_code == 429


# --- Open redirects ------------------------------------------------------------------------


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_does_not_send_the_user_to_another_site(client, target):
    UserFactory(username="amara")

    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "amara", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_logout_does_not_send_the_user_to_another_site(client, target):
    client.force_login(UserFactory())

    response = client.post(reverse("logout"), {"next": target})

    assert response.status_code == 302
    assert response["Location"] == settings.LOGOUT_REDIRECT_URL


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_signup_does_not_send_the_user_to_another_site(client, target):
    response = client.post(f"{reverse('signup')}?next={target}", signup_form())

    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue")


def test_next_within_the_site_is_still_followed(client):
    UserFactory(username="amara")
    dashboard = reverse("dashboard")

    login = client.post(
        f"{reverse('login')}?next={dashboard}", {"username": "amara", "password": PASSWORD}
    )
    logout = client.post(reverse("logout"), {"next": dashboard})
    signup = client.post(f"{reverse('signup')}?next={dashboard}", signup_form())

    assert [login["Location"], logout["Location"], signup["Location"]] == [dashboard] * 3


def signup_form(password="a long passphrase 2026", username="newcomer"):
    return {
        "username": username,
        "first_name": "New",
        "last_name": "Comer",
        "email": f"{username}@example.org",
        "password1": password,
        "password2": password,
    }


# --- Account enumeration -------------------------------------------------------------------


def reset_page(client, email: str) -> tuple[int, str, str]:
    response = client.post(reverse("password_reset"), {"email": email})
    page = client.get(response["Location"]).text
    # The masked CSRF token differs on every page view; it says nothing about the account.
    page = re.sub(r'"X-CSRFToken": "[^"]*"', "", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return response.status_code, response["Location"], page


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    UserFactory(email="amara@example.org")

    known = reset_page(client, "amara@example.org")
    assert len(mail.outbox) == 1
    unknown = reset_page(client, "nobody@example.org")

    assert len(mail.outbox) == 1  # nothing sent to an address with no account
    assert known == unknown


# --- Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("password1", "This password is too common."),
        ("Zq8!x", "This password is too short."),
        ("8301947265", "This password is entirely numeric."),
    ],
)
def test_sign_up_refuses_a_weak_password_and_writes_no_user(client, password, error):
    response = client.post(reverse("signup"), signup_form(password))

    assert response.status_code == 200
    assert error in response.text
    assert not get_user_model().objects.filter(username="newcomer").exists()


# --- Production mode -----------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# Hashed static file names need collectstatic first; they have nothing to do with security.
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
client = Client()
override_settings(STORAGES=plain_static).enable()
https = client.get("/accounts/login/", secure=True)
http = client.get("/accounts/login/")
csrf = https.cookies["csrftoken"]
print(json.dumps({
    "http": [http.status_code, http.get("Location")],
    "headers": {name: https.get(name) for name in (
        "Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy",
        "X-Frame-Options")},
    "policy": https.get("Content-Security-Policy"),
    "csrf_cookie": {"secure": bool(csrf["secure"]), "httponly": bool(csrf["httponly"]),
                    "samesite": csrf["samesite"]},
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                       settings.SESSION_COOKIE_SAMESITE],
}))
"""


def test_in_production_cookies_are_secure_and_https_is_enforced():
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60 + "production-grade-secret",
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "courseware.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["http"] == [301, "https://testserver/accounts/login/"]
    assert seen["headers"] == {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    assert directives(seen["policy"]) == POLICY
    assert seen["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["session_cookie"] == [True, True, "Lax"]
