"""Being written."""

from django.http import Http404


def quiz_detail(request, *args, **kwargs):
    raise Http404


def quiz_start(request, *args, **kwargs):
    raise Http404


def attempt_detail(request, *args, **kwargs):
    raise Http404


def response_save(request, *args, **kwargs):
    raise Http404


def attempt_submit(request, *args, **kwargs):
    raise Http404


def attempt_result(request, *args, **kwargs):
    raise Http404
