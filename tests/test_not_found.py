"""A page that does not exist reads as the app's own "Page not found", even with DEBUG on
(the README's default), where Django would show its technical page listing every URL."""

import pytest
from django.urls import reverse

from lessons.models import Status
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

TECHNICAL_PAGE = "Using the URLconf defined in"


@pytest.fixture(params=[True, False], ids=["DEBUG on", "DEBUG off"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def assert_app_not_found(response) -> None:
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert "Back to the courses</a>" in page
    assert TECHNICAL_PAGE not in page
    assert "Django" not in page


def test_an_unknown_address_shows_the_apps_not_found_page(client, debug):
    assert_app_not_found(client.get("/no-such-page/"))


def test_something_a_view_does_not_find_shows_the_apps_not_found_page(client, debug):
    draft = CourseFactory(status=Status.DRAFT)

    assert_app_not_found(client.get(draft.get_absolute_url()))


def test_a_page_with_its_own_not_found_text_keeps_it(client, debug):
    response = client.get(reverse("certificate_verify", args=["ABCD-EFGH-JKMN-PQRS"]))

    assert response.status_code == 404
    assert "<h1>Certificate not found</h1>" in response.content.decode()


def test_an_address_without_its_final_slash_is_still_redirected(client, debug):
    response = client.get("/accounts/login")

    assert response.status_code == 301
    assert response["Location"] == "/accounts/login/"
