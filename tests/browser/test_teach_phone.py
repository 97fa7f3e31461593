"""Every /teach/ page on a 375 px phone: no sideways scroll of the page (wide tables scroll
inside their own box), no axe violations at either width, as the learner pages are held to;
in English and in French, whose words are longer."""

import pytest
from playwright.sync_api import expect

from progress.services import enrollment_create
from tests.browser.test_french_pages import LANGUAGES
from tests.browser.test_stuck import teacher_page
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_teaching_page_fits_a_phone(
    language, new_context, audit, course, take_quiz, complete_module, now, live_server
):
    locale, html_lang, _ = LANGUAGES[language]
    first = course.modules.order_by("position").first()
    # Ada failed the first quiz as often as it allows (stuck); Grace passed it, with an answer
    # written for the instructor to read; Alan has only enrolled.
    ada = UserFactory(first_name="Ada", last_name="Lovelace")
    grace = UserFactory(first_name="Grace", last_name="Hopper")
    alan = UserFactory(first_name="Alan", last_name="Turing")
    for learner in (ada, grace, alan):
        enrollment_create(learner=learner, course=course)
    first.quiz.max_attempts = 2
    first.quiz.save()
    for _ in range(first.quiz.max_attempts):
        take_quiz(ada, first.quiz, now=now, right=False)
    complete_module(grace, first, now=now)
    question = first.quiz.questions.order_by("position").first()
    teach = f"/teach/{course.slug}"
    pages = {
        "teach-index": "/teach/",
        "teach-course": f"{teach}/",
        "teach-learner": f"{teach}/learners/{ada.pk}/",
        "teach-grading": f"{teach}/grading/",
        "teach-stuck": f"{teach}/stuck/",
        "teach-regrade": f"{teach}/questions/{question.pk}/regrade/",
        "teach-gradebook": f"{teach}/gradebook/",
        "teach-quiz-stats": f"{teach}/quizzes/{first.quiz.slug}/stats/",
    }
    teacher, _ = teacher_page(new_context, course, live_server, locale=locale)

    for name, path in pages.items():
        response = teacher.goto(path)
        assert response.status == 200, path
        expect(teacher.locator("html")).to_have_attribute("lang", html_lang)
        expect(teacher.get_by_role("heading", level=1)).to_be_visible()
        audit(teacher, f"{name}-{language}")

    audit.assert_clean()
