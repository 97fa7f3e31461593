"""The learner's data download, with the statements sent (or waiting) about them."""

from django.contrib.auth.decorators import login_required

from progress.records import learner_data
from progress.views.my_data import my_data_response
from xapi.models import OutboxStatement


@login_required
def my_data(request):
    data = learner_data(learner=request.user, absolute_url=request.build_absolute_uri)
    data["xapi_statements"] = [
        {"state": row.state, "sent_at": row.sent_at, "statement": row.statement}
        for row in OutboxStatement.objects.filter(learner=request.user)
    ]
    return my_data_response(request, data)
