"""Assessments names the address of a quiz's page, so a quiz builds its link on its own."""

import pytest

from tests.factories import CourseFactory, QuizFactory

pytestmark = pytest.mark.django_db


@pytest.mark.urls("assessments.tests.urls_alone")
def test_a_quiz_knows_its_address_with_the_urls_of_lessons_and_assessments_alone():
    quiz = QuizFactory(final=True, course=CourseFactory(slug="diplomacy"), slug="final-exam")

    assert quiz.get_absolute_url() == "/courses/diplomacy/quizzes/final-exam/"
