"""The whole course, start to finish, as a new learner takes it in a browser."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from assessments.models import Attempt
from progress.models import Certificate
from tests.browser.conftest import PASSWORD, follow
from tests.browser.quiz import (
    answer_questions,
    assert_keys_hidden,
    missed_passages,
    open_attempt_id,
)

pytestmark = pytest.mark.browser

FINAL_EXAM = "final-exam"
START_OR_RESUME = re.compile(r"^(Start|Resume)\b")


def read_lessons(page, audit) -> int:
    """Press “Complete and continue” until it leads off the lessons; returns how many."""
    read = 0
    while "/lessons/" in page.url:
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # test_pages.py screenshots a lesson; here every lesson is still checked.
        audit(page, "lesson", screenshots=False)
        follow(page, page.get_by_role("button", name="Complete and continue"))
        read += 1
    return read


def expect_result(page, quiz_title: str, *, passed: bool) -> None:
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(quiz_title)
    expect(heading).to_contain_text("Result")
    main = page.get_by_role("main")
    if passed:
        expect(main).to_contain_text("Passed")
        expect(main).not_to_contain_text("Not passed")
    else:
        expect(main).to_contain_text("Not passed")


def start_attempt(page):
    """From a quiz intro (or straight into the attempt), to the open attempt's questions."""
    start = page.get_by_role("button", name=re.compile(r"^(Start|Continue) attempt$"))
    attempt_page = page.get_by_role("group", name=re.compile(r"^Question 1\b"))
    expect(start.or_(attempt_page).first).to_be_visible()
    if start.is_visible():
        follow(page, start)
    expect(attempt_page).to_be_visible()


def pass_quiz(page, audit, *, name: str, audited: set[str]) -> Attempt:
    """On a quiz intro page: start, answer everything right, submit; check the result.

    The first quiz called ``name`` gets screenshots; later ones are still checked."""
    screenshots = name not in audited
    audited.add(name)
    audit(page, f"{name}-intro", screenshots=screenshots)
    start_attempt(page)
    attempt = Attempt.objects.select_related("quiz").get(pk=open_attempt_id(page))
    assert_keys_hidden(page, attempt.pk)
    answer_questions(page, right=True)
    audit(page, f"{name}-attempt", screenshots=screenshots)
    follow(page, page.get_by_role("button", name="Submit answers"))
    expect_result(page, attempt.quiz.title, passed=True)
    attempt.refresh_from_db()
    assert attempt.passed, f"{attempt.quiz.title}: {attempt.percent}% with every answer right"
    audit(page, f"{name}-result-passed", screenshots=screenshots)
    return attempt


