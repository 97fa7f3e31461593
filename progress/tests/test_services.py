import re
from datetime import timedelta

import pytest
from django.db import connection

from assessments.models import Attempt
from assessments.services import AttemptClosed, AttemptLimitReached
from lessons.models import Lesson, Status
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.services import (
    LessonLocked,
    NotEnrolled,
    ProgressError,
    QuizLocked,
    course_completion_check,
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_attempt_submit,
    quiz_attempts_expired_submit,
    quiz_response_save,
)
from tests.concurrency import run_at_once
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
    course_with_modules,
    right_answer,
)

pytestmark = pytest.mark.django_db


def modules_of(course):
    return list(course.modules.order_by("position"))


def lessons_of(module):
    return list(module.lessons.order_by("position"))


# --- Enrolment ------------------------------------------------------------------


def test_enrolling_twice_keeps_one_enrollment(learner):
    course = CourseFactory()

    first = enrollment_create(learner=learner, course=course)
    second = enrollment_create(learner=learner, course=course)

    assert first.pk == second.pk
    assert Enrollment.objects.filter(learner=learner).count() == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_cannot_enrol_in_a_course_that_is_not_published(learner, status):
    course = CourseFactory(status=status, title="Hidden course")

    with pytest.raises(
        ProgressError, match=re.escape("“Hidden course” is not open for enrolment.")
    ):
        enrollment_create(learner=learner, course=course)
    assert not Enrollment.objects.exists()


# --- Lessons --------------------------------------------------------------------------


def test_completing_a_lesson_needs_an_enrollment(learner, now):
    lesson = LessonFactory(module__course__title="Regional Security")

    with pytest.raises(NotEnrolled, match=re.escape("Enrol in “Regional Security” first.")):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    assert not LessonCompletion.objects.exists()


def test_completing_a_lesson_twice_keeps_the_first_completion(learner, now):
    lesson = LessonFactory()
    enrollment_create(learner=learner, course=lesson.course)

    first = lesson_complete(learner=learner, lesson=lesson, now=now)
    second = lesson_complete(learner=learner, lesson=lesson, now=now + timedelta(days=2))

    assert second.pk == first.pk
    assert second.completed_at == now
    assert LessonCompletion.objects.count() == 1
    assert Enrollment.objects.get().last_activity_at == now


def test_completing_a_lesson_records_activity(learner, now):
    course = course_with_modules(modules=1, lessons=2)
    enrollment_create(learner=learner, course=course)
    first, second = lessons_of(modules_of(course)[0])

    lesson_complete(learner=learner, lesson=first, now=now)
    lesson_complete(learner=learner, lesson=second, now=now + timedelta(hours=1))

    assert Enrollment.objects.get().last_activity_at == now + timedelta(hours=1)


@pytest.mark.parametrize(
    ("lesson_status", "module_status"),
    [
        (Status.DRAFT, Status.PUBLISHED),
        (Status.PUBLISHED, Status.DRAFT),
        (Status.ARCHIVED, Status.PUBLISHED),
    ],
)
def test_a_lesson_learners_cannot_see_cannot_be_completed(
    learner, now, lesson_status, module_status
):
    module = ModuleFactory(status=module_status)
    lesson = LessonFactory(module=module, status=lesson_status, title="Work in progress")
    LessonFactory(module=ModuleFactory(course=module.course))
    enrollment_create(learner=learner, course=module.course)

    with pytest.raises(LessonLocked, match=re.escape("“Work in progress” is not available.")):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    assert not LessonCompletion.objects.exists()


# --- Sequential gating, enforced by the services ----------------------------------------


@pytest.fixture
def sequential(learner):
    course = course_with_modules(modules=3, lessons=2, sequential=True)
    first = modules_of(course)[0]
    first.title = "Foundations"
    first.save()
    enrollment_create(learner=learner, course=course)
    return course


def test_sequential_course_locks_lessons_of_the_next_module(learner, sequential, now):
    _, second, _ = modules_of(sequential)

    with pytest.raises(
        LessonLocked, match=re.escape("“Lesson 2.1” opens when you complete “Foundations”.")
    ):
        lesson_complete(learner=learner, lesson=lessons_of(second)[0], now=now)
    assert not LessonCompletion.objects.exists()


