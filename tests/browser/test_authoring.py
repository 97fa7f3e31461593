"""An instructor builds a course from nothing in the admin; a learner takes it; the
instructor follows them; another instructor sees none of it.

Only our own pages go through ``audit`` (axe, Bootstrap, 375 px): the Django admin is
Django's, with its own stylesheet and no Bootstrap, so its pages are driven here and
checked for what they show; test_admin_pages.py holds its authoring pages to axe. Every request of every context, the admin's
included, is still checked for leaving the app or failing to load.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, Question, Quiz
from lessons.models import Course, Lesson, Status
from progress.models import Enrollment, LessonCompletion
from tests.browser.conftest import PASSWORD, axe_violations, follow
from tests.browser.quiz import answer_questions, open_attempt_id
from tests.browser.test_journey import expect_result, start_attempt
from tests.factories import UserFactory, make_instructor

pytestmark = pytest.mark.browser

TITLE = "Field Hygiene"
SLUG = "field-hygiene"
MODULE = "Staying healthy in the field"
OBJECTIVES = ["Explain why water is treated.", "List the steps of hand washing."]
LESSONS = ["Water", "Hands"]
BODY = """\
## Why {topic} matters

In the field, {topic} decides who stays fit to serve.

- Check it every morning.
- Report a problem at once.

Read the [field manual](https://example.org/manual) for more.
"""
SAVED = re.compile(r"was (added|changed) successfully")


def admin_log_in(page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def submit(page, button) -> None:
    """Click a button that posts a form and wait for the answer to load.

    Unlike ``follow``, the answer may be at the same address (“Save and continue
    editing”, an action on a list)."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state("load")


def save(page, button: str = "Save and continue editing") -> None:
    submit(page, page.get_by_role("button", name=button, exact=True))
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator("ul.messagelist .success").last).to_contain_text(SAVED)


def inline_row(page, group: str, index: int):
    """Row ``index`` (from 0) of the tabular inline whose formset prefix is ``group``."""
    return page.locator(f"#{group}-{index}")


def create_course(page) -> Course:
    page.goto("/admin/")
    follow(page, page.get_by_role("row", name="Courses").get_by_role("link", name="Add"))
    # The course's own fields, not those of the modules' rows (named alike for screen
    # readers). Typed key by key: the slug follows the title as it is typed.
    course_fields = page.locator("fieldset.aligned")
    course_fields.get_by_label("Title").press_sequentially(TITLE)
    expect(course_fields.get_by_label("Slug")).to_have_value(SLUG)
    page.get_by_label("Summary").fill("Keeping a unit healthy away from barracks.")
    expect(course_fields.get_by_label("Status")).to_have_value(Status.DRAFT)
    page.get_by_role("button", name="Add another Module").click()
    row = inline_row(page, "modules", 0)
    row.locator("[name='modules-0-title']").press_sequentially(MODULE)
    expect(row.locator("[name='modules-0-slug']")).to_have_value("staying-healthy-in-the-field")
    save(page)
    return Course.objects.get(slug=SLUG)


def write_module(page, course: Course) -> None:
    """From the course page to the module: objectives, one per line."""
    follow(page, inline_row(page, "modules", 0).get_by_role("link", name="Change"))
    expect(page.get_by_role("heading", level=2, name=MODULE)).to_be_visible()
    page.get_by_label("Objectives").fill("\n".join(OBJECTIVES))
    save(page)
    assert course.modules.get().objectives == OBJECTIVES


def write_lesson(page, title: str) -> None:
    """On the lesson add page: the lesson, its body previewed, then saved."""
    page.get_by_label("Module").select_option(label=f"{TITLE} › {MODULE}")
    page.get_by_label("Title").press_sequentially(title)
    expect(page.get_by_label("Slug")).to_have_value(title.lower())
    page.get_by_label("Body").fill(BODY.format(topic=title.lower()))
    page.get_by_role("button", name="Preview the body").click()
    preview = page.locator("#lesson-preview")
    expect(preview.get_by_role("heading", name=f"Why {title.lower()} matters")).to_be_visible()
    expect(preview.get_by_role("listitem")).to_have_count(2)
    expect(preview.get_by_role("link", name="field manual")).to_have_attribute(
        "href", "https://example.org/manual"
    )


def add_lessons(page) -> None:
    page.goto("/admin/")
    follow(page, page.get_by_role("row", name="Lessons").get_by_role("link", name="Add"))
    for title in LESSONS:
        write_lesson(page, title)
        save(page, "Save and add another" if title != LESSONS[-1] else "Save")


