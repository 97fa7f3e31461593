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


HTML = {"Content-Type": "text/html"}
JSON = {"Content-Type": "application/json"}
# What Ralph answers a statement it refuses (422, the list of what is wrong).
RALPH_REFUSAL = json.dumps(
    {"detail": [{"type": "missing", "loc": ["body", 0, "actor"], "msg": "Field required"}]}
).encode()


class BadLrs(BaseHTTPRequestHandler):
    """Answers every request as ``server.answer`` says: 500, a 200 that is not xAPI, a 401,
    too late; or what a proxy or a wrong address may answer an LRS's client: 204 to anything
    (without the header of an LRS), a 200 with an empty list, a 409 for statements it cannot
    show, a 400 or 413 of its own. Counts the POSTs (``posts``) and the reads (``reads``)."""

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
        # nginx, with XAPI_ENDPOINT at http:// on its https port; a WAF; an API gateway.
        "400 from a proxy": (
            400,
            b"<html><center>The plain HTTP request was sent to HTTPS port</center></html>",
            HTML,
        ),
        # nginx's client_max_body_size.
        "413 from a proxy": (413, b"<html><h1>413 Request Entity Too Large</h1></html>", HTML),
        "422 from a gateway": (422, b'{"message": "Unprocessable"}', JSON),
        # An LRS refusing every statement (misconfigured, or not the LRS expected).
        "422 from an LRS": (422, RALPH_REFUSAL, JSON),
        "400 with the header": (400, b"Invalid statement", {"X-Experience-API-Version": "1.0.3"}),
    }
    READ_BACK = {"204": (204, b""), "409": (404, b'{"detail": "Not found"}')}
    # Answers that hold the statements and show each when asked (as xAPI 1.0.3 has it).
    SHOWN = {"409 from an LRS", "lists the first, holds all", "lists none, holds all"}

    def do_POST(self):
        self.server.posts += 1
        posted = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        answer = self.server.answer
        if answer == "slow":
            time.sleep(2)
            answer = "500"
        if answer == "refuses the marked":  # an LRS, with statements marked as bad
            marked = any("refuse" in statement for statement in posted)
            answer = self.server.refusal if marked else "lists all"
        if answer.startswith("lists"):  # a 200 naming some of the statements it stored
            ids = [statement["id"] for statement in posted]
            listed = {"lists all": ids, "lists the first": ids[:1], "lists none": []}
            [named] = [named for start, named in listed.items() if answer.startswith(start)]
            self._answer(200, json.dumps(named).encode(), JSON)
            return
        self._answer(*self.ANSWERS[answer])

    def do_GET(self):
        self.server.reads += 1
        if self.server.answer in self.SHOWN:
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
            server.answer, server.posts, server.reads = answer, 0, 0
            server.refusal = "422 from an LRS"
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        settings.XAPI_ENDPOINT = f"http://127.0.0.1:{port}/xAPI/"
        settings.XAPI_USERNAME, settings.XAPI_PASSWORD = "courseware", "secret"
        return servers[-1] if answer != "refused" else None

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


ANSWERS = [
    "500",
    "garbage",
    "401",
    "slow",
    "refused",
    "204",
    "empty list",
    "409",
    "400 from a proxy",
    "413 from a proxy",
    "422 from a gateway",
]


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
    # A proxy finding each statement too large on its own: the breaker's error (below).
    level = "ERROR" if answer == "413 from a proxy" else "WARNING"
    assert logged.levelname == level and rows[0].last_error in logged.getMessage()
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


def lessons_read(learner, count, *, now):
    course = course_with_modules(modules=1, lessons=count, final_exam=False)
    enrollment_create(learner=learner, course=course)
    for lesson in course.lessons.all():
        lesson_complete(learner=learner, lesson=lesson, now=now)


