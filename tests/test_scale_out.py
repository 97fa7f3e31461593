"""Two app servers, one PostgreSQL and one Redis: what one writes, the other sees.

Runs real gunicorn processes against the test database, so it needs
PostgreSQL (SQLite cannot be shared between servers) and Redis (sessions).
"""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from assessments.course_io import course_import
from assessments.forms import ANSWERS_MARKER
from assessments.models import Attempt
from tests.factories import UserFactory, answer_fields, right_answer
from tests.test_shipped_course import COURSE_FOLDER

PASSWORD = "correct horse battery staple"
REDIS_TEST_URL = os.environ.get("SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    parsed = urllib.parse.urlparse(REDIS_TEST_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="two app servers need a shared PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.skipif(not _redis_answers(), reason=f"Redis does not answer at {REDIS_TEST_URL}"),
    # Empties a Redis database: one worker at a time (--dist loadgroup).
    pytest.mark.xdist_group("redis"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """Hashed, compressed static files, as production serves them (DEBUG off needs them)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "0", "SECRET_KEY": "collectstatic", "STATIC_ROOT": str(root)},
        check=True,
    )
    return root


@pytest.fixture
def empty_cache():
    """Redis starts empty, as after a restore (docs/deploy.md): every run has a new test
    database whose ids repeat, so what an earlier run cached under them would be served."""
    import redis

    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


@contextmanager
def app_server(static_root: Path):
    """A gunicorn process on the test database, sharing the secret key and Redis."""
    db = settings.DATABASES["default"]
    port = _free_port()
    environment = {
        **os.environ,
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/"
            f"{connection.settings_dict['NAME']}?sslmode=disable"
        ),
        "REDIS_URL": REDIS_TEST_URL,
        "DEBUG": "0",
        "SECRET_KEY": "scale-out-test-secret-key-shared-by-both-servers-0123456789",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "REQUEST_LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "courseware.wsgi"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {process.returncode}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


class Browser:
    """A cookie-keeping HTTP client that can talk to either server."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=60) as response:
            return response.read().decode()

    def post(self, url: str, data: dict | list, referer: str) -> tuple[str, str]:
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        body = urllib.parse.urlencode([*_pairs(data), ("csrfmiddlewaretoken", token)])
        request = urllib.request.Request(url, data=body.encode(), headers={"Referer": referer})
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read().decode()


def _pairs(data):
    return list(data.items()) if isinstance(data, dict) else list(data)


def test_progress_and_a_quiz_attempt_written_on_one_server_are_seen_on_the_other(
    static_root, empty_cache
):
    course, _ = course_import(COURSE_FOLDER)
    learner = UserFactory(username="scale")
    # The servers hash as production does, not as the test process does.
    learner.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    learner.save(update_fields=["password"])
    lesson = course.lessons.get(slug="introduction")

    with app_server(static_root) as server_a, app_server(static_root) as server_b:
        browser = Browser()
        browser.get(f"{server_a}/accounts/login/")
        browser.post(
            f"{server_a}/accounts/login/",
            {"username": "scale", "password": PASSWORD},
            referer=f"{server_a}/accounts/login/",
        )

        # Logged in on A, the session (in Redis) is valid on B.
        assert "My learning" in browser.get(f"{server_b}/")
        course_url = course.get_absolute_url()
        browser.post(f"{server_b}{course_url}enrol/", {}, referer=f"{server_b}{course_url}")
        lesson_url = lesson.get_absolute_url()
        browser.post(f"{server_a}{lesson_url}complete/", {}, referer=f"{server_a}{lesson_url}")
        assert "1 of 18 lessons read" in browser.get(f"{server_b}{course_url}")

        # Finish the first module on A, then take its quiz across both servers.
        for other in course.lessons.filter(module__slug="foundations").exclude(pk=lesson.pk):
            url = other.get_absolute_url()
            browser.post(f"{server_a}{url}complete/", {}, referer=f"{server_a}{url}")
        quiz_url = course.modules.get(slug="foundations").quiz.get_absolute_url()
        attempt_url, _ = browser.post(
            f"{server_a}{quiz_url}start/", {}, referer=f"{server_a}{quiz_url}"
        )
        attempt = Attempt.objects.get(learner=learner)
        assert f"/attempts/{attempt.pk}/" in attempt_url
        page_b = browser.get(f"{server_b}/attempts/{attempt.pk}/")
        assert "Question 1" in page_b
        answers = _right_answers_form(attempt)
        result_url, result = browser.post(
            f"{server_b}/attempts/{attempt.pk}/submit/",
            answers,
            referer=f"{server_b}/attempts/{attempt.pk}/",
        )
        assert "Passed" in result
        assert "Passed" in browser.get(f"{server_a}{urllib.parse.urlparse(result_url).path}")
        assert "Passed with 100%" in browser.get(f"{server_a}{course_url}")


def _right_answers_form(attempt) -> list[tuple[str, str]]:
    """The attempt form filled with the right answers, as a browser would post it."""
    fields = [(ANSWERS_MARKER, "1")]
    for response in attempt.responses.order_by("slot"):
        posted = answer_fields(response.shown, response.slot, right_answer(response.shown))
        for name, value in posted.items():
            # Multiple answer: one checkbox per choice, each its own field.
            fields += [(name, item) for item in (value if isinstance(value, list) else [value])]
    return fields
