"""An instructor turns a Word file into a course in the admin: uploads it, reads the report
of what was left out, reads the draft as a learner will, publishes it; a learner then finds
it in the catalogue.

The admin's pages are Django's (no Bootstrap), so they are checked with axe alone, at
desktop width; the learners' pages go through the whole ``audit``.

The Word file's figure comes into the draft with its description as alt text and its
caption beneath it, and the learner's page loads it from the app itself.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from lessons.models import Course, Status
from tests.browser.conftest import follow
from tests.browser.test_authoring import admin_log_in, audit_at_desktop_width, publish, submit
from tests.factories import make_instructor
from tests.test_course_drafts import DOCUMENTS

pytestmark = pytest.mark.browser

WORD_FILE = DOCUMENTS / "word-document.docx"
TITLE = "Radio Discipline for Section Commanders"
MODULES = ["Introduction", "Principles", "Voice Procedure in Practice"]
FIGURE_ALT = "Two radio stations joined by a single channel"
CAPTION = "Figure 1. A two-station net."


def upload_the_word_file(page, audit) -> Course:
    page.goto("/admin/lessons/course/")
    follow(page, page.get_by_role("link", name="New course from a document"))
    audit_at_desktop_width(audit, page, "intake-upload")
    page.get_by_label("Document").set_input_files(WORD_FILE)
    # The report answers at the form's own address.
    submit(page, page.get_by_role("button", name="Draft the course"))
    expect(page.locator(".errornote, .errorlist")).to_have_count(0)
    return Course.objects.get(title=TITLE)


def read_the_report(page, audit) -> None:
    """The outline, and what was left out so the instructor can check nothing was lost."""
    main = page.locator("#content-main")
    expect(main).to_contain_text("The draft course is saved: 3 modules, 5 lessons.")
    report = page.locator("pre.draft-report")
    for module in MODULES:
        expect(report).to_contain_text(module)
    expect(report).to_contain_text("Left out: nothing.")
    audit_at_desktop_width(audit, page, "intake-report")


def preview_as_learner(page, course: Course, audit) -> None:
    """From the report's link: the draft as learners will read it, the notice, the table and
    the figure with its caption included."""
    follow(page, page.get_by_role("link", name="Read it as a learner will"))
    assert urlsplit(page.url).query == "preview=1"
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text("this course is draft")
    expect(page.get_by_role("main")).to_contain_text("does not replace the signals instructions")
    for number, module in enumerate(MODULES, start=1):
        expect(page.get_by_role("region", name=f"Module {number}: {module}")).to_be_visible()
    audit(page, "intake-preview-course")
    last = page.get_by_role("region", name=f"Module 3: {MODULES[2]}")
    follow(page, last.get_by_role("link", name=MODULES[2]))
    expect(page.get_by_role("heading", level=1)).to_have_text(MODULES[2])
    expect(page.get_by_role("table")).to_contain_text("Procedure word")
    expect(page.get_by_role("cell", name="Say again")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("two stations transmitting at once")
    figure = page.get_by_role("img", name=FIGURE_ALT)
    expect(figure).to_be_visible()
    assert figure.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(page.get_by_role("main")).to_contain_text(CAPTION)
    audit(page, "intake-preview-lesson")


def test_an_instructor_drafts_a_course_from_a_word_file_and_publishes_it(
    new_context, audit, live_server
):
    ines = make_instructor("ines")
    teacher = new_context().new_page()
    admin_log_in(teacher, ines.username)

    course = upload_the_word_file(teacher, audit)
    assert course.status == Status.DRAFT
    assert list(course.instructors.all()) == [ines]
    read_the_report(teacher, audit)
    preview_as_learner(teacher, course, audit)

    learner = new_context().new_page()
    learner.goto("/")
    expect(learner.get_by_role("main")).not_to_contain_text(TITLE)
    publish(teacher, course, title=TITLE)

    learner.goto("/")
    audit(learner, "intake-catalogue")
    follow(learner, learner.get_by_role("link", name=TITLE))
    expect(learner.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(learner.get_by_role("status")).to_have_count(0)  # no preview notice
    audit(learner, "intake-course")
    audit.assert_clean()
