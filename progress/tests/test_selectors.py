from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from assessments.models import Quiz
from lessons.models import Status
from progress.selectors import (
    course_progress_for_learner,
    lesson_is_open,
    quiz_is_open,
)
from progress.services import enrollment_create, lesson_complete
from tests.factories import (
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    course_with_modules,
    single_question,
)

pytestmark = pytest.mark.django_db


def progress_of(learner, course):
    return course_progress_for_learner(learner=learner, course=course)


def modules_of(course):
    return list(course.modules.order_by("position"))


@pytest.fixture
def course(learner):
    """Sequential: Foundations (3 lessons + quiz), Instruments (2 lessons + quiz), final exam."""
    course = course_with_modules(modules=0, final_exam=False, sequential=True)
    foundations = ModuleFactory(course=course, position=1, title="Foundations")
    for position, title in enumerate(
        ["Introduction", "Military Attachés and Diplomatic Channels", "Historical Evolution"], 1
    ):
        LessonFactory(module=foundations, position=position, title=title)
    single_question(quiz=QuizFactory(module=foundations, title="Foundations quiz", pass_mark=70))
    instruments = ModuleFactory(course=course, position=2, title="Instruments")
    for position in (1, 2):
        LessonFactory(module=instruments, position=position, title=f"Instrument {position}")
    quiz = QuizFactory(module=instruments, title="Instruments quiz", pass_mark=70, max_attempts=3)
    for position in range(1, 6):
        single_question(quiz=quiz, position=position)
    exam = QuizFactory(final=True, course=course, pass_mark=80)
    single_question(quiz=exam)
    enrollment_create(learner=learner, course=course)
    return course


def lessons(module):
    return list(module.lessons.order_by("position"))


def test_a_new_learner_starts_at_the_first_lesson(learner, course):
    progress = progress_of(learner, course)

    foundations, instruments = progress.modules
    assert progress.enrollment.learner == learner
    assert [m.state for m in progress.modules] == ["not_started", "locked"]
    assert foundations.reasons == [
        "Read “Introduction” and 2 more lessons",
        "Pass the quiz: 70% needed",
    ]
    assert instruments.reasons == ["Opens when you complete “Foundations”"]
    assert progress.next_step == lessons(foundations.module)[0]
    assert (progress.lessons_done, progress.lessons_total, progress.percent) == (0, 5, 0)
    assert progress.is_complete is False
    assert foundations.quiz.is_open is True
    assert instruments.quiz.is_open is False
    assert instruments.quiz.reasons == ["Opens when you complete “Foundations”"]
    assert progress.final_exam.is_open is False
    assert progress.final_exam.reasons == [
        "Opens when you complete “Foundations” and 1 more module"
    ]


def test_reading_moves_the_learner_on_and_says_what_is_left(learner, course, now):
    foundations = modules_of(course)[0]
    intro, attaches, history = lessons(foundations)
    lesson_complete(learner=learner, lesson=intro, now=now)
    lesson_complete(learner=learner, lesson=history, now=now)

    progress = progress_of(learner, course)

    module = progress.modules[0]
    assert module.state == "in_progress"
    assert module.reasons == [
        "Read “Military Attachés and Diplomatic Channels”",
        "Pass the quiz: 70% needed",
    ]
    assert [item.done for item in module.lessons] == [True, False, True]
    assert module.lessons[0].completed_at == now
    assert progress.next_step == attaches
    assert progress.lessons_done == 2
    # 2 of 8 steps: 5 lessons, 2 quizzes, the final exam.
    assert progress.percent == 25


def test_after_the_lessons_the_next_step_is_the_quiz(learner, course, now, complete_module):
    foundations = modules_of(course)[0]
    complete_module(learner, foundations, now=now, quiz=False)

    progress = progress_of(learner, course)

    assert progress.next_step == foundations.quiz
    assert progress.modules[0].reasons == ["Pass the quiz: 70% needed"]