def test_reading_the_lessons_is_not_enough_the_quiz_must_be_passed(
    learner, sequential, now, complete_module, take_quiz
):
    first, second, _ = modules_of(sequential)
    complete_module(learner, first, now=now, quiz=False)
    take_quiz(learner, first.quiz, now=now, right=False)

    with pytest.raises(LessonLocked):
        lesson_complete(learner=learner, lesson=lessons_of(second)[0], now=now)
    with pytest.raises(
        QuizLocked, match=re.escape("“Quiz 2” opens when you complete “Foundations”.")
    ):
        quiz_attempt_start(learner=learner, quiz=second.quiz, now=now)

    take_quiz(learner, first.quiz, now=now, right=True)

    assert lesson_complete(learner=learner, lesson=lessons_of(second)[0], now=now).pk
    assert quiz_attempt_start(learner=learner, quiz=second.quiz, now=now).pk


def test_sequential_final_exam_opens_when_every_module_is_complete(
    learner, sequential, now, complete_module
):
    first, second, third = modules_of(sequential)
    exam = sequential.quizzes.get(kind="final")
    complete_module(learner, first, now=now)
    complete_module(learner, second, now=now)

    with pytest.raises(
        QuizLocked, match=re.escape("“Final exam” opens when you complete “Module 3”.")
    ):
        quiz_attempt_start(learner=learner, quiz=exam, now=now)

    complete_module(learner, third, now=now)
    assert quiz_attempt_start(learner=learner, quiz=exam, now=now).quiz_id == exam.pk


def test_a_non_sequential_course_is_open_throughout(learner, now):
    course = course_with_modules(modules=3, sequential=False)
    enrollment_create(learner=learner, course=course)
    _, _, last = modules_of(course)

    lesson_complete(learner=learner, lesson=lessons_of(last)[1], now=now)
    quiz_attempt_start(learner=learner, quiz=last.quiz, now=now)
    quiz_attempt_start(learner=learner, quiz=course.quizzes.get(kind="final"), now=now)

    assert Attempt.objects.filter(learner=learner).count() == 2


def test_quizzes_need_an_enrollment_and_must_be_visible(learner, now):
    course = course_with_modules(modules=2)
    first, second = modules_of(course)
    with pytest.raises(NotEnrolled):
        quiz_attempt_start(learner=learner, quiz=first.quiz, now=now)
    enrollment_create(learner=learner, course=course)
    second.quiz.status = Status.DRAFT
    second.quiz.save()

    with pytest.raises(QuizLocked, match=re.escape("“Quiz 2” is not available.")):
        quiz_attempt_start(learner=learner, quiz=second.quiz, now=now)
    assert not Attempt.objects.exists()


