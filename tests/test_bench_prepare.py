"""The benchmark's logged-in visitors are logged in as far as the site can tell."""

import pytest

from bench.prepare import browser_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_benchmark_visitor_is_logged_in_on_learner_pages(client):
    learner = UserFactory(first_name="Grace", last_name="Hopper")
    visitor = browser_for(learner)
    for pair in visitor.cookie.split("; "):
        name, value = pair.split("=", 1)
        client.cookies[name] = value

    response = client.get("/dashboard/")

    assert response.status_code == 200
    assert response.wsgi_request.user == learner
