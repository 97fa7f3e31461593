"""The course page on a phone: the learner's progress and next step come before the
syllabus, and each module's objectives fold away so the syllabus stays short."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

COURSE = "/courses/military-diplomacy/"


def test_on_a_phone_the_next_step_comes_first_and_the_syllabus_is_short(
    page, audit, enrolled_learner
):
    page.set_viewport_size(PHONE)
    page.goto(COURSE)

    start = page.get_by_role("link", name=re.compile(r"^Start\b"))
    syllabus = page.get_by_role("heading", name="Syllabus", level=2)
    assert start.bounding_box()["y"] < syllabus.bounding_box()["y"]
    assert start.bounding_box()["y"] + 48 < PHONE["height"], "Start is below the fold"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4500, f"the course page is {height} px tall on a phone"
    # Folded, not gone: a module's objectives open from its syllabus entry.
    objectives = page.get_by_text("By the end of this module you will be able to").first
    expect(objectives).to_be_hidden()
    objectives.locator("xpath=ancestor::details/summary").click()
    expect(objectives).to_be_visible()
    audit(page, "course-phone")
    audit.assert_clean()
