import pytest

from lessons.models import Lesson, Status
from lessons.services import SyncReport, content_remove
from tests.factories import LessonFactory, single_question

pytestmark = pytest.mark.django_db


def test_a_lesson_nothing_points_at_is_deleted():
    lesson = LessonFactory()
    report = SyncReport()

    content_remove(lesson, report=report, kind="lessons")

    assert not Lesson.objects.filter(pk=lesson.pk).exists()
    assert str(report) == "1 lesson deleted"


def test_a_lesson_a_question_sends_learners_to_is_archived_not_deleted():
    lesson = LessonFactory()
    question = single_question(lesson=lesson, passage=1)
    report = SyncReport()

    content_remove(lesson, report=report, kind="lessons")

    lesson.refresh_from_db()
    question.refresh_from_db()
    assert lesson.status == Status.ARCHIVED
    assert question.lesson == lesson
    assert str(report) == "1 lesson archived"
