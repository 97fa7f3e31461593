"""The address of a quiz's page, named here because a quiz links to it
(``Quiz.get_absolute_url``); progress, which shows the learner's record on it, hands in
the view that serves it. Why this way: see lessons/urls.py."""

from collections.abc import Callable

from django.urls import URLPattern, path

QUIZ_PAGE = "quiz_detail"


def quiz_page_patterns(*, quiz_view: Callable) -> list[URLPattern]:
    """The quiz page (``QUIZ_PAGE``) address, served by the view given."""
    return [path("courses/<slug:course_slug>/quizzes/<slug:slug>/", quiz_view, name=QUIZ_PAGE)]
