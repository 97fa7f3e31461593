"""An instructor imports a changed course zip in the admin: reads the plan (the lessons
added, changed and archived, and the learners each change touches), applies it, and sees
the change, in the admin and on the learner's page.

The admin's pages are Django's (no Bootstrap), so they are checked with axe alone, at
desktop width; the learner's page goes through the whole ``audit``.
"""

import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lessons.models import Course, Lesson, Status
from progress.services import enrollment_create, lesson_complete
from tests.browser.conftest import follow
from tests.browser.test_authoring import admin_log_in, audit_at_desktop_width, submit
from tests.factories import UserFactory, make_instructor

pytestmark = pytest.mark.browser

COURSE = "slug: signals\ntitle: Signals\nmodules:\n- basics\n"


def module(*lessons: tuple[str, str, str]) -> str:
    body = "\n".join(f"# {title} {{#{slug}}}\n\n{text}\n" for slug, title, text in lessons)
    return f"---\ntitle: Basics\n---\n\n{body}"


FIRST = module(
    ("calls", "Call Signs", "A call sign names a station on the net."),
    ("nets", "Nets", "A net is the stations that share one frequency."),
)
CHANGED = module(
    ("calls", "Call Signs", "A call sign names a station on the net, never a person."),
    ("relays", "Relays", "A relay passes a message to a station out of range."),
)


def course_zip(folder: Path, name: str, module_text: str) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("signals/course.yaml", COURSE)
        archive.writestr("signals/modules/basics.md", module_text)
    return path


def upload(page, path: Path, audit, name: str):
    page.goto("/admin/lessons/course/")
    follow(page, page.get_by_role("link", name="Import course (zip)"))
    page.get_by_label("Course zip").set_input_files(path)
    submit(page, page.get_by_role("button", name="Show the plan"))
    expect(page.locator(".errornote, .errorlist")).to_have_count(0)
    plan = page.get_by_label("Plan")
    audit_at_desktop_width(audit, page, name)
    return plan


def test_an_instructor_reads_the_plan_of_a_changed_zip_applies_it_and_sees_the_change(
    new_context, audit, live_server, tmp_path
):
    ines = make_instructor("ines")
    teacher = new_context().new_page()
    admin_log_in(teacher, ines.username)

    plan = upload(teacher, course_zip(tmp_path, "first.zip", FIRST), audit, "plan-new")
    expect(plan).to_contain_text("Plan: the course signals is new. Nothing has been written.")
    assert not Course.objects.exists()
    submit(teacher, teacher.get_by_role("button", name="Apply this import"))
    course = Course.objects.get(slug="signals")
    assert course.status == Status.PUBLISHED

    # Two learners read the lesson that will change; one read the one that will go.
    readers = [UserFactory(), UserFactory()]
    for learner in readers:
        enrollment_create(learner=learner, course=course)
        lesson_complete(learner=learner, lesson=Lesson.objects.get(slug="calls"))
    lesson_complete(learner=readers[0], lesson=Lesson.objects.get(slug="nets"))

    plan = upload(teacher, course_zip(tmp_path, "changed.zip", CHANGED), audit, "plan-changed")
    expect(plan).to_contain_text("Plan for signals. Nothing has been written.")
    expect(plan).to_contain_text(
        "changed  calls (body) — touches 2 learners: read it; their reading is kept"
    )
    expect(plan).to_contain_text(
        "archived nets — touches 1 learner: read it; their reading is kept"
    )
    expect(plan).to_contain_text("added    relays — touches 2 learners")
    # Nothing is written before it is applied.
    assert Lesson.objects.get(slug="calls").body == "A call sign names a station on the net."
    assert not Lesson.objects.filter(slug="relays").exists()

    submit(teacher, teacher.get_by_role("button", name="Apply this import"))
    expect(teacher.locator("ul.messagelist li").first).to_contain_text(
        "Imported “Signals” from changed.zip"
    )
    assert Lesson.objects.get(slug="nets").status == Status.ARCHIVED

    # The learner reads the changed lesson, and the new one in the course's outline.
    learner = new_context().new_page()
    learner.goto(f"/courses/{course.slug}/")
    expect(learner.get_by_role("main")).to_contain_text("Relays")
    expect(learner.get_by_role("main")).not_to_contain_text("Nets")
    learner.goto(Lesson.objects.get(slug="calls").get_absolute_url())
    expect(learner.get_by_role("main")).to_contain_text("never a person")
    audit(learner, "plan-changed-lesson")
    audit.assert_clean()
