"""The address of a quiz's page, named here because a quiz links to it
(``Quiz.get_absolute_url``); progress, which shows the learner's record on it, hands in
the view that serves it. Why this way: see lessons/urls.py. The same for the page that
regrades a question, which the question's admin page links to once it is saved; progress
serves it among the instructor's pages (under ``teach/``)."""

from collections.abc import Callable

from django.urls import URLPattern, path

QUIZ_PAGE = "quiz_detail"
QUESTION_REGRADE_PAGE = "teach_question_regrade"


def quiz_page_patterns(*, quiz_view: Callable) -> list[URLPattern]:
    """The quiz page (``QUIZ_PAGE``) address, served by the view given."""
    return [path("courses/<slug:course_slug>/quizzes/<slug:slug>/", quiz_view, name=QUIZ_PAGE)]


def question_regrade_patterns(*, regrade_view: Callable) -> list[URLPattern]:
    """The page regrading a question's past answers (``QUESTION_REGRADE_PAGE``), served by
    the view given; mounted under the instructor area's prefix."""
    return [
        path(
            "<slug:course_slug>/questions/<int:question_id>/regrade/",
            regrade_view,
            name=QUESTION_REGRADE_PAGE,
        )
    ]