def add_quiz(page, course: Course) -> Quiz:
    """From the module page's “Add one” link: the quiz, then each question with its answers
    on one page, the preview showing it as learners will."""
    page.goto(f"/admin/lessons/module/{course.modules.get().pk}/change/")
    follow(page, page.get_by_role("link", name="Add one"))
    expect(page.get_by_label("Title")).to_have_value(f"{MODULE} quiz")
    page.get_by_label("Pass mark").fill("50")
    save(page)
    quiz = Quiz.objects.get(course=course)
    questions = [
        (
            "Boiling",
            Question.Kind.SINGLE,
            "How long should water boil?",
            [("One minute", "100"), ("Not at all", "0")],
        ),
        # True and False are there from the start: the instructor only says which is right.
        ("Soap", Question.Kind.TRUE_FALSE, "Soap is needed to wash hands.", []),
    ]
    for title, kind, text, choices in questions:
        page.goto(f"/admin/assessments/quiz/{quiz.pk}/change/")
        follow(page, page.get_by_role("link", name="Add a question"))
        if kind != Question.Kind.SINGLE:
            # Choosing the kind shows its answers (the page comes back with them).
            with page.expect_navigation():
                page.get_by_label("Kind").select_option(kind)
            expect(page.get_by_label("Kind")).to_have_value(kind)
        page.get_by_label("Title").fill(title)
        page.locator("#id_text").fill(text)
        for number, (answer, weight) in enumerate(choices):
            row = inline_row(page, "choices", number)
            row.locator(f"[name='choices-{number}-text']").fill(answer)
            row.locator(f"[name='choices-{number}-weight']").fill(weight)
        preview = page.locator("#question-preview")
        expect(preview).to_contain_text(text)
        for answer, _ in choices:
            expect(preview.get_by_label(answer)).to_be_visible()
        save(page, "Save")
        expect(page.locator("ul.messagelist .warning")).to_have_count(0)
    assert quiz.questions.count() == 2
    return quiz


def reorder_lessons(page, course: Course) -> None:
    """On the module page, drag the second lesson above the first and save."""
    page.goto(f"/admin/lessons/module/{course.modules.get().pk}/change/")
    rows = page.locator("fieldset.sortable tr.has_original")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(LESSONS[0])
    rows.nth(1).locator("td.original p").drag_to(rows.nth(0).locator("td.original p"))
    expect(rows.nth(0)).to_contain_text(LESSONS[1])
    save(page)
    expect(rows.nth(0)).to_contain_text(LESSONS[1])