def test_the_attempt_limit_still_applies_through_progress(learner, now, take_quiz):
    course = course_with_modules(modules=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    quiz = modules_of(course)[0].quiz
    quiz.max_attempts = 1
    quiz.save()
    take_quiz(learner, quiz, now=now, right=False)

    with pytest.raises(AttemptLimitReached):
        quiz_attempt_start(learner=learner, quiz=quiz, now=now)


@pytest.mark.parametrize("part", ["course", "module", "quiz"])
@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_an_attempt_takes_no_answer_and_no_submit_while_off_line(learner, now, part, status):
    course = course_with_modules(modules=1, final_exam=False)
    enrollment_create(learner=learner, course=course)
    quiz = modules_of(course)[0].quiz
    attempt = quiz_attempt_start(learner=learner, quiz=quiz, now=now)
    target = {"course": course, "module": quiz.module, "quiz": quiz}[part]
    target.status = status
    target.save()
    # As the admin, a command or a view would hold it: read afresh.
    attempt = Attempt.objects.get(pk=attempt.pk)
    answer = right_answer(attempt.responses.get(slot=1).shown)

    with pytest.raises(ProgressError, match="not open at the moment"):
        quiz_response_save(attempt=attempt, slot=1, answer=answer, now=now)
    with pytest.raises(ProgressError, match="not open at the moment"):
        quiz_attempt_submit(attempt=attempt, now=now)

    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert attempt.responses.get(slot=1).answer is None


# --- Course completion and the certificate ------------------------------------------------


@pytest.fixture
def course(learner):
    course = course_with_modules(modules=2, lessons=2, title="Military Diplomacy")
    enrollment_create(learner=learner, course=course)
    return course


def test_completing_everything_issues_a_certificate(
    learner, course, now, complete_module, take_quiz
):
    first, second = modules_of(course)
    complete_module(learner, first, now=now)
    complete_module(learner, second, now=now)
    assert not Certificate.objects.exists()  # the final exam is still to pass

    take_quiz(learner, course.quizzes.get(kind="final"), now=now + timedelta(hours=1))

    certificate = Certificate.objects.get()
    assert certificate.learner == learner
    assert certificate.learner_name == "Ada Lovelace"
    assert certificate.course_title == "Military Diplomacy"
    assert certificate.issued_at == now + timedelta(hours=1)
    assert Enrollment.objects.get().completed_at == now + timedelta(hours=1)


def test_failing_the_final_exam_issues_nothing(learner, course, now, complete_module, take_quiz):
    for module in modules_of(course):
        complete_module(learner, module, now=now)

    take_quiz(learner, course.quizzes.get(kind="final"), now=now, right=False)

    assert not Certificate.objects.exists()
    assert Enrollment.objects.get().completed_at is None


def test_the_certificate_is_issued_once(learner, course, now, complete_module, take_quiz):
    for module in modules_of(course):
        complete_module(learner, module, now=now)
    exam = course.quizzes.get(kind="final")
    take_quiz(learner, exam, now=now)
    first = Certificate.objects.get()

    take_quiz(learner, exam, now=now + timedelta(days=1))  # passes again
    again = course_completion_check(learner=learner, course=course, now=now + timedelta(days=2))

    assert again.pk == first.pk
    assert Certificate.objects.count() == 1
    assert Certificate.objects.get().issued_at == now


def test_the_certificate_keeps_the_names_it_was_issued_with(now, complete_module, take_quiz):
    learner = UserFactory(username="kofi", first_name="", last_name="")
    course = course_with_modules(modules=1, final_exam=False, title="Old title")
    enrollment_create(learner=learner, course=course)
    complete_module(learner, modules_of(course)[0], now=now)

    course.title = "New title"
    course.save()
    learner.first_name = "Kofi"
    learner.save()

    certificate = Certificate.objects.get()
    assert certificate.learner_name == "kofi"
    assert certificate.course_title == "Old title"


def test_course_without_final_exam_completes_with_its_modules(learner, now, complete_module):
    course = course_with_modules(modules=2, final_exam=False)
    enrollment_create(learner=learner, course=course)
    first, second = modules_of(course)

    complete_module(learner, first, now=now)
    assert not Certificate.objects.exists()
    complete_module(learner, second, now=now)

    assert Certificate.objects.filter(learner=learner, course=course).count() == 1


def test_the_last_lesson_can_be_what_completes_the_course(learner, now):
    course = course_with_modules(modules=1, lessons=2, module_quizzes=False, final_exam=False)
    enrollment_create(learner=learner, course=course)
    first, second = lessons_of(modules_of(course)[0])

    lesson_complete(learner=learner, lesson=first, now=now)
    assert course_completion_check(learner=learner, course=course, now=now) is None
    lesson_complete(learner=learner, lesson=second, now=now)

    assert Certificate.objects.get().issued_at == now


def test_drafts_do_not_stand_in_the_way(learner, now, complete_module):
    course = course_with_modules(modules=1, final_exam=False)
    module = modules_of(course)[0]
    LessonFactory(module=module, status=Status.DRAFT)
    ModuleFactory(course=course, status=Status.DRAFT)
    enrollment_create(learner=learner, course=course)

    complete_module(learner, module, now=now)

    assert Certificate.objects.filter(learner=learner).exists()


def test_an_empty_course_is_never_complete(learner, now):
    course = CourseFactory()
    enrollment_create(learner=learner, course=course)

    assert course_completion_check(learner=learner, course=course, now=now) is None


def test_no_certificate_without_enrollment(learner, now):
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)

    assert course_completion_check(learner=learner, course=course, now=now) is None


def test_new_content_after_completion_takes_nothing_away(
    learner, course, now, complete_module, take_quiz
):
    for module in modules_of(course):
        complete_module(learner, module, now=now)
    take_quiz(learner, course.quizzes.get(kind="final"), now=now)

    LessonFactory(module=modules_of(course)[0], title="Added later")

    assert course_completion_check(learner=learner, course=course, now=now).pk
    assert Certificate.objects.count() == 1
    assert Enrollment.objects.get().completed_at == now
    assert LessonCompletion.objects.filter(learner=learner).count() == 4


