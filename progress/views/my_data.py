"""A learner's own data, downloaded as one JSON file."""

from django.http import HttpResponse
from django.utils import timezone

from progress.records import records_json


def my_data_response(request, data: dict) -> HttpResponse:
    """``data`` (``progress.records.learner_data``, with what the apps above add) as the
    learner's download. The page is composed in xapi/views.py: courseware/urls.py routes it."""
    response = HttpResponse(records_json(data), content_type="application/json; charset=utf-8")
    filename = f"courseware-{request.user.username}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