def test_a_failed_quiz_says_the_best_score_and_what_is_needed(learner, now, take_quiz):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    quiz = modules_of(course)[0].quiz
    quiz.max_attempts = 3
    quiz.save()
    for position in range(2, 6):
        single_question(quiz=quiz, position=position)
    take_quiz(learner, quiz, now=now, right=lambda slot: slot <= 2)  # 40 %
    take_quiz(learner, quiz, now=now, right=lambda slot: slot <= 3)  # 60 %
    take_quiz(learner, quiz, now=now, right=lambda slot: slot <= 1)  # 20 %

    record = progress_of(learner, course).modules[0]

    assert record.quiz.attempts_used == 3
    assert record.quiz.attempts_left == 0
    assert record.quiz.best_percent == Decimal("60.00")
    assert record.quiz.passed is False
    assert record.reasons == [
        "Read “Lesson 1.1”",
        "No attempts left at the quiz: best 60%, 70% was needed",
    ]


def test_quiz_record_counts_attempts_left(learner, course, now, complete_module, take_quiz):
    foundations, instruments = modules_of(course)
    complete_module(learner, foundations, now=now)
    take_quiz(learner, instruments.quiz, now=now, right=lambda slot: slot <= 3)

    progress = progress_of(learner, course)

    record = progress.modules[1]
    assert record.state == "in_progress"
    assert record.quiz.attempts_left == 2
    assert record.quiz.reasons == ["Best 60%, 70% needed to pass; 2 attempts left"]
    assert record.reasons == [
        "Read “Instrument 1” and 1 more lesson",
        "Pass the quiz: best 60%, 70% needed",
    ]


def test_a_completed_module_says_so_and_opens_the_next(learner, course, now, complete_module):
    foundations, instruments = modules_of(course)
    complete_module(learner, foundations, now=now)

    progress = progress_of(learner, course)

    assert [m.state for m in progress.modules] == ["done", "not_started"]
    assert progress.modules[0].reasons == ["All 3 lessons read and quiz passed with 100%"]
    assert progress.modules[0].quiz.reasons == ["Passed with 100%"]
    assert progress.next_step == lessons(instruments)[0]
    assert lesson_is_open(progress, lessons(instruments)[0]) is True
    assert quiz_is_open(progress, instruments.quiz) is True
    assert quiz_is_open(progress, Quiz.objects.get(course=course, kind="final")) is False


def test_when_every_module_is_done_the_final_exam_is_next(learner, course, now, complete_module):
    for module in modules_of(course):
        complete_module(learner, module, now=now)

    progress = progress_of(learner, course)

    exam = Quiz.objects.get(course=course, kind="final")
    assert progress.next_step == exam
    assert progress.final_exam.is_open is True
    assert progress.final_exam.reasons == ["80% needed to pass"]
    assert progress.is_complete is False
    assert progress.percent == 87  # 7 of 8 steps, rounded down


def test_a_completed_course_has_no_next_step(learner, course, now, complete_module, take_quiz):
    for module in modules_of(course):
        complete_module(learner, module, now=now)
    take_quiz(learner, Quiz.objects.get(course=course, kind="final"), now=now)

    progress = progress_of(learner, course)

    assert progress.is_complete is True
    assert progress.percent == 100
    assert progress.next_step is None
    assert progress.final_exam.reasons == ["Passed with 100%"]


def test_a_module_without_quiz_is_done_when_read(learner, now):
    course = course_with_modules(modules=2, lessons=1, module_quizzes=False, final_exam=False)
    enrollment_create(learner=learner, course=course)
    first, second = modules_of(course)
    lesson_complete(learner=learner, lesson=lessons(first)[0], now=now)

    progress = progress_of(learner, course)

    assert progress.modules[0].state == "done"
    assert progress.modules[0].reasons == ["Lesson read"]
    assert progress.final_exam is None
    assert progress.next_step == lessons(second)[0]


def test_drafts_and_archived_content_are_invisible(learner, now):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    module = modules_of(course)[0]
    LessonFactory(module=module, status=Status.DRAFT, title="Draft lesson")
    LessonFactory(module=module, status=Status.ARCHIVED, title="Archived lesson")
    hidden_module = ModuleFactory(course=course, status=Status.DRAFT, position=0)
    LessonFactory(module=hidden_module)
    single_question(quiz=QuizFactory(module=hidden_module))
    single_question(quiz=QuizFactory(final=True, course=course, status=Status.DRAFT))
    enrollment_create(learner=learner, course=course)

    progress = progress_of(learner, course)

    assert [m.module for m in progress.modules] == [module]
    assert [item.lesson.title for item in progress.modules[0].lessons] == ["Lesson 1.1"]
    assert progress.lessons_total == 1
    assert progress.final_exam is None
    assert lesson_is_open(progress, module.lessons.get(title="Draft lesson")) is False
    assert quiz_is_open(progress, hidden_module.quiz) is False


