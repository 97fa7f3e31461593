"""The menu and footer every page shares: parts of them are kept in each process's memory
(templates/base.html), yet every reader still sees their own."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.test import Client
from django.urls import reverse
from django.utils.autoreload import file_changed

from tests.factories import UserFactory, make_instructor

pytestmark = pytest.mark.django_db


def menu_of(client, user=None, *, language="en-gb") -> str:
    client.logout()
    if user is not None:
        client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("catalogue")).content.decode()


def test_each_reader_sees_their_own_menu_and_language_switch_whoever_came_before(client):
    """Two readers of each kind in turn: what one of them sees of their own (their name) must
    never reach the other, who shares every key of the parts kept in memory."""
    learners = [UserFactory(first_name="Amara", last_name="Okafor"), UserFactory(first_name="Bo")]
    instructors = [make_instructor("teacher"), make_instructor("lecturer")]
    names = {user: user.get_full_name() for user in learners + instructors}

    for _ in range(2):  # the second time round, every part comes from memory
        anonymous = menu_of(client)
        assert "Log in" in anonymous and "My learning" not in anonymous
        assert not any(name in anonymous for name in names.values())

        for learner in learners:
            mine = menu_of(client, learner)
            assert "My learning" in mine and names[learner] in mine
            assert "Teach" not in mine and "Log in" not in mine
            assert not any(name in mine for user, name in names.items() if user != learner)

        for instructor in instructors:
            staff = menu_of(client, instructor)
            assert "Teach" in staff and reverse("admin:index") in staff
            assert names[instructor] in staff
            assert not any(name in staff for user, name in names.items() if user != instructor)

        french = menu_of(client, learners[0], language="fr")
        assert "Mon parcours" in french and "My learning" not in french
        assert re.search(r'<strong lang="fr" aria-current="true">Français</strong>', french)
        assert re.search(r'<button[^>]*value="en-gb"[^>]*>[^<]*English</button>', french)
        english = menu_of(client, learners[0])
        assert re.search(
            r'<strong lang="en-gb" aria-current="true">[^<]*English</strong>', english
        )


def test_the_logout_form_and_htmx_carry_the_readers_own_csrf_token():
    """A token cached with the menu would be another reader's: logging out, or any request
    htmx sends, would be refused. Each reader has a browser of their own, so a token of
    anyone else's is refused."""
    logout = reverse("logout")
    for user in (UserFactory(), UserFactory()):
        browser = Client(enforce_csrf_checks=True)
        for where in ("form", "htmx"):
            browser.force_login(user)
            page = browser.get(reverse("catalogue")).content.decode()
            if where == "form":
                [token] = re.findall(
                    rf'action="{re.escape(logout)}">\s*'
                    r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
                    page,
                )
                response = browser.post(logout, {"csrfmiddlewaretoken": token})
            else:
                [token] = re.findall(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
                response = browser.post(logout, headers={"X-CSRFToken": token})
            assert response.status_code == 302, where
            assert "_auth_user_id" not in browser.session


def test_the_development_server_forgets_the_parts_kept_in_memory_when_a_template_changes(client):
    """It reloads an edited template or catalogue in the same process: the menu kept in memory
    would go on showing the old one."""
    menu_of(client)
    kept = caches["local"]
    assert kept.get(make_template_fragment_key("base_menu", ["en-gb", False, False]))
    file_changed.send(sender=None, file_path=Path(settings.BASE_DIR, "templates", "base.html"))
    assert kept.get(make_template_fragment_key("base_menu", ["en-gb", False, False])) is None
