"""A URLconf of the patterns lessons and assessments name, with stand-in views: what
assessments needs to build its links, with no app above it installed in the URLs."""

from assessments.urls import question_regrade_patterns, quiz_page_patterns
from lessons.tests.urls_alone import stand_in
from lessons.urls import course_page_patterns

urlpatterns = [
    *course_page_patterns(course_view=stand_in, lesson_view=stand_in),
    *quiz_page_patterns(quiz_view=stand_in),
    *question_regrade_patterns(regrade_view=stand_in),
]
