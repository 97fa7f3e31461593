"""Lessons names the addresses of its own pages, so it builds its links on its own."""

import pytest

from tests.factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    course = CourseFactory(slug="military-diplomacy")
    return LessonFactory(module=ModuleFactory(course=course), slug="attaches")


@pytest.mark.urls("lessons.tests.urls_alone")
def test_a_course_and_its_lessons_know_their_addresses_with_lessons_urls_alone(lesson):
    assert lesson.course.get_absolute_url() == "/courses/military-diplomacy/"
    assert lesson.get_absolute_url() == "/courses/military-diplomacy/lessons/attaches/"