@pytest.mark.parametrize(
    ("answer", "posts", "stopped"),
    [
        ("400 from a proxy", 1, "not an LRS's answer"),
        ("422 from a gateway", 1, "not an LRS's answer"),
        ("413 from a proxy", 7, "refused each of the 4 statements"),
    ],
)
def test_a_proxy_refusing_everything_refuses_no_statement_and_stops_at_once(
    bad_lrs, learner, now, answer, posts, stopped
):
    """A 400 or 422 that is not an LRS's is not split at all; a proxy's 413 is split (smaller
    batches may pass) down to each statement, too large for it on its own: refused, all of
    them, so the proxy is at fault, not the statements. Either way nothing is refused for
    good and the next run tries again."""
    server = bad_lrs(answer)
    lessons_read(learner, 6, now=now)

    sending = statements_send(batch_size=4)

    assert server.posts == posts
    assert (sending.sent, sending.refused) == (0, 0)
    assert answer.split()[0] in sending.stopped and stopped in sending.stopped
    rows = OutboxStatement.objects.all()
    assert [row.state for row in rows] == ["waiting"] * 6
    assert [row.tries for row in rows] == [1] * 4 + [0] * 2  # the next batch was not tried
    assert all(answer.split()[0] in row.last_error for row in rows[:4])


def test_an_lrs_refusing_every_statement_of_a_batch_refuses_none_and_stops_the_run(
    bad_lrs, learner, now, caplog
):
    server = bad_lrs("422 from an LRS")
    lessons_read(learner, 5, now=now)

    sending = statements_send(batch_size=4)

    assert "refused each of the 4 statements" in sending.stopped
    assert (sending.sent, sending.refused) == (0, 0)
    assert server.posts == 7  # the batch of four, its halves, each statement
    assert set(OutboxStatement.objects.values_list("state", flat=True)) == {"waiting"}
    tried = OutboxStatement.objects.filter(tries=1)
    assert tried.count() == 4  # the run stopped after the first batch
    assert all("Field required" in row.last_error for row in tried)
    [logged] = [r for r in caplog.records if r.name == "xapi.lrs"]
    assert logged.levelname == "ERROR"


@pytest.mark.parametrize("refusal", ["422 from an LRS", "400 with the header"])
def test_refused_statements_are_sent_again_once_the_lrs_is_mended(bad_lrs, learner, now, refusal):
    """A statement refused by an LRS (Ralph's error body, or any body with the header of an
    LRS), then the LRS mended: ``--retry-refused`` puts it back in the queue and sends it,
    its refusal kept."""
    server = bad_lrs("refuses the marked")
    server.refusal = refusal
    lessons_read(learner, 2, now=now)
    refused = OutboxStatement.objects.last()
    refused.statement = {**refused.statement, "refuse": True}
    refused.save()
    first = statements_send()
    assert (first.sent, first.refused) == (1, 1)
    refused.refresh_from_db()
    assert refused.state == "refused"
    server.answer = "lists all"
    out = io.StringIO()

    call_command("send_statements", "--retry-refused", stdout=out)

    assert out.getvalue() == "1 refused statement put back in the queue.\n1 statement sent.\n"
    refused.refresh_from_db()
    assert refused.state == "sent"
    assert refused.refused_before == BadLrs.ANSWERS[refusal][1].decode()
    assert refused.tries == 2
    call_command("send_statements", "--retry-refused", stdout=out)
    assert "0 refused statements put back in the queue.\n0 statements sent." in out.getvalue()


@pytest.mark.parametrize(
    ("answer", "sent", "reads"),
    [
        ("lists the first, holds all", 3, 2),
        ("lists none, holds all", 3, 3),
        ("lists the first, holds only those", 1, 1),
    ],
)
def test_statements_a_200_leaves_out_are_read_back_before_they_count_as_sent(
    bad_lrs, learner, now, answer, sent, reads
):
    """An LRS may leave out of its 200 the statements it held already, down to an empty
    list: each one left out is read back. Those it cannot show wait for a later run."""
    server = bad_lrs(answer)
    lessons_read(learner, 3, now=now)

    sending = statements_send()

    assert sending.sent == sent
    assert server.reads == reads
    states = list(OutboxStatement.objects.values_list("state", flat=True))
    assert states == ["sent"] * sent + ["waiting"] * (3 - sent)
