"""Fixtures shared by every app's tests. Factories live in tests/factories.py."""

import os
import random

import pytest
from django.http import HttpRequest
from django.test import Client, override_settings
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from tests import factories
from tests.factories import (
    CHEAP_PASSWORD_HASHERS,
    UserFactory,
    logged_in_session,
    make_instructor,
)

# In CI the property-based tests draw the same examples on every run: a red build is the
# code's doing, never the luck of the draw. Locally they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


# What makes a test use the database: pytest-django's marker, one of its fixtures among those
# the test requests (directly or through other fixtures), or being a Django test case. Not
# ``django_db_blocker``: pytest-django's own autouse fixtures request it for every test, so
# modules that unblock the database to build data once carry the marker as well.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)


def uses_database(item) -> bool:
    from django.test import TransactionTestCase

    test_case = getattr(item, "cls", None)
    return bool(
        item.get_closest_marker("django_db")
        or DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        or (test_case is not None and issubclass(test_case, TransactionTestCase))
    )


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database: a second run against another "
        "database has nothing to learn from the others (parsers, file formats, the course's "
        "texts), which the first run has already passed",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("database_tests_only"):
        return
    kept, left_out = [], []
    for item in items:
        (kept if uses_database(item) else left_out).append(item)
    config.hook.pytest_deselected(items=left_out)
    items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def _no_collected_static_files(tmp_path_factory):
    """Tests see no collected static files, as on a fresh clone. After ``collectstatic`` into
    this checkout (deploying or benchmarking from it), whitenoise would otherwise list the
    collected files, compressed twins and all, each time a test client starts: the suite ran
    up to four times slower there than on a fresh clone."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static_root")):
        yield


def _force_login(client: Client, user, backend=None) -> None:
    """Client.force_login, signing in by writing the session (``logged_in_session``)."""
    from django.conf import settings

    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    request = HttpRequest()
    request.session = logged_in_session(
        user,
        key=cookie.value if cookie else None,
        backend=backend or client._get_backend(),
    )
    client._set_login_cookies(request)


@pytest.fixture(scope="session", autouse=True)
def _quick_force_login():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", _force_login)
        yield


@pytest.fixture(autouse=True)
def _cheap_password_hashing(settings):
    """Hash test accounts' passwords with a fast hasher (``CHEAP_PASSWORD_HASHERS``)."""
    settings.PASSWORD_HASHERS = CHEAP_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rolled-back rows reuse ids (SQLite), and a
    course or learner cached by an earlier test must not stand in for a new one."""
    from django.conf import settings
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in French leaves French active
    (LocaleMiddleware activates the reader's language and nothing deactivates it), and a
    command run after it would speak French."""
    yield
    translation.deactivate()


@pytest.fixture
def now():
    """A fixed moment; services take ``now=`` so tests move time without sleeping."""
    return factories.NOW


@pytest.fixture
def rng():
    return random.Random(20250303)


@pytest.fixture
def learner(db):
    return UserFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def answer_all(db):
    """Save an answer to every question of an open attempt: right, wrong, or by slot."""
    return factories.answer_all


@pytest.fixture
def take_quiz(db):
    """Take a quiz through the progress services, as a learner would: start, answer, submit."""
    return factories.take_quiz


@pytest.fixture
def complete_module(db):
    """Read every visible lesson of a module and pass its quiz, through the services."""
    return factories.complete_module


# Admin and instructor tests: two instructors and a superuser.
@pytest.fixture
def ines(db):
    return make_instructor("ines")


@pytest.fixture
def otto(db):
    return make_instructor("otto")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)
