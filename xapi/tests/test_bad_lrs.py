"""An LRS that is down, slow or talks nonsense never reaches a learner: their pages work as
ever, and the sender keeps every statement waiting for a later run."""

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from progress.services import enrollment_create, lesson_complete
from tests.factories import course_with_modules
from xapi.lrs import statements_send
from xapi.models import OutboxStatement
from xapi.tests.conftest import free_port

pytestmark = pytest.mark.django_db


class BadLrs(BaseHTTPRequestHandler):
    """Answers every request as ``server.answer`` says: 500, a 200 that is not xAPI, a 401,
    too late; or what a proxy or a wrong address may answer an LRS's client: 204 to anything
    (without the header of an LRS), a 200 with an empty list, a 409 for statements it cannot
    show."""

    ANSWERS = {
        "500": (500, b"Internal Server Error"),
        "garbage": (200, b"<html>Welcome to the captive portal</html>"),
        "401": (401, b'{"detail": "Invalid authentication credentials"}'),
        "204": (204, b""),
        "empty list": (200, b"[]"),
        "409": (409, b'{"detail": "Conflict"}'),
        # An LRS that holds them all already, as xAPI 1.0.3 has it answer: believed as it is.
        "204 from an LRS": (204, b"", {"X-Experience-API-Version": "1.0.3"}),
        # An LRS holding them already (409), which shows each when asked, as xAPI 1.0.3 has it.
        "409 from an LRS": (409, b'{"detail": "Already held"}'),
    }
    READ_BACK = {"204": (204, b""), "409": (404, b'{"detail": "Not found"}')}

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = self.server.answer
        if answer == "slow":
            time.sleep(2)
            answer = "500"
        self._answer(*self.ANSWERS[answer])

    def do_GET(self):
        self.server.reads += 1
        if self.server.answer == "409 from an LRS":
            [asked] = parse_qs(urlsplit(self.path).query)["statementId"]
            self._answer(200, json.dumps({"id": asked.upper(), "verb": {}}).encode())
            return
        self._answer(*self.READ_BACK.get(self.server.answer, (404, b"Not found")))

    def _answer(self, status, body, headers=None):
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 204:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender stopped waiting, as it should from a slow LRS

    def log_message(self, *args):
        pass


@pytest.fixture
def bad_lrs(settings, monkeypatch):
    """``bad_lrs(answer)`` points the site at an LRS that answers so, and returns its server;
    "refused" at a port nothing listens on."""
    servers = []
    monkeypatch.setattr("xapi.lrs.TIMEOUT", httpx.Timeout(0.5))

    def start(answer):
        port = free_port()
        if answer != "refused":
            server = ThreadingHTTPServer(("127.0.0.1", port), BadLrs)
            server.answer, server.reads = answer, 0
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        settings.XAPI_ENDPOINT = f"http://127.0.0.1:{port}/xAPI/"
        settings.XAPI_USERNAME, settings.XAPI_PASSWORD = "courseware", "secret"
        return servers[-1] if answer != "refused" else None

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


ANSWERS = ["500", "garbage", "401", "slow", "refused", "204", "empty list", "409"]


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_bad_lrs_never_reaches_a_learners_pages(bad_lrs, answer, client, learner):
    bad_lrs(answer)
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    client.force_login(learner)
    lesson = course.lessons.get()
    quiz = course.modules.get().quiz
    quiz_url = {"course_slug": course.slug, "slug": quiz.slug}

    assert client.get(course.get_absolute_url()).status_code == 200
    complete = reverse("lesson_complete", kwargs={"course_slug": course.slug, "slug": lesson.slug})
    assert client.post(complete).status_code == 302
    started = client.post(reverse("quiz_start", kwargs=quiz_url))
    assert started.status_code == 302
    attempt = learner.attempts.get()
    submitted = client.post(reverse("attempt_submit", kwargs={"pk": attempt.pk}), {"confirm": "1"})
    assert submitted.status_code == 302
    assert client.get(submitted["Location"]).status_code == 200
    assert client.get(reverse("my_data")).status_code == 200
    # Launched, read, attempted, answered (blank), failed: all kept for a later run.
    assert OutboxStatement.objects.filter(state="waiting").count() == 5


@pytest.mark.parametrize("answer", ANSWERS)
def test_a_bad_lrs_leaves_every_statement_waiting_with_its_reason(
    bad_lrs, answer, learner, now, caplog
):
    bad_lrs(answer)
    course = course_with_modules(modules=1, lessons=3, final_exam=False)
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)
    out = io.StringIO()

    with pytest.raises(CommandError, match="wait for a later run"):  # exit status 1
        call_command("send_statements", stdout=out)

    assert "0 statements sent" in out.getvalue()
    rows = OutboxStatement.objects.all()
    assert [row.state for row in rows] == ["waiting"] * 3
    assert {row.tries for row in rows} == {1}
    assert all(row.last_error for row in rows)
    [logged] = [r for r in caplog.records if r.name == "xapi.lrs"]
    assert logged.levelname == "WARNING" and rows[0].last_error in logged.getMessage()
    # Waiting longer after each failure: 1 minute, then 2.
    first_wait = {row.next_try_at - now for row in rows}
    statements_send(now=max(row.next_try_at for row in rows))
    rows = OutboxStatement.objects.all()
    assert {row.tries for row in rows} == {2}
    assert all(row.next_try_at - now > max(first_wait) for row in rows)


@pytest.mark.parametrize(("answer", "reads"), [("204 from an LRS", 0), ("409 from an LRS", 2)])
def test_an_lrs_holding_the_statements_already_is_believed_with_its_header_or_once_read_back(
    bad_lrs, learner, now, answer, reads
):
    server = bad_lrs(answer)
    course = course_with_modules(modules=1, lessons=2, final_exam=False)
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)

    assert statements_send().sent == 2
    assert server.reads == reads
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {"sent"}
