"""The default SQLite database keeps up with learners answering at a normal pace.

Autosaves and submits from several learners' tabs arrive together; each one must be
stored, none refused with "database is locked". The suite's own SQLite database lives in
memory, where locking works differently, so these tests copy it to a file and point the
request threads at that file with the settings' own connection options (journal mode,
busy timeout, transaction mode): what ``manage.py runserver`` or gunicorn use on the
default setup.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.urls import reverse

from assessments.models import Attempt, Response
from progress.services import enrollment_create, quiz_attempt_start, quiz_response_save
from tests.concurrency import run_at_once
from tests.factories import QuizFactory, UserFactory, course_with_modules, short_question

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="tests SQLite's file locking; PostgreSQL's concurrency is tests/test_concurrency.py",
    ),
]

QUESTIONS = 6
ROUNDS = 4  # each tab changes each of its answers this many times, as a learner typing
SAVING_LEARNERS = 4
TABS_PER_LEARNER = 2  # each tab answers its own questions of the same attempt
SUBMITTING_LEARNERS = 2
HTMX = {"HX-Request": "true"}


@dataclass
class FileDatabase:
    """The test database copied to a file, opened with the project's settings."""

    path: Path
    settings_dict: dict = field(init=False)

    def copy_test_database(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(self.path)])
        self.settings_dict = {**connection.settings_dict, "NAME": str(self.path)}

    def use_in_this_thread(self) -> None:
        """From now on, this thread's queries go to the file (``run_at_once`` closes it)."""
        wrapper = load_backend(self.settings_dict["ENGINE"]).DatabaseWrapper
        connections["default"] = wrapper(self.settings_dict, "default")

    @contextmanager
    def read(self):
        """Queries inside the block read the file; the test database is left as it was."""
        in_memory = connections["default"]
        self.use_in_this_thread()
        try:
            yield
        finally:
            connections["default"].close()
            connections["default"] = in_memory


@pytest.fixture
def file_database(tmp_path) -> FileDatabase:
    return FileDatabase(tmp_path / "db.sqlite3")


@pytest.fixture
def quiz():
    """A module quiz of short questions; question n accepts "answer n"."""
    course = course_with_modules(modules=1, lessons=1, module_quizzes=False)
    quiz = QuizFactory(module=course.modules.get(), title="Capitals")
    for position in range(1, QUESTIONS + 1):
        short_question(quiz=quiz, position=position, answers=[(f"answer {position}", 100)])
    return quiz


def learner_with_open_attempt(quiz, number: int) -> tuple[Attempt, str]:
    """A learner who started the quiz, and the session their tabs share."""
    learner = UserFactory(username=f"learner-{number}")
    enrollment_create(learner=learner, course=quiz.course)
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    client = Client()
    client.force_login(learner)
    return attempt, client.cookies[settings.SESSION_COOKIE_NAME].value


def tab(session: str) -> Client:
    # Not raising: a server error must come back as the 500 page the learner would see.
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def failure(response) -> str | None:
    """What went wrong with a request, as the learner would see it plus the cause."""
    cause = f": {response.exc_info[1]}" if getattr(response, "exc_info", None) else ""
    return f"{response.status_code}{cause}"


def test_autosaves_and_submits_at_a_learners_pace_all_succeed(quiz, file_database):
    savers = [learner_with_open_attempt(quiz, number) for number in range(SAVING_LEARNERS)]
    submitters = [
        learner_with_open_attempt(quiz, SAVING_LEARNERS + number)
        for number in range(SUBMITTING_LEARNERS)
    ]
    for attempt, _ in submitters:
        for slot in range(1, QUESTIONS + 1):
            quiz_response_save(attempt=attempt, slot=slot, answer=f"answer {slot}")
    file_database.copy_test_database()

    def typing(attempt: Attempt, session: str, slots: list[int]) -> Callable[[], list[str]]:
        def run() -> list[str]:
            file_database.use_in_this_thread()
            client, failures = tab(session), []
            for round_ in range(1, ROUNDS + 1):
                for slot in slots:
                    save = reverse("response_save", kwargs={"pk": attempt.pk, "slot": slot})
                    typed = f"answer {slot}" if round_ == ROUNDS else f"draft {round_}"
                    page = client.post(save, {f"q{slot}": typed}, headers=HTMX)
                    if page.status_code != 200 or "✓ Saved" not in page.content.decode():
                        failures.append(f"save {attempt.pk}/{slot}: {failure(page)}")
            return failures

        return run

    def submitting(attempt: Attempt, session: str) -> Callable[[], list[str]]:
        def run() -> list[str]:
            file_database.use_in_this_thread()
            submit = reverse("attempt_submit", kwargs={"pk": attempt.pk})
            page = tab(session).post(submit, {"confirm": "1"})
            result = reverse("attempt_result", kwargs={"pk": attempt.pk})
            if page.status_code != 302 or page.url != result:
                return [f"submit {attempt.pk}: {failure(page)}"]
            return []

        return run

    calls = [submitting(attempt, session) for attempt, session in submitters]
    for attempt, session in savers:
        calls += [
            typing(attempt, session, list(range(first, QUESTIONS + 1, TABS_PER_LEARNER)))
            for first in range(1, TABS_PER_LEARNER + 1)
        ]
    pending = list(calls)
    results, errors = run_at_once(lambda: pending.pop()(), times=len(calls))

    assert errors == []
    failures = [failure for tab_failures in results for failure in tab_failures]
    assert failures == [], f"{len(failures)} requests failed:\n" + "\n".join(failures)
    with file_database.read():
        for attempt, _ in savers:
            stored = dict(Response.objects.filter(attempt=attempt).values_list("slot", "answer"))
            assert stored == {slot: f"answer {slot}" for slot in range(1, QUESTIONS + 1)}
        for attempt, _ in submitters:
            attempt.refresh_from_db()
            assert attempt.is_submitted
            assert attempt.score == attempt.max_score