def test_a_non_sequential_course_opens_everything(learner):
    course = course_with_modules(modules=3, sequential=False)
    enrollment_create(learner=learner, course=course)

    progress = progress_of(learner, course)

    assert [m.state for m in progress.modules] == ["not_started"] * 3
    assert progress.final_exam.is_open is True
    assert all(
        lesson_is_open(progress, item.lesson) for m in progress.modules for item in m.lessons
    )


def test_a_learner_sees_only_their_own_progress(learner, course, now, complete_module):
    other = UserFactory()
    enrollment_create(learner=other, course=course)
    complete_module(other, modules_of(course)[0], now=now)

    progress = progress_of(learner, course)

    assert progress.lessons_done == 0
    assert progress.modules[0].quiz.attempts_used == 0
    assert progress.modules[0].state == "not_started"


def test_progress_without_enrollment_is_readable(course):
    progress = progress_of(UserFactory(), course)

    assert progress.enrollment is None
    assert progress.lessons_done == 0


def test_completion_survives_content_added_later(learner, now, complete_module):
    course = course_with_modules(modules=1, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    module = modules_of(course)[0]
    complete_module(learner, module, now=now)

    added = LessonFactory(module=module, title="Added later")
    progress = progress_of(learner, course)

    assert progress.is_complete is True
    assert progress.modules[0].state == "in_progress"
    assert progress.next_step == added


# --- Query count: fixed whatever the size ---------------------------------------------


def build_course_with_history(*, modules, lessons, learners, attempts, now, take_quiz):
    course = course_with_modules(modules=modules, lessons=lessons, sequential=True)
    learner = UserFactory()
    people = [learner, *(UserFactory() for _ in range(learners - 1))]
    for person in people:
        enrollment_create(learner=person, course=course)
        for module in modules_of(course):
            for lesson in module.lessons.all():
                lesson_complete(learner=person, lesson=lesson, now=now)
            for n in range(attempts):
                take_quiz(person, module.quiz, now=now + timedelta(minutes=n), right=n > 0)
    return learner, course


@pytest.mark.parametrize(
    "size",
    [
        {"modules": 1, "lessons": 1, "learners": 1, "attempts": 1},
        {"modules": 5, "lessons": 4, "learners": 3, "attempts": 3},
    ],
)
def test_progress_takes_six_queries_then_none_whatever_the_size(
    size, now, take_quiz, django_assert_num_queries
):
    learner, course = build_course_with_history(**size, now=now, take_quiz=take_quiz)
    cache.clear()

    # Three for the outline, three for the learner (enrolment, completions, attempts).
    with django_assert_num_queries(6):
        progress_of(learner, course)
    with django_assert_num_queries(0):
        progress = progress_of(learner, course)
        # Everything a page reads is already there.
        shown = [
            (
                m.module.title,
                m.quiz and m.quiz.quiz.title,
                m.reasons,
                m.state,
                [(item.lesson.title, item.lesson.course.slug, item.url) for item in m.lessons],
            )
            for m in progress.modules
        ]

    assert len(shown) == size["modules"]
    assert progress.lessons_done == size["modules"] * size["lessons"]


def test_a_quiz_out_of_attempts_is_not_offered_as_the_next_step(learner, now, take_quiz):
    course = course_with_modules(modules=2, lessons=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    first, second = modules_of(course)
    lesson_complete(learner=learner, lesson=lessons(first)[0], now=now)
    first.quiz.max_attempts = 1
    first.quiz.save()
    take_quiz(learner, first.quiz, now=now, right=False)

    progress = progress_of(learner, course)

    assert progress.modules[0].state == "in_progress"
    assert progress.next_step == lessons(second)[0]
