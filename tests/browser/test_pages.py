"""Each page that exists, in a real browser: accessible, responsive, self-contained."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

COURSE = "/courses/military-diplomacy/"
FIRST_LESSON = "/courses/military-diplomacy/lessons/introduction/"


@pytest.mark.parametrize(
    ("name", "path", "headings", "signed_in"),
    [
        # The page's first heading for an English and a French browser; a course's own text
        # keeps its language.
        pytest.param("catalogue", "/", ("Courses", "Cours"), False, id="catalogue"),
        pytest.param("course", COURSE, ("The Role of Military Diplomacy",) * 2, False, id="course"),
        pytest.param("signup", "/accounts/signup/", ("Create your account", "Créer votre compte"),
                     False, id="signup"),
        pytest.param("login", "/accounts/login/", ("Log in", "Se connecter"), False, id="login"),
        pytest.param("lesson", FIRST_LESSON, ("Introduction",) * 2, True, id="lesson"),
        pytest.param("not-found", "/courses/no-such-course/", ("Page not found", "Page introuvable"),
                     False, id="404"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("context", ["en-GB", "fr-FR"], ids=["en", "fr"], indirect=True)
def test_page_is_accessible_responsive_and_self_contained(
    request, context, page, audit, name, path, headings, signed_in
):
    if signed_in:
        request.getfixturevalue("enrolled_learner")
    else:
        request.getfixturevalue("course")
    english, french = headings
    in_french = request.node.callspec.params["context"] == "fr-FR"

    response = page.goto(path)

    assert response.status == (404 if name == "not-found" else 200)
    expect(page.locator("html")).to_have_attribute("lang", "fr" if in_french else "en-gb")
    expect(page.get_by_role("heading", level=1)).to_contain_text(french if in_french else english)
    audit(page, f"{name}-{'fr' if in_french else 'en'}")
    audit.assert_clean()


def test_course_page_of_an_enrolled_learner_offers_to_start(page, audit, enrolled_learner):
    page.goto(COURSE)

    expect(page.get_by_role("link", name=re.compile(r"^Start\b"))).to_be_visible()
    audit(page, "course-enrolled")
    audit.assert_clean()


def test_keyboard_alone_marks_a_lesson_complete_with_visible_focus(page, enrolled_learner):
    page.goto(FIRST_LESSON)
    mark = page.get_by_role("button", name="Mark as complete")

    for _ in range(60):
        page.keyboard.press("Tab")
        if mark.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached “Mark as complete”")
    focus = mark.evaluate(
        """button => {
            const style = getComputedStyle(button);
            return {outline: style.outlineStyle, shadow: style.boxShadow};
        }"""
    )
    assert focus["outline"] != "none" or focus["shadow"] != "none", focus

    page.keyboard.press("Enter")

    expect(page.get_by_text("You have completed this lesson")).to_be_visible()
    page.reload()
    expect(page.get_by_text("You have completed this lesson")).to_be_visible()


def test_a_learner_logs_in_with_the_form(page, course):
    UserFactory(username="grace", first_name="Grace", last_name="Hopper")
    page.goto("/accounts/login/")

    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
