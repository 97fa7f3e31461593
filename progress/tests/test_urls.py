"""The addresses lessons and assessments name are the pages progress serves."""

import pytest
from django.urls import resolve

from progress.views import quizzes, reading
from tests.factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory

pytestmark = pytest.mark.django_db


def test_the_course_lesson_and_quiz_addresses_are_the_pages_progress_serves():
    course = CourseFactory(slug="military-diplomacy")
    lesson = LessonFactory(module=ModuleFactory(course=course), slug="attaches")
    quiz = QuizFactory(final=True, course=course, slug="final-exam")

    assert resolve(course.get_absolute_url()).func is reading.course_detail
    assert resolve(lesson.get_absolute_url()).func is reading.lesson_detail
    assert resolve(quiz.get_absolute_url()).func is quizzes.quiz_detail
    assert quiz.get_absolute_url() == "/courses/military-diplomacy/quizzes/final-exam/"
