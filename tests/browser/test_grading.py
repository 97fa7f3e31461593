"""A written answer in a browser: the learner submits an exam with an essay and waits for a
grade; the instructor grades it from the queue; the learner passes and gets the certificate."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, GradeChange
from progress.models import Certificate
from tests.browser.conftest import follow, log_in
from tests.browser.quiz import answer_questions, open_attempt_id
from tests.browser.test_journey import start_attempt
from tests.factories import (
    CourseFactory,
    QuizFactory,
    UserFactory,
    essay_question,
    single_question,
)

pytestmark = pytest.mark.browser

ESSAY = "Explain, in a few sentences, what a defence attaché does."
WRITTEN = "A defence attaché represents the armed forces at an embassy and builds trust."


@pytest.fixture
def essay_exam(browser, live_server):
    """A course whose only step is a final exam: a 2-point choice and a 3-point essay, 70%
    to pass, so the essay decides; one instructor, one learner enrolled."""
    from progress.services import enrollment_create

    course = CourseFactory(slug="attaches", title="Defence attachés")
    exam = QuizFactory(final=True, course=course, slug="final-exam", pass_mark=70)
    single_question(
        quiz=exam, position=1, points=Decimal(2), text="Where does an attaché serve?",
        choices=[("At an embassy", 100), ("At a depot", 0)],
    )  # fmt: skip
    essay_question(quiz=exam, position=2, points=Decimal(3), text=ESSAY)
    instructor = UserFactory(is_staff=True, first_name="Ines", last_name="Instructor")
    course.instructors.add(instructor)
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    return exam, learner, instructor


def test_an_essay_awaits_the_instructors_grade_then_the_learner_passes(
    new_context, live_server, audit, essay_exam
):
    exam, learner, instructor = essay_exam
    as_learner = new_context()
    log_in(as_learner, learner, live_server)
    page = as_learner.new_page()

    # The learner takes the exam, writing the essay.
    page.goto(exam.get_absolute_url())
    start_attempt(page)
    attempt_id = open_attempt_id(page)
    answer_questions(page, right=True)
    page.get_by_role("textbox").fill(WRITTEN)
    follow(page, page.get_by_role("button", name="Submit answers"))

    status = page.get_by_role("status").filter(has_text="Awaiting grading")
    expect(status).to_contain_text("1 written answer awaits your instructor’s grade")
    expect(status).to_contain_text("Your other answers scored 2 of 2 points")
    expect(page.get_by_role("main")).not_to_contain_text("Not passed")
    audit(page, "grading-result-awaiting")
    result_url = page.url
    follow(page, page.get_by_role("link", name="Back to the course"))
    expect(page.get_by_role("main")).to_contain_text("Awaiting grading")
    page.goto("/dashboard/")
    expect(page.get_by_role("main")).to_contain_text("awaiting your instructor’s grade")
    assert Attempt.objects.get(pk=attempt_id).is_awaiting_grading
    assert not Certificate.objects.exists()

    # The instructor grades it from the queue.
    as_instructor = new_context()
    log_in(as_instructor, instructor, live_server)
    teach = as_instructor.new_page()
    teach.goto(f"/teach/{exam.course.slug}/")
    follow(teach, teach.get_by_role("link", name="Grading"))
    entry = teach.get_by_role("region", name="Ada Lovelace: question 2 of Final exam")
    expect(entry).to_contain_text(ESSAY)
    expect(entry).to_contain_text(WRITTEN)
    audit(teach, "grading-queue")
    entry.get_by_label("Points").fill("2.5")
    entry.get_by_label("Feedback to the learner").fill("Clear, and it names the embassy.")
    # Saved, the queue comes back at its own address.
    with teach.expect_navigation():
        entry.get_by_role("button", name="Save grade").click()
    expect(teach.get_by_role("status").first).to_contain_text(
        "Saved: 2.5 of 3 points for Ada Lovelace’s answer to question 2 of “Final exam”. "
        "The attempt now scores 90%: passed."
    )
    expect(teach.get_by_role("main")).to_contain_text("Nothing to grade")
    change = GradeChange.objects.get()
    assert (change.score_after, change.by) == (Decimal("2.50"), instructor)

    # The learner comes back: passed, with the instructor's feedback, and the certificate.
    page.goto(result_url)
    expect(page.get_by_role("status").filter(has_text="Passed")).to_contain_text(
        "You scored 4.5 of 5 points: 90%"
    )
    feedback = page.get_by_role("region", name="Question 2")
    expect(feedback).to_contain_text("Graded by your instructor: 2.5 of 3 points")
    expect(feedback).to_contain_text("Clear, and it names the embassy.")
    audit(page, "grading-result-graded")
    follow(page, page.get_by_role("link", name="View your certificate"))
    expect(page.get_by_role("main")).to_contain_text("Defence attachés")
    assert Certificate.objects.filter(learner=learner, course=exam.course).count() == 1