def fail_reread_and_retake(page, audit) -> Attempt:
    """On the first module quiz: fail it, follow a re-read link, come back, retake and pass."""
    audit(page, "quiz-intro")
    start_attempt(page)
    attempt = Attempt.objects.select_related("quiz").get(pk=open_attempt_id(page))
    questions = answer_questions(page, right=False, skip={1})
    assert len(questions) > 1
    audit(page, "quiz-attempt")
    follow(page, page.get_by_role("button", name="Submit answers"))

    # One question is left blank: the learner is asked to confirm.
    expect(page.get_by_role("button", name="Submit anyway")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the questions")).to_be_visible()
    audit(page, "quiz-confirm")
    follow(page, page.get_by_role("button", name="Submit anyway"))

    expect_result(page, attempt.quiz.title, passed=False)
    attempt.refresh_from_db()
    assert attempt.passed is False
    audit(page, "quiz-result-failed")
    result_url = page.url

    missed = missed_passages(attempt.pk)
    reread = page.get_by_role("link", name=re.compile(r"^Re-read: "))
    expect(reread.first).to_be_visible()
    shown = {(re.sub(r"^Re-read:\s*", "", name).strip()) for name in reread.all_inner_texts()}
    assert shown <= {title for title, _, _ in missed}, (shown, missed)
    follow(page, reread.first)

    target = [
        (t, a) for t, s, a in missed if page.url.endswith(f"/lessons/{s}/" + (a and f"#{a}"))
    ]
    assert target, f"{page.url} is not the passage or lesson of a missed question: {missed}"
    title, anchor = target[0]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    if anchor:
        passage = page.locator(f"[id='{anchor}']")
        expect(passage).to_be_visible()
        expect(passage).to_be_in_viewport()
    audit(page, "lesson-reread")

    page.go_back()
    assert page.url == result_url
    follow(page, page.get_by_role("button", name="Retake the quiz"))
    start_attempt(page)
    retake = Attempt.objects.select_related("quiz").get(pk=open_attempt_id(page))
    assert retake.number == 2
    answer_questions(page, right=True)
    follow(page, page.get_by_role("button", name="Submit answers"))
    expect_result(page, retake.quiz.title, passed=True)
    audit(page, "quiz-result-passed")
    return retake


def test_a_new_learner_takes_the_whole_course(new_context, audit, course, tmp_path):
    context = new_context(accept_downloads=True)
    page = context.new_page()
    audited: set[str] = set()

    # Sign up.
    page.goto("/")
    follow(page, page.get_by_role("link", name="Sign up"))
    # Required fields' labels end in an asterisk.
    page.get_by_label("Username").fill("ada")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Create account"))
    expect(page.get_by_text("Welcome, Ada")).to_be_visible()
    learner = get_user_model().objects.get(username="ada")

    # Enrol.
    follow(page, page.get_by_role("link", name=course.title))
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("link", name=START_OR_RESUME)).to_be_visible()

    lessons_read = 0
    module_quizzes = []
    while True:
        follow(page, page.get_by_role("link", name=START_OR_RESUME))
        lessons_read += read_lessons(page, audit)
        assert "/quizzes/" in page.url, f"“Complete and continue” led to {page.url}"

        if not module_quizzes:
            module_quizzes.append(fail_reread_and_retake(page, audit))
            audited.add("quiz")
            # Mid-course, the dashboard offers to resume.
            follow(page, page.get_by_role("link", name="My learning"))
            expect(page.get_by_role("heading", level=1, name="My learning")).to_be_visible()
            audit(page, "dashboard")
            follow(page, page.get_by_role("link", name=f"Resume {course.title}"))
            lessons_read += read_lessons(page, audit)
            module_quizzes.append(pass_quiz(page, audit, name="quiz", audited=audited))
        elif page.url.endswith(f"/quizzes/{FINAL_EXAM}/"):
            pass_quiz(page, audit, name="final-exam", audited=audited)
            break
        else:
            module_quizzes.append(pass_quiz(page, audit, name="quiz", audited=audited))
        page.goto(course.get_absolute_url())

    assert lessons_read == 18
    assert len(module_quizzes) == 6
    final = Attempt.objects.get(learner=learner, quiz__kind="final", passed=True)
    assert final.percent == 100

    # The dashboard leads to the certificate.
    follow(page, page.get_by_role("link", name="My learning"))
    expect(page.get_by_role("heading", level=1, name="My learning")).to_be_visible()
    audit(page, "dashboard-complete")
    follow(page, page.get_by_role("link", name="View certificate"))
    certificate = Certificate.objects.get(learner=learner)
    expect(page.get_by_role("main")).to_contain_text("Ada Lovelace")
    expect(page.get_by_role("main")).to_contain_text(course.title)
    audit(page, "certificate")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    # Anyone can check it: a fresh browser, logged out, at the public address.
    verify_url = certificate.get_absolute_url()
    assert verify_url in page.content(), "the certificate page hides its verification address"
    stranger = new_context().new_page()
    stranger.goto(verify_url)
    expect(stranger.get_by_role("main")).to_contain_text("Valid certificate")
    expect(stranger.get_by_role("main")).to_contain_text("Ada Lovelace")
    expect(stranger.get_by_role("main")).to_contain_text(course.title)
    expect(stranger.get_by_role("button", name="Log out")).to_have_count(0)
    audit(stranger, "certificate-verify")

    audit.assert_clean()
