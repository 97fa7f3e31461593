"""An autosave that fails never costs the learner their page or their answer.

The save endpoint is made to fail in the browser (Playwright's routing) for the first
few saves, then let through: the quiz stays, its status line says the answer is not
saved and is being retried, the typed text stays in the field, and once a retry gets
through the line says "Saved" and the answer is in the database.
"""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from assessments.models import Response
from progress.services import enrollment_create, quiz_attempt_start
from tests.browser.conftest import log_in
from tests.browser.quiz import question
from tests.factories import QuizFactory, UserFactory, course_with_modules, short_question

pytestmark = pytest.mark.browser

SAVE = re.compile(r"/attempts/\d+/answers/\d+/$")
NOT_SAVED = "Not saved — retrying"
# The page waits 2 s, then 5 s, before retrying a failed save (static/courseware/attempt.js):
# the page's clock is moved on by the longest of these waits instead of the test sitting
# through them (see ``saved_after_retries``).
LONGEST_RETRY_WAIT_MS = 5_000
# Real time for the page to send a retry and show its answer: generous, for a loaded machine.
RETRIED_WITHIN_SECONDS = 20
DJANGO_DEBUG_500 = """<!DOCTYPE html>
<html lang="en"><head><title>OperationalError at /attempts/1/answers/1/</title>
<style>body { background: #eee; }</style></head>
<body><div id="summary"><h1>OperationalError at /attempts/1/answers/1/</h1>
<pre class="exception_value">database is locked</pre></div>
<div id="traceback"><h2>Traceback</h2><pre>File "django/db/backends/utils.py", line 105,
in _execute: return self.cursor.execute(sql, params)</pre></div>
<script>window.onload = function () { document.title = "Traceback"; };</script>
</body></html>"""

FAILURES: dict[str, Callable] = {
    "server error": lambda route: route.fulfill(status=500, body="Server Error (500)"),
    "bad gateway from a proxy": lambda route: route.fulfill(
        status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>"
    ),
    "forbidden": lambda route: route.fulfill(status=403, body="CSRF verification failed."),
    "network down": lambda route: route.abort("internetdisconnected"),
}


@pytest.fixture
def attempt(live_server, context):
    """A learner, logged in in ``context``, with an open attempt at a two-question quiz."""
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False)
    quiz = QuizFactory(module=course.modules.get(), title="Capitals")
    short_question(
        quiz=quiz, position=1, text="The capital of Finland?", answers=[("Helsinki", 100)]
    )
    short_question(
        quiz=quiz, position=2, text="The capital of Chile?", answers=[("Santiago", 100)]
    )
    learner = UserFactory()
    enrollment_create(learner=learner, course=course)
    log_in(context, learner, live_server)
    return quiz_attempt_start(learner=learner, quiz=quiz)


def fail_first_saves(page, times: int, fail: Callable) -> list[str]:
    """Make the first ``times`` saves fail with ``fail``; the list grows by one per save."""
    saves = []

    def handle(route):
        saves.append(route.request.url)
        if len(saves) <= times:
            fail(route)
        else:
            route.continue_()

    page.route(SAVE, handle)
    return saves


def type_answer(page, slot: int, text: str):
    """Type into question ``slot``'s field, key by key, as a learner does; its status line."""
    group = question(page, slot)
    field = group.get_by_role("textbox")
    field.press_sequentially(text, delay=30)
    return field, group.locator("[aria-live]")


def saved_after_retries(page, status) -> None:
    """Wait until the status line says the answer is saved, moving the page's clock past each
    retry's wait: the retries go out as they would, minus the seconds spent waiting.

    A jump taken before a failed save's retry is scheduled just does nothing; the next one
    fires it. Each jump fires a due timer at most once, so no retry is sent twice."""
    deadline = time.monotonic() + RETRIED_WITHIN_SECONDS
    while True:
        page.clock.fast_forward(LONGEST_RETRY_WAIT_MS)
        try:
            expect(status).to_have_text("✓ Saved", timeout=300)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def quiz_page(page, attempt) -> None:
    """Open the attempt with the page's clock in the test's hands (it runs on by itself)."""
    page.clock.install()
    page.goto(f"/attempts/{attempt.pk}/")


def assert_still_on_the_quiz(page, field, status, typed: str) -> None:
    expect(status).to_contain_text(NOT_SAVED)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Capitals")
    expect(page.get_by_role("button", name="Submit answers")).to_be_visible()
    expect(field).to_have_value(typed)


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_autosave_keeps_the_answer_and_is_retried_until_saved(page, attempt, failure):
    saves = fail_first_saves(page, 2, FAILURES[failure])
    quiz_page(page, attempt)

    field, status = type_answer(page, 1, "Helsinki")

    assert_still_on_the_quiz(page, field, status, "Helsinki")
    # No key pressed since: the page sends the answer again by itself until it is stored.
    saved_after_retries(page, status)
    assert len(saves) == 3
    assert Response.objects.get(attempt=attempt, slot=1).answer == "Helsinki"
    expect(field).to_have_value("Helsinki")


def test_an_answer_changed_while_retrying_is_the_one_saved(page, attempt):
    fail_first_saves(page, 1, FAILURES["server error"])
    quiz_page(page, attempt)

    field, status = type_answer(page, 2, "Santiag")
    expect(status).to_contain_text(NOT_SAVED)
    field.press_sequentially("o", delay=30)

    saved_after_retries(page, status)
    assert Response.objects.get(attempt=attempt, slot=2).answer == "Santiago"


def test_a_server_error_page_never_appears_in_the_quiz(page, attempt, settings):
    # With DEBUG on, Django answers a crash with its technical page (a traceback): the
    # development setup is where a learner-facing page would most easily show it.
    settings.DEBUG = True
    fail_first_saves(
        page,
        1,
        lambda route: route.fulfill(status=500, content_type="text/html", body=DJANGO_DEBUG_500),
    )
    quiz_page(page, attempt)

    field, status = type_answer(page, 1, "Helsinki")

    assert_still_on_the_quiz(page, field, status, "Helsinki")
    html = page.content()
    for trace in ("OperationalError", "database is locked", "Traceback", "_execute"):
        assert trace not in html
    assert page.title() != "Traceback"
    saved_after_retries(page, status)
    assert Response.objects.get(attempt=attempt, slot=1).answer == "Helsinki"


def test_a_save_never_moves_the_questions_below_it(page, attempt):
    # The learner is aiming at the next question while the last one saves: the status line
    # appearing must not push the next field away from under the pointer.
    page.goto(f"/attempts/{attempt.pk}/")
    below = question(page, 2).get_by_role("textbox")
    before = below.bounding_box()

    _, status = type_answer(page, 1, "Helsinki")
    expect(status).to_have_text("✓ Saved")

    assert below.bounding_box()["y"] == before["y"]
