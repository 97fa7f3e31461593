"""The admin's course zip import shows its plan first and writes nothing until applied."""

import os
import time

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Choice, Question, Quiz
from assessments.tests.test_admin import SMALL_COURSE, url, zipped
from lessons.models import Course, Lesson, Module
from lessons.tests.test_admin import as_read
from progress import pending_imports
from progress.services import enrollment_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONTENT = (Course, Module, Lesson, Quiz, Question, Choice)


def content_rows() -> dict[str, list[dict]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in CONTENT}


def upload(client, files=SMALL_COURSE):
    return client.post(url("lessons_course_import"), {"archive": zipped(files)})


def test_the_upload_shows_the_plan_and_writes_nothing(client, ines):
    client.force_login(ines)

    response = upload(client)

    assert response.status_code == 200
    page = response.content.decode()
    plan = plan_text(page)
    assert plan.startswith("Plan: the course small is new. Nothing has been written.\n")
    assert "\n  added    only\n" in plan
    assert "Apply this import" in page and "Cancel" in page
    assert not Course.objects.exists()


def plan_text(page: str) -> str:
    [plan] = lxml.html.fromstring(page).find_class("import-plan")
    return plan.text_content()


def test_the_plan_speaks_the_readers_language_and_marks_what_it_quotes(client, ines):
    client.force_login(ines)

    response = client.post(
        url("lessons_course_import"),
        {"archive": zipped(SMALL_COURSE)},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    page = response.content.decode()
    plan = plan_text(page)
    assert plan.startswith(
        "Plan\xa0: le cours small est nouveau. Rien n’a été écrit.\n"
        "En tout\xa0: 2 choix créés, 1 cours créé, 1 leçon créée, 1 module créé, "
        "1 question créée, 1 quiz créé.\n"
    )
    assert "\n  ajout        only\n" in plan
    # The slugs and titles it quotes are the course's, in the course's language.
    assert '<span lang="en">small</span>' in page


def test_applying_writes_what_the_plan_listed_and_forgets_the_upload(client, ines):
    client.force_login(ines)
    token = upload(client).context["token"]

    response = client.post(url("lessons_course_import_apply"), {"token": token})

    course = Course.objects.get(slug="small")
    assert response.url == url("lessons_course_change", course.pk)
    assert list(course.instructors.all()) == [ines]
    assert course.quizzes.get().questions.count() == 1
    # Applied once: the same token applies nothing again.
    again = client.post(url("lessons_course_import_apply"), {"token": token}, follow=True)
    assert "no longer waiting" in again.content.decode()


def test_an_upload_applied_by_another_request_while_a_sweep_lists_the_folder_is_passed_over(
    monkeypatch, tmp_path
):
    """Two instructors at once: one request lists the kept zips to delete the stale ones
    while another applies (deletes) one of them; the first goes on, and still sweeps."""
    stale = tmp_path / "stale.zip"
    stale.write_bytes(b"PK")
    two_hours_ago = time.time() - 2 * pending_imports.KEPT_FOR_SECONDS
    os.utime(stale, (two_hours_ago, two_hours_ago))
    applied_meanwhile = tmp_path / "applied.zip"  # listed, gone before it is looked at

    class Listing:
        def glob(self, pattern):
            return iter([applied_meanwhile, stale])

    monkeypatch.setattr(pending_imports, "_folder", Listing)

    pending_imports._sweep()

    assert not stale.exists()


def test_cancelling_writes_nothing_and_forgets_the_upload(client, ines):
    client.force_login(ines)
    token = upload(client).context["token"]

    client.post(url("lessons_course_import_apply"), {"token": token, "cancel": "Cancel"})
    client.post(url("lessons_course_import_apply"), {"token": token})

    assert not Course.objects.exists()


def test_another_user_cannot_apply_someones_pending_upload(client, ines, otto):
    client.force_login(ines)
    token = upload(client).context["token"]
    client.force_login(otto)

    response = client.post(url("lessons_course_import_apply"), {"token": token}, follow=True)

    assert "no longer waiting" in response.content.decode()
    assert not Course.objects.exists()


def test_a_plan_for_a_course_someone_else_teaches_is_a_form_error(client, ines, otto):
    client.force_login(otto)
    client.post(url("lessons_course_import_apply"), {"token": upload(client).context["token"]})
    before = content_rows()
    client.force_login(ines)

    response = upload(
        client,
        {**SMALL_COURSE, "small/course.yaml": "slug: small\ntitle: Mine\nmodules:\n- one\n"},
    )

    assert as_read(response.context["form"].errors["archive"]) == [
        "small/course.yaml: the course 'small' exists and you do not teach it"
    ]
    assert content_rows() == before


def test_a_bad_zip_is_a_form_error_and_keeps_nothing(client, ines):
    client.force_login(ines)

    response = upload(client, {**SMALL_COURSE, "small/quizzes/one.gift": "::Q1::Bad{=\n"})

    assert "small/quizzes/one.gift, line 1: '{' is not closed" in " ".join(
        as_read(response.context["form"].errors["archive"])
    )
    assert "token" not in response.context
    assert not client.session.get("pending_course_imports")
    assert not Course.objects.exists()


def test_the_plan_page_costs_the_same_queries_however_many_learners(client, ines):
    client.force_login(ines)
    client.post(url("lessons_course_import_apply"), {"token": upload(client).context["token"]})
    course = Course.objects.get(slug="small")
    changed = {
        **SMALL_COURSE,
        "small/quizzes/one.gift": "// lesson: only#passage-1\n::Q1::Is it really?{T}\n",
    }

    def plan_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert upload(client, changed).status_code == 200
        return len(queries)

    enrollment_create(learner=UserFactory(), course=course)
    few = plan_queries()
    for _ in range(5):
        enrollment_create(learner=UserFactory(), course=course)
    assert plan_queries() == few
