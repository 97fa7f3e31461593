"""A learner out of attempts at the quiz that closes the first module is stuck; their
instructor grants one more attempt from the stuck list, and the learner carries on into the
next module."""

import re

import pytest
from playwright.sync_api import expect

from assessments.models import QuizOverride
from lessons.models import Lesson
from progress.services import enrollment_create, lesson_complete
from tests.browser.conftest import log_in
from tests.browser.test_journey import pass_quiz
from tests.factories import UserFactory, make_instructor

pytestmark = pytest.mark.browser

REASON = "Ill on the day of the third attempt"


@pytest.fixture
def stuck_learner(course, take_quiz, now):
    """Ada has read the first module's lessons and failed its quiz as often as it allows
    (three times, where a course limits its attempts): the second module stays locked for her."""
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    first = course.modules.order_by("position").first()
    first.quiz.max_attempts = 3
    first.quiz.save()
    for lesson in Lesson.objects.visible().filter(module=first):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    for _ in range(first.quiz.max_attempts):
        take_quiz(learner, first.quiz, now=now, right=False)
    return learner


def teacher_page(new_context, course, live_server, **browser_options):
    """A page of a browser of its own (``browser_options``: its locale, say), logged in as an
    instructor of ``course``, and them."""
    instructor = make_instructor("ines")
    course.instructors.add(instructor)
    context = new_context(**browser_options)
    log_in(context, instructor, live_server)
    return context.new_page(), instructor


def test_an_instructor_unsticks_a_learner_who_then_opens_the_next_module(
    new_context, audit, course, stuck_learner, live_server
):
    first, second = course.modules.order_by("position")[:2]
    quiz_url = f"/courses/{course.slug}/quizzes/{first.quiz.slug}/"
    learner_context = new_context()
    log_in(learner_context, stuck_learner, live_server)
    learner = learner_context.new_page()

    # Stuck: no attempt left, and the next module says why it is locked.
    learner.goto(quiz_url)
    expect(learner.get_by_role("main")).to_contain_text("You have used all 3 attempts")
    expect(learner.get_by_role("button", name="Start attempt")).to_have_count(0)
    learner.goto(f"/courses/{course.slug}/")
    expect(learner.get_by_role("main")).to_contain_text(f"Opens when you complete “{first.title}”")

    # The instructor finds her on the stuck list and grants one more attempt, with a reason.
    teacher, instructor = teacher_page(new_context, course, live_server)
    teacher.goto(f"/teach/{course.slug}/stuck/")
    audit(teacher, "stuck-list")
    row = teacher.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(row).to_contain_text(first.quiz.title)
    row.get_by_label("Reason").fill(REASON)
    with teacher.expect_navigation():
        row.get_by_role("button", name="Grant one more attempt").click()
    expect(teacher.get_by_role("status")).to_contain_text(
        f"Ada Lovelace may now make one more attempt at “{first.quiz.title}”."
    )
    expect(teacher.get_by_role("row", name=re.compile("Ada Lovelace"))).to_have_count(0)
    audit(teacher, "stuck-list-after-grant")
    granted = QuizOverride.objects.get(learner=stuck_learner, quiz=first.quiz)
    assert (granted.extra_attempts, granted.reason, granted.granted_by) == (1, REASON, instructor)

    # She starts the attempt granted, passes, and the next module opens.
    learner.goto(quiz_url)
    expect(learner.get_by_role("main")).to_contain_text("1 left of 4")
    pass_quiz(learner, audit, name="granted-attempt", audited=set())
    next_module = learner.get_by_role("link", name=f"Continue to the next module: {second.title}")
    expect(next_module).to_be_visible()
    next_module.click()
    learner.wait_for_load_state("load")
    expect(learner.get_by_role("heading", level=1)).to_have_text(
        Lesson.objects.visible().filter(module=second).order_by("position").first().title
    )
    expect(learner.get_by_role("button", name="Complete and continue")).to_be_visible()
    audit(learner, "next-module-open")

    audit.assert_clean()
