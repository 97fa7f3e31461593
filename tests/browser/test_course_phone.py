"""The course page on a phone: the learner's progress and next step come before the
syllabus, and each module's objectives and lessons fold away (but the lessons of the module
holding the next step) so the syllabus stays short."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

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
    print(f"course page at 375 px, nothing read: {height} px tall")
    # 4,444 px with every module's lessons listed; 2,846 px with them folded.
    assert height < 3500, f"the course page is {height} px tall on a phone"
    # Folded, not gone: a module's objectives open from its syllabus entry.
    objectives = page.get_by_text("By the end of this module you will be able to").first
    expect(objectives).to_be_hidden()
    objectives.locator("xpath=ancestor::details/summary").click()
    expect(objectives).to_be_visible()
    audit(page, "course-phone")
    audit.assert_clean()


def test_on_a_phone_each_module_folds_its_lessons_but_the_one_with_the_next_step(
    page, audit, enrolled_learner, course, complete_module
):
    first, second, third = course.modules.order_by("position")[:3]
    complete_module(enrolled_learner, first, now=timezone.now())
    next_lesson = second.lessons.order_by("position").first()
    page.set_viewport_size(PHONE)
    page.goto(COURSE)

    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"course page at 375 px, a module done: {height} px tall")
    assert height < 3500, f"the course page is {height} px tall on a phone"
    # Progress and the next step first, then the syllabus.
    resume = page.get_by_role("link", name=re.compile(r"^Resume\b"))
    syllabus = page.get_by_role("heading", name="Syllabus", level=2)
    assert resume.bounding_box()["y"] < syllabus.bounding_box()["y"]
    expect(page.get_by_role("progressbar")).to_be_visible()

    folds = page.locator("details.syllabus-lessons")
    expect(folds).to_have_count(course.modules.filter(status="published").count())
    # The module holding the next step is open at its lessons; the others fold, each still
    # saying where the learner stands in it.
    expect(folds.nth(1)).to_have_attribute("open", "")
    expect(page.get_by_role("link", name=next_lesson.title, exact=True)).to_be_visible()
    for closed in (0, 2):
        expect(folds.nth(closed)).not_to_have_attribute("open", "")
    later = folds.nth(2).locator("li").first
    expect(later).to_contain_text(third.lessons.order_by("position").first().title)
    expect(later).to_be_hidden()
    expect(folds.nth(0).locator("summary")).to_contain_text("all read")
    # Unfolded on demand.
    folds.nth(2).locator("summary").click()
    expect(later).to_be_visible()
    audit(page, "course-phone-module-done")
    audit.assert_clean()

    # On a wide screen there is room: every module's lessons show.
    page.set_viewport_size(DESKTOP)
    page.reload()
    for index in range(folds.count()):
        expect(folds.nth(index)).to_have_attribute("open", "")
