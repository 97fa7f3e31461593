"""A URLconf of lessons' own patterns with stand-in views: what lessons needs to build
its links, with no app above it installed in the URLs."""

from django.http import HttpResponse

from lessons.urls import course_page_patterns


def stand_in(request, **kwargs):
    return HttpResponse("stand-in")


urlpatterns = course_page_patterns(course_view=stand_in, lesson_view=stand_in)
