"""The key pages in English and in French, as a browser set to either language asks for
them: the interface in the reader's language, the course in its own, 0 axe violations and
nothing wider than a 375 px phone at either size.

Each page is also saved at the size of a screen (not the whole page), 1280 and 375 px wide,
to artifacts/screenshots/docs/: the README's pictures of the app (docs/images) are these.
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from assessments.kinds import KINDS
from assessments.models import Attempt
from progress.models import Certificate
from progress.services import enrollment_create, quiz_attempt_start
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, log_in
from tests.factories import (
    UserFactory,
    course_with_modules,
    make_instructor,
    numerical_question,
    true_false_question,
)
from tests.test_french import course_texts, interface_text, untranslated

pytestmark = pytest.mark.browser

LANGUAGES = {
    # language: (the browser's locale, the html lang the app answers with, a word of it)
    "en": ("en-GB", "en-gb", "Syllabus"),
    "fr": ("fr-FR", "fr", "Programme"),
}
FOR_DOCS = SCREENSHOTS / "docs"


def screen(page, name: str) -> None:
    """The page as a reader first sees it, on a desktop and on a phone; in 256 colours, a
    third of the size, as the README shows them."""
    FOR_DOCS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB").quantize(256)
        shot.save(FOR_DOCS / f"{name}-{size}.png", optimize=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_key_pages_speak_the_readers_language(
    language, new_context, audit, course, take_quiz, complete_module, now, live_server
):
    locale, html_lang, syllabus = LANGUAGES[language]
    first = course.modules.order_by("position").first()
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    complete_module(learner, first, now=now, quiz=False)
    # One question missed: the result page shows a "Not passed" or a re-read link.
    take_quiz(learner, first.quiz, now=now, right=lambda slot: slot != 1)
    attempt = Attempt.objects.get(learner=learner, quiz=first.quiz)
    second_lesson = first.lessons.order_by("position")[1]
    context = new_context(locale=locale)
    log_in(context, learner, live_server)
    page = context.new_page()

    pages = {
        "course": f"/courses/{course.slug}/",
        "lesson": f"/courses/{course.slug}/lessons/{second_lesson.slug}/",
        "quiz": f"/courses/{course.slug}/quizzes/{first.quiz.slug}/",
        "quiz-result": f"/attempts/{attempt.pk}/result/",
    }
    for name, path in pages.items():
        assert page.goto(path).status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", html_lang)
        audit(page, f"{name}-{language}")
        screen(page, f"{name}-{language}")
    page.goto(pages["course"])
    expect(page.get_by_role("heading", name=syllabus)).to_be_visible()
    # The course is in English whatever the interface speaks, and says so.
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "en")

    instructor = make_instructor("ines")
    instructor.first_name, instructor.last_name = "Inès", "Laurent"  # the same in every picture
    instructor.save()
    course.instructors.add(instructor)
    teaching = new_context(locale=locale)
    log_in(teaching, instructor, live_server)
    teacher = teaching.new_page()
    assert teacher.goto("/teach/").status == 200
    expect(teacher.locator("html")).to_have_attribute("lang", html_lang)
    audit(teacher, f"teach-{language}")
    screen(teacher, f"teach-{language}")

    audit.assert_clean()


def test_a_learners_own_pages_speak_french(
    new_context, audit, course, take_quiz, complete_module, now, live_server
):
    """The dashboard, a quiz being taken with a question of every kind, an attempt's review
    and a certificate, as a French browser reads them: in French (the course's text aside),
    0 axe violations, nothing wider than a phone."""
    quiz = course.quizzes.get(slug="foundations")
    # Its first quiz asks for no number and nothing true or false: they are added, so that
    # every kind is on the page.
    numerical_question(quiz=quiz, position=20, text="How many states signed?")
    true_false_question(quiz=quiz, position=21, text="Attachés serve at embassies.")
    assert set(quiz.questions.values_list("kind", flat=True)) == set(KINDS)
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    complete_module(learner, quiz.module, now=now, quiz=False)
    # In December, which French shortens otherwise than English ("déc." and not "Dec").
    december = now.replace(year=2026, month=12, day=2, hour=14, minute=5)
    reviewed = take_quiz(learner, quiz, now=december, right=lambda slot: slot != 1)
    taking = quiz_attempt_start(learner=learner, quiz=quiz, now=december)
    # A certificate, from a short course the learner finished.
    finished = course_with_modules(modules=1, lessons=1, title="Signals", slug="signals")
    enrollment_create(learner=learner, course=finished)
    complete_module(learner, finished.modules.get(), now=now)
    take_quiz(learner, finished.quizzes.get(kind="final"), now=now)
    certificate = Certificate.objects.get(learner=learner, course=finished)
    context = new_context(locale="fr-FR")
    log_in(context, learner, live_server)
    page = context.new_page()

    pages = {
        "dashboard": "/dashboard/",
        "attempt-every-kind": f"/attempts/{taking.pk}/",
        "attempt-review": f"/attempts/{reviewed.pk}/result/",
        "certificate": f"/courses/{finished.slug}/certificate/",
        "certificate-verify": f"/certificates/{certificate.code}/",
    }
    texts, english = course_texts(), {}
    for name, path in pages.items():
        assert page.goto(path).status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        if found := untranslated(interface_text(page.content(), texts)):
            english[path] = found
        audit(page, f"{name}-fr")
    page.goto(pages["attempt-review"])
    expect(page.get_by_role("main")).to_contain_text("Tentative 1 · remise le 2 déc. 2026 14:05")
    assert page.goto(pages["attempt-every-kind"]).status == 200
    expect(page.locator("main fieldset")).to_have_count(quiz.questions.count())
    assert not english, f"English left on French pages: {english}"
    audit.assert_clean()


def test_the_switcher_works_from_the_keyboard(new_context, course, live_server):
    page = new_context(locale="en-GB").new_page()
    page.goto(f"/courses/{course.slug}/")
    switch = page.get_by_role("button", name="Français")

    switch.focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/courses/{course.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Programme")).to_be_visible()
    expect(page.get_by_role("button", name="British English")).to_be_visible()
    # The choice stays for the next page.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
