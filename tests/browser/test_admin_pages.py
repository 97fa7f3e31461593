"""The admin's authoring pages under the Content-Security-Policy: no console error, no
request that fails, and no axe violation (WCAG 2.1 A/AA), on the pages an instructor
writes a course with: its course, module, lesson, quiz and question pages, each kind's
question editor among them, the plan of a course zip's import and the attempts an
instructor grades. Each is read in English and in French, at 1280 and at 375 px: the
page's language is the reader's, nothing of the English interface is left on a French page,
and the page itself never scrolls sideways on a phone (a wide table scrolls in its own box).
"""

import re
import zipfile

import pytest
from playwright.sync_api import expect

from assessments.kinds import KINDS
from assessments.models import Attempt, Question
from progress.services import enrollment_create
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    axe_violations,
    log_in,
    moved_on,
    wider_than_phone,
)
from tests.browser.test_authoring import admin_log_in, follow, inline_row, save, submit
from tests.factories import UserFactory, course_with_modules, make_instructor
from tests.test_french import course_texts, interface_text, untranslated

pytestmark = pytest.mark.browser

# The browser's locale: the html lang the admin answers with.
LOCALES = {"en-GB": "en-gb", "fr-FR": "fr"}
SIZES = {"1280 px": DESKTOP, "375 px": PHONE}
ZIP_COURSE = "slug: signals\ntitle: Signals\nmodules:\n- basics\n"
ZIP_MODULE = "---\ntitle: Basics\n---\n\n# Call Signs {#calls}\n\nA call sign names a station.\n"


def authoring_pages(course, attempt) -> list[str]:
    module = course.modules.order_by("position").first()
    lesson = module.lessons.order_by("position").first()
    quiz = module.quiz
    pages = [
        "/admin/",
        "/admin/lessons/course/",
        f"/admin/lessons/course/{course.pk}/change/",
        "/admin/lessons/course/add/",
        "/admin/lessons/course/import/",
        f"/admin/lessons/module/{module.pk}/change/",
        "/admin/lessons/module/add/",
        f"/admin/lessons/lesson/{lesson.pk}/change/",
        "/admin/lessons/lesson/add/",
        "/admin/assessments/quiz/",
        f"/admin/assessments/quiz/{quiz.pk}/change/",
        "/admin/assessments/quiz/add/",
        "/admin/assessments/question/",
        # The attempts an instructor grades, and an attempt's grades with their history.
        "/admin/assessments/attempt/",
        f"/admin/assessments/attempt/{attempt.pk}/change/",
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


def interface_of(html: str, texts: list[str]) -> str:
    """What the page says besides the course: interface_text, and not what the author wrote
    in the form's text boxes either (a lesson's body, a rubric), which is the course's own."""
    return interface_text(
        re.sub(r"(<textarea[^>]*>).*?(</textarea>)", r"\1\2", html, flags=re.S), texts
    )


def course_zip(folder) -> str:
    path = folder / "signals.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("signals/course.yaml", ZIP_COURSE)
        archive.writestr("signals/modules/basics.md", ZIP_MODULE)
    return str(path)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_authoring_pages_pass_axe_fit_a_phone_and_speak_the_readers_language(
    locale, course, browser, live_server, take_quiz, now, tmp_path
):
    instructor = make_instructor("ines")
    course.instructors.add(instructor)
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    quiz = course.modules.order_by("position").first().quiz
    take_quiz(learner, quiz, now=now, right=lambda slot: slot != 1)
    attempt = Attempt.objects.get(learner=learner, quiz=quiz)
    # A context of its own: axe reads stylesheets by adding <style> elements, which the policy
    # refuses too; what axe makes the browser say is left out, the pages' own is not.
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale=locale)
    context.set_default_timeout(10_000)
    log_in(context, instructor, live_server)
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
    page.on(
        "requestfailed",
        lambda request: moved_on(request) or failed.append(f"failed {request.url}"),
    )
    texts = course_texts()
    axe, problems, audited = {}, [], {size: 0 for size in SIZES}

    def check(address: str) -> None:
        """The page as it is now, at both widths; what is wrong goes to axe and problems."""
        # Loaded, and no htmx request (the editor's live preview) still on its way: waiting for
        # the network to stay idle for half a second instead took a quarter of the test.
        page.wait_for_load_state()
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        listening[0] = False
        if page.locator("html").get_attribute("lang") != LOCALES[locale]:
            problems.append(f"{address}: lang is {page.locator('html').get_attribute('lang')}")
        if locale == "fr-FR" and (english := untranslated(interface_of(page.content(), texts))):
            problems.append(f"{address}: English left {english}")
        icons = page.locator('img[alt="True"], img[alt="False"], img[alt="None"]')
        if icons.count():  # a yes/no icon read out as Python's words
            problems.append(f"{address}: icons named {icons.first.get_attribute('alt')}")
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            for violation in axe_violations(page):
                for node in violation["nodes"]:
                    axe.setdefault(f"{violation['id']}: {violation['help']}", []).append(
                        f"{address} ({size}) {node['target']}"
                    )
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                problems.append(f"{address} ({size}): {width} px wide: {wider_than_phone(page)}")
            audited[size] += 1
        page.set_viewport_size(DESKTOP)
        listening[0] = True

    for address in authoring_pages(course, attempt):
        response = page.goto(address)
        assert response.status == 200, address
        if address.startswith("/admin/assessments/question/") and (
            "/change/" in address or "/add/" in address
        ):
            # The editor's preview came, drawn by the learner's template.
            expect(page.locator("#question-preview fieldset")).to_be_visible()
        check(address)
    # The plan of a course zip's import, before anything is written.
    page.goto("/admin/lessons/course/import/")
    page.locator("input[type=file]").set_input_files(course_zip(tmp_path))
    submit(page, page.locator("#content-main [type=submit]"))
    expect(page.locator("pre.import-plan")).to_be_visible()
    check("the plan of an import")
    context.close()

    report = "\n".join(f"{rule} ×{len(n)}\n  " + "\n  ".join(n[:8]) for rule, n in axe.items())
    assert not errors, "Console errors:\n" + "\n".join(errors)
    assert not failed, "Failed requests:\n" + "\n".join(failed)
    assert not problems, "\n".join(problems)
    assert not axe, "axe:\n" + report
    assert audited == {size: len(authoring_pages(course, attempt)) + 1 for size in SIZES}


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
