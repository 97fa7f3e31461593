"""What learners may see of a quiz, asked of the database and of a loaded quiz."""

import itertools

import pytest

from assessments.models import Quiz
from assessments.selectors import quiz_is_available
from lessons.models import Status
from tests.factories import CourseFactory, ModuleFactory, QuizFactory

pytestmark = pytest.mark.django_db


def test_visible_quizzes_are_the_available_ones_in_every_combination_of_statuses():
    statuses = list(Status)
    expected = set()
    for course_status, module_status, quiz_status in itertools.product(statuses, repeat=3):
        course = CourseFactory(status=course_status)
        module = ModuleFactory(course=course, status=module_status)
        module_quiz = QuizFactory(module=module, status=quiz_status)
        exam = QuizFactory(final=True, course=course, status=quiz_status)
        if course_status == quiz_status == Status.PUBLISHED:
            expected.add(exam.pk)
            if module_status == Status.PUBLISHED:
                expected.add(module_quiz.pk)

    visible = set(Quiz.objects.visible().values_list("pk", flat=True))
    available = {
        quiz.pk
        for quiz in Quiz.objects.select_related("course", "module")
        if quiz_is_available(quiz)
    }

    assert visible == available == expected
