"""With JavaScript off, the learner's journey still works: plain forms and redirects."""

import re

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, Response
from tests.browser.conftest import follow, log_in
from tests.browser.quiz import answer_questions, choose, open_attempt_id, question
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_context, live_server, course):
    context = new_context(java_script_enabled=False)
    learner = UserFactory(username="nojs", first_name="Noam", last_name="Script")
    log_in(context, learner, live_server)
    page = context.new_page()
    page.learner = learner
    return page


def test_without_javascript_a_learner_enrols_reads_and_passes_a_quiz(page, course):
    page.goto(course.get_absolute_url())
    page.get_by_role("button", name="Enrol").click()
    follow(page, page.get_by_role("link", name=re.compile(r"^Start\b")))

    # “Mark as complete” posts the form and comes back to the lesson, with a
    # message (the htmx path swaps the panel in place and shows none).
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("“Introduction” marked as complete.")).to_be_visible()
    expect(page.get_by_text("You have completed this lesson")).to_be_visible()
    follow(page, page.get_by_role("link", name=re.compile(r"^Next lesson: ")))

    while "/lessons/" in page.url:
        follow(page, page.get_by_role("button", name="Complete and continue"))
    assert "/quizzes/" in page.url

    follow(page, page.get_by_role("button", name="Start attempt"))
    attempt_id = open_attempt_id(page)
    answer_questions(page, right=True)

    # Saving without JavaScript keeps the answers across a reload. The save redirects back to
    # the attempt page: wait until that page has loaded, a reload during it finds no page.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Save answers").click()
    assert Response.objects.filter(attempt_id=attempt_id, answer__isnull=True).count() == 0
    page.reload()
    for response in Response.objects.filter(attempt_id=attempt_id, shown__kind="single"):
        chosen = next(c for c in response.shown["choices"] if c["id"] == response.answer)
        expect(choose(question(page, response.slot), chosen["text"])).to_be_checked()

    follow(page, page.get_by_role("button", name="Submit answers"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Result")
    expect(page.get_by_role("main")).not_to_contain_text("Not passed")
    expect(page.get_by_role("main")).to_contain_text("Passed")
    assert Attempt.objects.get(pk=attempt_id).passed is True
