"""The menu and footer every page shares: parts of them are kept in each process's memory
(templates/base.html), yet every reader still sees their own."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory, make_instructor

pytestmark = pytest.mark.django_db


def menu_of(client, user=None, *, language="en-gb") -> str:
    client.logout()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("catalogue")).content.decode()


def test_each_reader_sees_their_own_menu_and_language_switch_whoever_came_before(client):
    learner = UserFactory(first_name="Amara", last_name="Okafor")
    instructor = make_instructor("teacher")

    for _ in range(2):  # the second time round, every part comes from memory
        anonymous = menu_of(client)
        assert "Log in" in anonymous and "My learning" not in anonymous

        mine = menu_of(client, learner)
        assert "My learning" in mine and "Amara Okafor" in mine
        assert "Teach" not in mine and "Log in" not in mine

        staff = menu_of(client, instructor)
        assert "Teach" in staff and reverse("admin:index") in staff
        assert instructor.get_full_name() in staff
        assert "Amara Okafor" not in staff

        french = menu_of(client, learner, language="fr")
        assert "Mon parcours" in french and "My learning" not in french
        assert re.search(r'<strong lang="fr" aria-current="true">Français</strong>', french)
        assert re.search(r'<button[^>]*value="en-gb"[^>]*>[^<]*English</button>', french)
        assert re.search(r'<strong lang="en-gb" aria-current="true">[^<]*English</strong>', mine)


def test_the_logout_form_carries_the_readers_own_csrf_token(client):
    """A token cached with the menu would be another visitor's: logging out would fail."""
    checked = type(client)(enforce_csrf_checks=True)
    for user in (UserFactory(), UserFactory()):
        checked.force_login(user)
        page = checked.get(reverse("catalogue")).content.decode()
        logout = re.escape(reverse("logout"))
        [token] = re.findall(
            rf'action="{logout}">\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
            page,
        )
        response = checked.post(reverse("logout"), {"csrfmiddlewaretoken": token})
        assert response.status_code == 302
        assert "_auth_user_id" not in checked.session