def preview_as_learner(page, course: Course, audit) -> None:
    """The draft course as learners will see it, from the course page's tool."""
    page.goto(f"/admin/lessons/course/{course.pk}/change/")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Preview as learner").click()
    preview = opened.value
    preview.wait_for_load_state("load")
    expect(preview.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(preview.get_by_role("status")).to_contain_text("this course is draft")
    syllabus = preview.get_by_role("region", name=f"Module 1: {MODULE}")
    # The objectives are folded under the module's "What you will learn".
    syllabus.get_by_text("What you will learn").click()
    for objective in OBJECTIVES:
        expect(syllabus.get_by_role("listitem").filter(has_text=objective)).to_be_visible()
    # The order of the module page, dragged and saved, is the learners' order.
    expect(syllabus.locator("ol > li a")).to_have_text(list(reversed(LESSONS)))
    audit(preview, "authoring-preview-course")
    follow(preview, syllabus.get_by_role("link", name=LESSONS[1]))
    expect(preview.get_by_role("heading", level=1)).to_have_text(LESSONS[1])
    expect(preview.get_by_role("link", name="field manual")).to_be_visible()
    audit(preview, "authoring-preview-lesson")
    preview.close()


def publish(page, course: Course, *, title: str = TITLE) -> None:
    page.goto("/admin/lessons/course/")
    page.get_by_role("row", name=title).get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Publish selected courses")
    submit(page, page.get_by_role("button", name="Go"))
    expect(page.locator("ul.messagelist")).to_contain_text("1 course set to published.")
    course.refresh_from_db()
    assert course.status == Status.PUBLISHED


def enrol_and_take_the_course(page, audit) -> Attempt:
    """A learner finds the course in the catalogue, logs in to enrol, reads, passes the quiz."""
    page.goto("/")
    follow(page, page.get_by_role("link", name=TITLE))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    audit(page, "authoring-course")
    follow(page, page.get_by_role("button", name="Enrol"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Log in"))
    page.get_by_role("button", name="Enrol").click()
    follow(page, page.get_by_role("link", name=re.compile(r"^Start\b")))
    # The first lesson is the one dragged to the top.
    for title in reversed(LESSONS):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(
            page.get_by_role("listitem").filter(has_text="Check it every morning.")
        ).to_be_visible()
        audit(page, "authoring-lesson", screenshots=title == LESSONS[1])
        follow(page, page.get_by_role("button", name="Complete and continue"))
    start_attempt(page)
    attempt = Attempt.objects.get(pk=open_attempt_id(page))
    answer_questions(page, right=True)
    audit(page, "authoring-attempt")
    follow(page, page.get_by_role("button", name="Submit answers"))
    expect_result(page, f"{MODULE} quiz", passed=True)
    attempt.refresh_from_db()
    assert attempt.percent == 100
    return attempt


def audit_at_desktop_width(audit, page, name: str) -> None:
    """axe only, at desktop width: for the instructor area, whose tables (course list,
    funnel, answers) are still wider than a 375 px phone. The phone check stays on
    every learner page; this journey is not where the instructor area's layout is fixed.
    """
    page.wait_for_load_state("load")
    audit.axe.add(axe_violations(page), f"{name} {urlsplit(page.url).path} (1280 px)")


def follow_the_learner(page, audit) -> None:
    page.goto("/teach/")
    audit_at_desktop_width(audit, page, "authoring-teach-index")
    follow(page, page.get_by_role("link", name=TITLE))
    matrix = page.get_by_role("table", name=re.compile("Each learner"))
    row = matrix.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(row).to_contain_text("100%")
    expect(row).to_contain_text("2/2 read")
    expect(row).to_contain_text("quiz 100%")
    audit_at_desktop_width(audit, page, "authoring-teach-course")
    follow(page, row.get_by_role("link", name="Ada Lovelace"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace")
    main = page.get_by_role("main")
    for title in LESSONS:
        expect(main.get_by_role("row", name=re.compile(title))).to_be_visible()
    expect(main).to_contain_text(f"{MODULE} quiz")
    audit_at_desktop_width(audit, page, "authoring-teach-learner")


def sees_nothing_of_it(page, course: Course, quiz: Quiz) -> None:
    """Another instructor: not in their lists or choices, not by address, not in /teach/."""
    pages = [f"/admin/lessons/{name}/" for name in ("course", "module", "lesson")]
    pages += [f"/admin/assessments/{name}/" for name in ("quiz", "question", "attempt")]
    # Add pages: nothing of it offered to attach new content to.
    pages += ["/admin/lessons/lesson/add/", "/admin/assessments/quiz/add/"]
    for address in pages:
        response = page.goto(address)
        assert response.status == 200, address
        for shown in (TITLE, MODULE, *LESSONS, "Boiling", "Soap"):
            expect(page.locator("#content")).not_to_contain_text(shown)
    # By address, the admin answers exactly as for an id that never existed: back to
    # its index, saying so.
    missing = max(Course.objects.values_list("pk", flat=True)) + 1
    for address, pk in [
        (f"/admin/lessons/course/{course.pk}/change/", course.pk),
        (f"/admin/lessons/course/{missing}/change/", missing),
        (f"/admin/lessons/course/{course.pk}/delete/", course.pk),
    ]:
        page.goto(address)
        expect(page).to_have_url(re.compile(r"/admin/$"))
        expect(page.locator("ul.messagelist")).to_contain_text(
            f"Course with ID “{pk}” doesn’t exist"
        )
    page.goto(f"/admin/assessments/quiz/{quiz.pk}/change/")
    expect(page.locator("ul.messagelist")).to_contain_text(f"Quiz with ID “{quiz.pk}” doesn’t")

    page.goto("/teach/")
    expect(page.get_by_role("main")).not_to_contain_text(TITLE)
    for address in (f"/teach/{SLUG}/", f"/teach/{SLUG}/gradebook/"):
        response = page.goto(address)
        assert response.status == 403, address
        expect(page.get_by_role("main")).not_to_contain_text("Ada Lovelace")


def test_an_instructor_authors_a_course_a_learner_takes_it_another_cannot_see_it(
    new_context, audit, live_server
):
    ines = make_instructor("ines")
    otto = make_instructor("otto")
    assert not ines.is_superuser
    teacher = new_context().new_page()
    admin_log_in(teacher, "ines")

    course = create_course(teacher)
    assert list(course.instructors.all()) == [ines]
    write_module(teacher, course)
    add_lessons(teacher)
    assert [lesson.title for lesson in Lesson.objects.filter(course=course)] == LESSONS
    quiz = add_quiz(teacher, course)
    assert quiz.questions.count() == 2
    reorder_lessons(teacher, course)
    assert list(Lesson.objects.filter(course=course).values_list("title", flat=True)) == list(
        reversed(LESSONS)
    )
    preview_as_learner(teacher, course, audit)
    learner = new_context().new_page()
    # A draft: not in the catalogue, not at its address, not even asking for a preview.
    learner.goto("/")
    expect(learner.get_by_role("main")).not_to_contain_text(TITLE)
    assert learner.goto(f"/courses/{SLUG}/?preview=1").status == 404
    publish(teacher, course)

    UserFactory(username="ada", first_name="Ada", last_name="Lovelace")
    attempt = enrol_and_take_the_course(learner, audit)
    assert attempt.quiz == quiz
    # Ines's previews recorded nothing: the learner's is the only enrolment.
    assert list(Enrollment.objects.values_list("learner__username", flat=True)) == ["ada"]
    assert set(LessonCompletion.objects.values_list("learner__username", flat=True)) == {"ada"}

    follow_the_learner(teacher, audit)

    other = new_context().new_page()
    admin_log_in(other, otto.username)
    sees_nothing_of_it(other, course, quiz)
    audit.assert_clean()
