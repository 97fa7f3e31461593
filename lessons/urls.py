"""The addresses of the course and lesson pages, named here because lessons links to them.

A course and a lesson know their own address (``get_absolute_url``: the catalogue, the
admin's "View on site", feedback that sends a learner back to a passage). Their pages show
the learner's progress too, so they are served by progress, the app above (a page that
needs two apps lives in the higher one). Lessons therefore owns the addresses and their
names, and progress hands in the views that serve them.

The other way open was a hook the project sets (lessons asking a function for each
address). Defining the patterns here keeps Django's own ``reverse()`` and ``{% url %}``
working with the names as they are, keeps every address in a URLconf where the access
tests find it, and lets lessons' tests mount its patterns with stand-in views and build
its links with no app above it. Progress imports lessons, never the reverse.
"""

from collections.abc import Callable

from django.urls import URLPattern, path

COURSE_PAGE = "course_detail"
LESSON_PAGE = "lesson_detail"


def course_page_patterns(*, course_view: Callable, lesson_view: Callable) -> list[URLPattern]:
    """The course page (``COURSE_PAGE``) and lesson page (``LESSON_PAGE``) addresses, served
    by the views given."""
    return [
        path("courses/<slug:slug>/", course_view, name=COURSE_PAGE),
        path("courses/<slug:course_slug>/lessons/<slug:slug>/", lesson_view, name=LESSON_PAGE),
    ]