def test_a_passing_attempt_that_timed_out_still_earns_the_certificate(learner, now, answer_all):
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False)
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=Lesson.objects.get(course=course), now=now)
    exam = course.quizzes.get(kind="final")
    exam.time_limit_minutes = 20
    exam.save()
    attempt = quiz_attempt_start(learner=learner, quiz=exam, now=now)
    answer_all(attempt, now=now + timedelta(minutes=5))

    quiz_attempts_expired_submit(now=now + timedelta(minutes=25))

    certificate = Certificate.objects.get()
    assert certificate.issued_at == now + timedelta(minutes=25)
    attempt.refresh_from_db()
    assert attempt.auto_submitted is True
    assert attempt.passed is True


def test_submitting_one_learners_expired_attempts_in_a_course_leaves_the_others_open(now):
    """What the instructor's page of one learner hands in; the periodic job does the rest."""
    open_attempts = {}
    for name in ("this course", "other course"):
        course = course_with_modules(modules=1, lessons=1, module_quizzes=False, title=name)
        exam = course.quizzes.get(kind="final")
        exam.time_limit_minutes = 20
        exam.save()
        for learner in ("ada", "grace"):
            user = UserFactory(username=f"{learner}-{course.pk}")
            enrollment_create(learner=user, course=course)
            lesson_complete(learner=user, lesson=Lesson.objects.get(course=course), now=now)
            open_attempts[name, learner] = quiz_attempt_start(learner=user, quiz=exam, now=now)
    ada = open_attempts["this course", "ada"]

    submitted = quiz_attempts_expired_submit(
        now=now + timedelta(minutes=25), learner_id=ada.learner_id, course=ada.quiz.course
    )

    assert [attempt.pk for attempt in submitted.submitted] == [ada.pk]
    still_open = Attempt.objects.filter(submitted_at=None)
    assert set(still_open) == {
        a for key, a in open_attempts.items() if key != ("this course", "ada")
    }


@pytest.fixture
def timed_exam(learner, now):
    """A course whose lesson is read, and whose one-attempt final exam has 20 minutes."""
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False)
    enrollment_create(learner=learner, course=course)
    lesson_complete(learner=learner, lesson=Lesson.objects.get(course=course), now=now)
    exam = course.quizzes.get(kind="final")
    exam.time_limit_minutes = 20
    exam.max_attempts = 1
    exam.save()
    return exam


def test_an_answer_after_the_time_limit_still_completes_the_course(learner, timed_exam, now):
    attempt = quiz_attempt_start(learner=learner, quiz=timed_exam, now=now)
    for response in attempt.responses.all():
        answer = right_answer(response.shown)
        quiz_response_save(attempt=attempt, slot=response.slot, answer=answer, now=now)

    with pytest.raises(AttemptClosed, match="Time is up"):
        quiz_response_save(attempt=attempt, slot=1, answer=None, now=now + timedelta(minutes=21))

    assert Certificate.objects.get().issued_at == now + timedelta(minutes=21)


def test_coming_back_after_a_timed_out_pass_earns_the_certificate(learner, timed_exam, now):
    attempt = quiz_attempt_start(learner=learner, quiz=timed_exam, now=now)
    for response in attempt.responses.all():
        answer = right_answer(response.shown)
        quiz_response_save(attempt=attempt, slot=response.slot, answer=answer, now=now)

    # The one attempt is used up, so nothing starts, but the pass counts.
    with pytest.raises(AttemptLimitReached):
        quiz_attempt_start(learner=learner, quiz=timed_exam, now=now + timedelta(hours=1))

    assert Certificate.objects.get(learner=learner).issued_at == now + timedelta(hours=1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrency")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_completion_checks_issue_one_certificate(now):
    learner = UserFactory()
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False, final_exam=False)
    enrollment_create(learner=learner, course=course)
    lesson = Lesson.objects.get(course=course)
    # The completion exists but no check has run yet, as after a crash between the two.
    LessonCompletion.objects.create(learner=learner, lesson=lesson, completed_at=now)
    issued, errors = run_at_once(
        lambda: course_completion_check(learner=learner, course=course, now=now).pk
    )

    assert errors == []
    assert len(set(issued)) == 1
    assert Certificate.objects.count() == 1


def test_a_course_taken_offline_after_enrolment_takes_no_more_progress(learner, course, now):
    lesson = Lesson.objects.filter(course=course).first()
    course.status = Status.ARCHIVED
    course.save()

    with pytest.raises(ProgressError, match=re.escape("“Military Diplomacy” is not open.")):
        lesson_complete(learner=learner, lesson=lesson, now=now)
    with pytest.raises(ProgressError):
        quiz_attempt_start(learner=learner, quiz=course.quizzes.get(kind="final"), now=now)
