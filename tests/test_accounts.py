import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "amara",
    "first_name": "Amara",
    "last_name": "Okafor",
    "email": "amara@example.org",
    "password1": "a long passphrase 2026",
    "password2": "a long passphrase 2026",
}


def test_signing_up_creates_the_account_and_logs_in(client):
    response = client.post("/accounts/signup/", SIGNUP, follow=True)

    user = get_user_model().objects.get(username="amara")
    assert user.get_full_name() == "Amara Okafor"
    assert response.context["user"] == user
    assert "Welcome, Amara!" in response.content.decode()


def test_sign_up_errors_are_shown_on_the_form_and_nothing_is_created(client):
    UserFactory(email="amara@example.org")

    response = client.post("/accounts/signup/", {**SIGNUP, "password2": "different"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "An account already uses this e-mail address." in page
    assert "password fields didn’t match" in page
    assert not get_user_model().objects.filter(username="amara").exists()


@pytest.mark.parametrize("username", ["lti-6b86b273ff34fce1", "LTI-x"])
def test_the_usernames_of_platform_accounts_are_not_given_at_sign_up(client, username):
    response = client.post("/accounts/signup/", {**SIGNUP, "username": username})

    assert response.status_code == 200
    assert "Usernames starting with “lti-” are kept for learning platforms." in (
        response.content.decode()
    )
    assert not get_user_model().objects.exists()


def test_closed_registration_refuses_sign_up_and_hides_the_link(client, settings):
    settings.SIGNUP_OPEN = False

    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 403
    assert "Registration is closed" in response.content.decode()
    assert not get_user_model().objects.filter(username="amara").exists()
    assert "/accounts/signup/" not in client.get("/accounts/login/").content.decode()


def test_password_reset_sends_a_link_by_e_mail(client):
    UserFactory(username="amara", email="amara@example.org")

    response = client.post(
        "/accounts/password_reset/", {"email": "amara@example.org"}, follow=True
    )

    assert "Check your e-mail" in response.content.decode()
    [message] = mail.outbox
    assert "/accounts/reset/" in message.body


def test_login_and_logout(client):
    UserFactory(username="amara", password="a long passphrase 2026")

    response = client.post(
        "/accounts/login/", {"username": "amara", "password": "a long passphrase 2026"}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].is_authenticated

    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_unknown_page_gets_the_friendly_404(client, settings):
    settings.DEBUG = False

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
