"""A lesson on a phone: the learner's place and progress in the course, and the course
contents, come before the lesson's text; a visitor reads an open preview the same way."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


def reading_order(course):
    return list(course.lessons.order_by("module__position", "position"))


def above_the_fold(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] + box["height"] <= PHONE["height"]


def test_on_a_phone_progress_and_contents_come_before_the_lesson_text(
    page, audit, course, enrolled_learner
):
    from progress.services import lesson_complete

    lessons = reading_order(course)
    for lesson in lessons[:2]:
        lesson_complete(learner=enrolled_learner, lesson=lesson)
    page.set_viewport_size(PHONE)
    page.goto(lessons[2].get_absolute_url())

    position = page.locator("#lesson-position")
    contents = page.get_by_role("button", name="Course contents")
    text = page.locator(".lesson-body p").first
    expect(position).to_have_text(re.compile(r"^Lesson 3 of 18 · \d+% done$"))
    assert position.text_content() != "Lesson 3 of 18 · 0% done"
    for shown in (position, contents):
        assert above_the_fold(shown), f"{shown} is below the fold"
        assert shown.bounding_box()["y"] < text.bounding_box()["y"]
    audit(page, "lesson-phone")
    contents.click()
    expect(page.get_by_role("navigation", name="Course contents")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Course progress")).to_be_visible()
    audit.assert_clean()


def test_a_visitor_on_a_phone_reads_the_first_lesson_and_is_asked_to_enrol(page, audit, course):
    page.set_viewport_size(PHONE)
    page.goto(course.get_absolute_url())
    expect(page.get_by_text("Not started")).to_have_count(0)
    expect(page.get_by_text("Locked")).to_have_count(0)
    audit(page, "course-visitor")

    first = reading_order(course)[0]
    expect(page.get_by_role("link", name=first.title, exact=True)).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Read the first lesson")).click()
    page.wait_for_url(f"**{first.get_absolute_url()}")
    position = page.locator("#lesson-position")
    expect(position).to_have_text("Lesson 1 of 18 · open preview")
    assert above_the_fold(position)
    enrol = page.get_by_role("button", name="Enrol to continue")
    expect(enrol).to_be_visible()
    expect(page.get_by_role("button", name="Complete and continue")).to_have_count(0)
    audit(page, "lesson-visitor")
    audit.assert_clean()
