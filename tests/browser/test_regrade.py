"""An instructor fixes a key and regrades from the question statistics: the dry run, then the
regrade; the learner who lost a pass is flagged, and reads the change on their result page."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessments.kinds.base import plain
from assessments.models import Attempt, GradeChange
from progress.services import enrollment_create
from tests.browser.conftest import follow, log_in
from tests.browser.test_stuck import teacher_page
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

REASON = "The key named the wrong framework"


def test_an_instructor_regrades_a_fixed_key_and_the_learner_is_told(
    new_context, audit, course, take_quiz, now, live_server
):
    quiz = course.modules.order_by("position").first().quiz
    learner = UserFactory(first_name="Ada", last_name="Lovelace")
    enrollment_create(learner=learner, course=course)
    # Full marks are needed to pass, so losing question 1's points takes the pass away.
    quiz.pass_mark = 100
    quiz.save()
    attempt = take_quiz(learner, quiz, now=now, right=True)
    assert attempt.passed
    # The key of question 1 is fixed: what was right is now worth nothing, so Ada lost it.
    question = quiz.questions.order_by("position").first()
    points = plain(question.points)
    for choice in question.choices.all():
        choice.weight = Decimal(0) if choice.weight > 0 else Decimal(100) / 3
        choice.save()

    teacher, _ = teacher_page(new_context, course, live_server)
    teacher.goto(f"/teach/{course.slug}/quizzes/{quiz.slug}/stats/")
    follow(teacher, teacher.get_by_role("link", name="Regrade question 1", exact=True))

    changes = teacher.get_by_role("table", name="Attempts whose score changes, by learner")
    expect(changes.get_by_role("row", name=re.compile("Ada Lovelace"))).to_contain_text(
        "Passed → not passed"
    )
    audit(teacher, "regrade-dry-run")
    assert not GradeChange.objects.exists()

    teacher.get_by_label(re.compile("^What you corrected")).fill(REASON)
    with teacher.expect_navigation():
        teacher.get_by_role("button", name="Apply the regrade").click()
    expect(teacher.get_by_role("status").first).to_contain_text("Regraded: 1 attempt")
    expect(teacher.get_by_role("main")).to_contain_text(
        "Lost points in a regrade of this quiz and do not pass it now"
    )
    audit(teacher, "regrade-applied")
    teacher.goto(f"/teach/{course.slug}/")
    expect(teacher.get_by_role("region", name="Lost a pass in a regrade")).to_contain_text(
        "Ada Lovelace"
    )
    audit(teacher, "course-with-regrade-flag", screenshots=False)

    learner_context = new_context()
    log_in(learner_context, learner, live_server)
    page = learner_context.new_page()
    page.goto(f"/attempts/{attempt.pk}/result/")
    expect(page.get_by_role("note")).to_contain_text(
        f"after a correction to question 1: {points} → 0 points. Why: {REASON}"
    )
    audit(page, "result-after-regrade")
    assert Attempt.objects.get(pk=attempt.pk).passed is False

    audit.assert_clean()
