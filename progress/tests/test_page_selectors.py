"""What the quiz and certificate pages show, answered by selectors: how each reviewed
question is marked, where a learner goes after a quiz, how many questions a quiz asks,
how a typed certificate code is read, and whether a certificate is due."""

import pytest
from django.urls import reverse

from assessments.selectors import quiz_question_count
from lessons.markdown import passage_anchor
from lessons.models import Status
from progress.models import Certificate
from progress.selectors import (
    certificate_by_code,
    certificate_code_canonical,
    certificate_due,
    course_progress_for_learner,
    quiz_next_step,
    response_reread_link,
    response_review_status,
)
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_response_save,
)
from tests.factories import (
    QuizFactory,
    course_with_modules,
    essay_question,
    multiple_question,
    right_answer,
    single_question,
    wrong_answer,
)

pytestmark = pytest.mark.django_db


# --- How a reviewed question is marked ---------------------------------------------


@pytest.fixture
def graded(learner, now):
    """The responses of a submitted attempt by slot: right, partly right, wrong, an essay
    awaiting its grade and an essay worth no points (which waits for nobody)."""
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)
    lesson = course.lessons.get()
    quiz = QuizFactory(final=True, course=course)
    single_question(quiz=quiz, lesson=lesson, text="Answered right")
    multiple_question(quiz=quiz, lesson=lesson, text="One of two right choices")
    single_question(quiz=quiz, lesson=lesson, passage=2, text="Answered wrong")
    essay_question(quiz=quiz, text="An essay")
    essay_question(quiz=quiz, text="A reflection", points=0)
    enrollment_create(learner=learner, course=course)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    for response in attempt.responses.order_by("slot"):
        shown = response.shown
        answer = {
            "Answered right": right_answer,
            "One of two right choices": lambda shown: right_answer(shown)[:1],
            "Answered wrong": wrong_answer,
            "An essay": right_answer,
            "A reflection": right_answer,
        }[shown["text"]](shown)
        quiz_response_save(attempt=attempt, slot=response.slot, answer=answer, now=now)
    quiz_attempt_submit(attempt=attempt, now=now)
    return {r.shown["text"]: r for r in attempt.responses.all()}, course, lesson


def test_a_reviewed_question_is_right_partly_right_wrong_or_awaiting_its_grade(graded):
    responses, _, _ = graded

    statuses = {text: response_review_status(response=r) for text, r in responses.items()}

    assert statuses == {
        "Answered right": "right",
        "One of two right choices": "partly",
        "Answered wrong": "wrong",
        "An essay": "awaiting",
        "A reflection": "ungraded",
    }


def test_only_a_missed_question_links_back_to_its_passage(graded):
    responses, course, lesson = graded
    links = {
        response_review_status(response=r): response_reread_link(
            response=r, course_slug=course.slug
        )
        for r in responses.values()
    }
    assert links["right"] is None
    assert links["ungraded"] is None
    assert links["awaiting"] is None
    lesson_url = reverse("lesson_detail", kwargs={"course_slug": course.slug, "slug": lesson.slug})
    assert links["partly"].title == lesson.title
    assert links["partly"].url == lesson_url
    assert links["wrong"].url == f"{lesson_url}#{passage_anchor(2)}"


# --- Where to go after a quiz ------------------------------------------------------------


def test_after_passing_a_module_quiz_the_next_step_is_the_next_module(learner, now, take_quiz):
    course = course_with_modules(modules=2, lessons=1)
    first, second = course.modules.order_by("position")
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=first.lessons.get(), now=now)
    take_quiz(learner, first.quiz, now=now)

    progress = course_progress_for_learner(learner=learner, course=course)
    step = quiz_next_step(progress=progress, quiz=first.quiz)

    assert step.label == "Continue to the next module: Module 2"
    assert step.url == second.lessons.get().get_absolute_url()


def test_a_failed_quiz_has_no_next_step(learner, now, take_quiz):
    course = course_with_modules(modules=2, lessons=1)
    first = course.modules.order_by("position").first()
    enrollment_create(learner=learner, course=course)
    take_quiz(learner, first.quiz, now=now, right=False)

    progress = course_progress_for_learner(learner=learner, course=course)

    assert quiz_next_step(progress=progress, quiz=first.quiz) is None


def test_after_the_last_step_the_next_step_is_the_certificate(learner, now, complete_module):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    module = course.modules.get()
    enrollment_create(learner=learner, course=course)
    complete_module(learner, module, now=now)

    progress = course_progress_for_learner(learner=learner, course=course)
    step = quiz_next_step(progress=progress, quiz=module.quiz)

    assert step.label == "View your certificate"
    assert step.url == reverse("certificate_mine", args=[course.slug])


# --- How many questions a quiz asks ------------------------------------------------------


@pytest.mark.parametrize(
    ("draw_count", "bank_size", "asked"),
    [(None, 5, 5), (3, 5, 3), (8, 5, 5), (None, 0, 0)],
)
def test_a_quiz_asks_its_draw_count_or_its_whole_bank_if_smaller(draw_count, bank_size, asked):
    quiz = QuizFactory(draw_count=draw_count)

    assert quiz_question_count(quiz=quiz, bank_size=bank_size) == asked


def test_the_intro_announces_as_many_questions_as_an_attempt_asks(learner, now):
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)
    quiz = QuizFactory(final=True, course=course, draw_count=2)
    for _ in range(3):
        single_question(quiz=quiz)
    enrollment_create(learner=learner, course=course)

    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)

    assert attempt.responses.count() == quiz_question_count(quiz=quiz, bank_size=3) == 2


# --- Certificate codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["abcd-efgh-2345", "ABCD EFGH 2345", "abcdefgh2345", " abcd–efgh—2345 "]
)
def test_a_certificate_code_is_read_whatever_its_case_spaces_and_dashes(typed):
    assert certificate_code_canonical(code=typed) == "ABCD-EFGH-2345"


def test_a_certificate_is_found_by_its_code_however_it_was_typed(learner, now, take_quiz):
    course = course_with_modules(modules=0, final_exam=True)
    enrollment_create(learner=learner, course=course)
    take_quiz(learner, course.quizzes.get(), now=now)
    certificate = Certificate.objects.get()

    assert certificate_by_code(code=certificate.code.lower().replace("-", " ")) == certificate
    assert certificate_by_code(code="no-such-code") is None


# --- Whether a certificate is due ----------------------------------------------------------


def test_a_certificate_is_due_only_to_an_enrolled_learner_who_completed_the_course(learner, now):
    course = course_with_modules(modules=1, lessons=2, module_quizzes=False, final_exam=False)
    read, unread = course.lessons.order_by("position")

    def due() -> bool:
        return certificate_due(
            progress=course_progress_for_learner(learner=learner, course=course)
        )

    assert not due()  # not enrolled
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=read, now=now)
    assert not due()
    unread.status = Status.ARCHIVED
    unread.save()
    assert due()
    assert not Certificate.objects.exists()  # answering the question issues nothing
