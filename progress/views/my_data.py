"""A learner's own data, downloaded as one JSON file."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import timezone

from progress.records import learner_data, records_json


@login_required
def my_data(request):
    data = learner_data(learner=request.user, absolute_url=request.build_absolute_uri)
    response = HttpResponse(records_json(data), content_type="application/json; charset=utf-8")
    filename = f"courseware-{request.user.username}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
