"""The admin's authoring pages under the Content-Security-Policy: no console error, no
request that fails, and no axe violation (WCAG 2.1 A/AA), on the pages an instructor
writes a course with: its course, module, lesson, quiz and question pages, each kind's
question editor among them."""

import pytest
from playwright.sync_api import expect

from assessments.kinds import KINDS
from assessments.models import Question
from tests.browser.conftest import DESKTOP, axe_violations
from tests.browser.test_authoring import admin_log_in, follow, inline_row, save, submit
from tests.factories import course_with_modules, make_instructor

pytestmark = pytest.mark.browser


def authoring_pages(course) -> list[str]:
    module = course.modules.order_by("position").first()
    lesson = module.lessons.order_by("position").first()
    quiz = module.quiz
    pages = [
        "/admin/",
        "/admin/lessons/course/",
        f"/admin/lessons/course/{course.pk}/change/",
        "/admin/lessons/course/add/",
        f"/admin/lessons/module/{module.pk}/change/",
        "/admin/lessons/module/add/",
        f"/admin/lessons/lesson/{lesson.pk}/change/",
        "/admin/lessons/lesson/add/",
        "/admin/assessments/quiz/",
        f"/admin/assessments/quiz/{quiz.pk}/change/",
        "/admin/assessments/quiz/add/",
        "/admin/assessments/question/",
    ]
    # Their histories, where instructors read what changed (and restore it).
    pages += [
        f"/admin/lessons/course/{course.pk}/history/",
        f"/admin/lessons/module/{module.pk}/history/",
        f"/admin/lessons/lesson/{lesson.pk}/history/",
        f"/admin/assessments/quiz/{quiz.pk}/history/",
    ]
    questions = Question.objects.filter(quiz__course=course)
    pages.append(f"/admin/assessments/question/{questions.first().pk}/history/")
    for kind in sorted(KINDS):
        if question := questions.filter(kind=kind).first():
            pages.append(f"/admin/assessments/question/{question.pk}/change/")
        pages.append(f"/admin/assessments/question/add/?quiz={quiz.pk}&kind={kind}")
    return pages


def test_the_authoring_pages_load_whole_without_errors_and_pass_axe(course, browser, live_server):
    instructor = make_instructor("ines")
    course.instructors.add(instructor)
    # A context of its own: axe reads stylesheets by adding <style> elements, which the policy
    # refuses too; what axe makes the browser say is left out, the pages' own is not.
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors, failed = [], []
    listening = [True]

    def console(message):
        if listening[0] and message.type == "error":
            errors.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and failed.append(f"{response.status} {response.url}")
        ),
    )
    page.on("requestfailed", lambda request: failed.append(f"failed {request.url}"))
    admin_log_in(page, "ines")

    found = {}
    for address in authoring_pages(course):
        listening[0] = True
        response = page.goto(address)
        assert response.status == 200, address
        page.wait_for_load_state("networkidle")
        editor = ("/change/", "/add/")
        if address.startswith("/admin/assessments/question/") and any(
            p in address for p in editor
        ):
            # The editor's preview came, drawn by the learner's template.
            expect(page.locator("#question-preview fieldset")).to_be_visible()
        listening[0] = False
        for violation in axe_violations(page):
            for node in violation["nodes"]:
                found.setdefault(f"{violation['id']}: {violation['help']}", []).append(
                    f"{address} {node['target']}"
                )
    context.close()

    report = "\n".join(f"{rule} ×{len(n)}\n  " + "\n  ".join(n[:8]) for rule, n in found.items())
    assert not errors, "Console errors:\n" + "\n".join(errors)
    assert not failed, "Failed requests:\n" + "\n".join(failed)
    assert not found, "axe:\n" + report


def test_a_matching_question_is_written_with_its_pairs_and_previewed_as_learners_see_it(
    page, live_server
):
    instructor = make_instructor("ines")
    course = course_with_modules(modules=1, lessons=1, title="Capitals")
    course.instructors.add(instructor)
    quiz = course.modules.get().quiz
    admin_log_in(page, "ines")
    page.goto(f"/admin/assessments/quiz/{quiz.pk}/change/")
    follow(page, page.get_by_role("link", name="Add a question"))

    # A single choice to begin with; choosing matching brings its pairs, with nothing saved.
    expect(page.get_by_label("Kind")).to_have_value("single")
    page.locator("#id_text").fill("Match each country with its capital.")
    with page.expect_navigation():
        page.get_by_label("Kind").select_option("matching")
    expect(page.locator(".errornote")).to_contain_text("correct")
    expect(page.locator("#id_text")).to_have_value("Match each country with its capital.")
    expect(page.get_by_role("columnheader", name="Its match (right side)")).to_be_visible()
    assert not quiz.questions.filter(kind="matching").exists()

    pairs = [("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid")]
    page.get_by_role("button", name="Add another Answer").click()
    for number, (item, match) in enumerate(pairs):
        row = inline_row(page, "choices", number)
        row.get_by_label("Item (left side)").fill(item)
        row.get_by_label("Its match (right side)").fill(match)

    # The preview follows: one list of the right sides per item, nothing of the key.
    preview = page.locator("#question-preview")
    expect(preview).to_contain_text("Match each country with its capital.")
    for item, _ in pairs:
        expect(preview.get_by_label(item)).to_be_visible()
    lists = preview.get_by_role("combobox")
    expect(lists).to_have_count(3)
    expect(lists.first.locator("option")).to_have_text(["Choose…", "Madrid", "Paris", "Rome"])
    for select in lists.all():
        expect(select).to_have_value("")

    # A pair without its right side is refused, on the page, and nothing is written.
    missing = inline_row(page, "choices", 2).get_by_label("Its match (right side)")
    missing.fill("")
    expect(preview).to_contain_text("Its match (right side): Every answer of this kind needs")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    # The refusal sits on the field itself.
    refusal = inline_row(page, "choices", 2).locator(".errorlist")
    expect(refusal).to_have_text("Every answer of this kind needs this.")
    assert not quiz.questions.filter(kind="matching").exists()

    inline_row(page, "choices", 2).get_by_label("Its match (right side)").fill("Madrid")
    save(page, "Save and continue editing")
    question = quiz.questions.get(kind="matching")
    assert list(question.choices.order_by("position").values_list("text", "match_text")) == pairs


def test_the_quiz_add_form_fills_the_slug_from_the_title(page, live_server):
    make_instructor("ines")
    admin_log_in(page, "ines")
    page.goto("/admin/assessments/quiz/add/")

    page.locator("#id_title").press_sequentially("Water discipline")

    expect(page.locator("#id_slug")).to_have_value("water-discipline")
