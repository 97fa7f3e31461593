"""Nothing a learner did is ever lost: no delete, in code or in the admin, takes history with it.

The relations are read from the models' ``_meta``, so a foreign key added later
is checked without anyone remembering to list it here.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from assessments.models import Attempt, Response
from progress.models import Certificate, Enrollment, LessonCompletion
from progress.services import (
    enrollment_create,
    lesson_complete,
    quiz_attempt_start,
    quiz_response_save,
)
from tests.factories import UserFactory, course_with_modules, right_answer

pytestmark = pytest.mark.django_db
User = get_user_model()

LEARNER_HISTORY = (Enrollment, LessonCompletion, Attempt, Response, Certificate)
APPS = ("lessons", "assessments", "progress", "auth")
# Links a record may lose because it keeps its own copy of what it pointed at.
KEPT_AS_COPY = {
    (Response, "question"): "shown",  # the question, its choices and key as the learner saw it
    (Certificate, "learner"): "learner_name",  # the name as printed on the certificate
}


def is_history(model) -> bool:
    # An auto-created many-to-many table of a record is part of the record.
    return model in LEARNER_HISTORY or model._meta.auto_created in LEARNER_HISTORY


def relations() -> list[models.Field]:
    """Every foreign key and one-to-one of the apps' models, User included; many-to-many
    fields appear as the two foreign keys of their table."""
    return [
        field
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in APPS
        for field in model._meta.get_fields()
        if field.concrete and (field.many_to_one or field.one_to_one)
    ]


def label(field) -> str:
    return f"{field.model._meta.label}.{field.name}"


RECORD_LINKS = [f for f in relations() if is_history(f.model) and not is_history(f.related_model)]
# Everything a record points at, directly or through the content it belongs to.
REFERENCED = sorted(
    {f.related_model for f in relations() if not is_history(f.related_model)},
    key=lambda model: model._meta.label,
)


def test_the_relation_list_covers_every_record_and_the_account():
    assert {f.model for f in RECORD_LINKS} == set(LEARNER_HISTORY)
    assert get_user_model() in REFERENCED
    assert {"lessons.Course", "lessons.Module", "lessons.Lesson", "assessments.Quiz"} <= {
        model._meta.label for model in REFERENCED
    }


@pytest.mark.parametrize("field", RECORD_LINKS, ids=label)
def test_no_record_is_cascaded_away_with_what_it_points_at(field):
    on_delete = field.remote_field.on_delete
    copy = KEPT_AS_COPY.get((field.model, field.name))
    if copy is not None:
        assert on_delete is models.SET_NULL, f"{label(field)} keeps {copy}: SET_NULL or PROTECT"
        return
    assert on_delete in (models.PROTECT, models.RESTRICT), (
        f"{label(field)} is {on_delete.__name__}: deleting a {field.related_model.__name__} "
        "would take learners' records with it. Use PROTECT (content is then archived by "
        "lessons.services.content_remove, accounts are deactivated)."
    )


# --- A course with everything a learner can leave behind ------------------------------------


@pytest.fixture
def world(now, complete_module, take_quiz, ines, admin_user):
    """Two learners in a course: one finished it (certificate), one half-way with a failed
    and an open attempt. The course has an instructor; every account has a group or not."""
    course = course_with_modules(modules=2, lessons=2)
    course.instructors.add(ines)
    modules = list(course.modules.order_by("position"))
    done, halfway = UserFactory(username="ada"), UserFactory(username="bob")
    for learner in (done, halfway):
        enrollment_create(learner=learner, course=course)
    for module in modules:
        complete_module(done, module, now=now)
    take_quiz(done, course.quizzes.get(kind="final"), now=now)
    lesson_complete(learner=halfway, lesson=modules[0].lessons.first(), now=now)
    take_quiz(halfway, modules[0].quiz, now=now, right=False)
    open_attempt = quiz_attempt_start(learner=halfway, quiz=modules[1].quiz, now=now)
    first = open_attempt.responses.get(slot=1)
    quiz_response_save(attempt=open_attempt, slot=1, answer=right_answer(first.shown), now=now)
    assert Certificate.objects.filter(learner=done, course=course).exists()
    return course


def history() -> dict:
    """Every record as stored, except the links a record may lose (it keeps a copy)."""
    skipped = {model: {f"{name}_id"} for (model, name) in KEPT_AS_COPY}
    return {
        model._meta.label: [
            {k: v for k, v in row.items() if k not in skipped.get(model, set())}
            for row in model.objects.order_by("pk").values()
        ]
        for model in LEARNER_HISTORY
    }


@pytest.mark.parametrize("model", REFERENCED, ids=lambda model: model._meta.label)
def test_deleting_in_code_never_deletes_a_record(world, model):
    before = history()
    for obj in model.objects.all():
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError:
            pass
    try:
        with transaction.atomic():
            model.objects.all().delete()
    except ProtectedError:
        pass

    assert history() == before
    assert all(counts for counts in before.values())


ADMIN_REFERENCED = [model for model in REFERENCED if admin.site.is_registered(model)]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def refusal_or_archive_said(page: str) -> bool:
    return "point at it" in page or "points at it" in page or "archived, not deleted" in page


@pytest.mark.parametrize("model", ADMIN_REFERENCED, ids=lambda model: model._meta.label)
def test_the_admin_delete_page_refuses_or_archives_and_says_so(client, world, admin_user, model):
    client.force_login(admin_user)
    before = history()
    for obj in list(
        model.objects.exclude(pk=admin_user.pk) if model is User else model.objects.all()
    ):
        page = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}, follow=True)
        assert page.status_code == 200
        if model.objects.filter(pk=obj.pk).exists():
            assert refusal_or_archive_said(page.content.decode()), obj

    assert history() == before


@pytest.mark.parametrize("model", ADMIN_REFERENCED, ids=lambda model: model._meta.label)
def test_the_admin_bulk_delete_refuses_what_records_point_at(client, world, admin_user, model):
    client.force_login(admin_user)
    before = history()
    objs = model.objects.exclude(pk=admin_user.pk) if model is User else model.objects.all()
    ids = list(objs.values_list("pk", flat=True))
    page = client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        follow=True,
    )
    assert page.status_code == 200
    if model.objects.filter(pk__in=ids).exists():
        assert refusal_or_archive_said(page.content.decode())

    assert history() == before


ADMIN_HISTORY = [model for model in LEARNER_HISTORY if admin.site.is_registered(model)]


@pytest.mark.parametrize("model", ADMIN_HISTORY, ids=lambda model: model._meta.label)
def test_not_even_a_superuser_deletes_a_record_in_the_admin(client, world, admin_user, model):
    client.force_login(admin_user)
    before = history()
    obj = model.objects.first()
    assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )

    assert history() == before


# --- Accounts: deactivated, never deleted ----------------------------------------------------


def test_an_account_with_records_cannot_be_deleted_in_code(world):
    ada = get_user_model().objects.get(username="ada")
    with pytest.raises(ProtectedError):
        ada.delete()
    assert Certificate.objects.get(course=world).learner == ada


def test_the_admin_says_to_deactivate_an_account_with_records(client, world, admin_user):
    ada = get_user_model().objects.get(username="ada")
    client.force_login(admin_user)

    page = client.get(admin_url(get_user_model(), "delete", ada.pk)).content.decode()
    client.post(admin_url(get_user_model(), "delete", ada.pk), {"post": "yes"})

    assert "deactivate the account instead" in page
    assert "1 enrollment" in page and "attempts" in page
    assert get_user_model().objects.filter(pk=ada.pk).exists()


def test_deactivating_an_account_keeps_its_records_and_stops_the_login(client, world, admin_user):
    ada, bob = get_user_model().objects.filter(username__in=["ada", "bob"]).order_by("username")
    before = history()
    client.force_login(admin_user)

    page = client.post(
        admin_url(get_user_model(), "changelist"),
        {"action": "deactivate", "_selected_action": [ada.pk, bob.pk]},
        follow=True,
    ).content.decode()

    assert "2 users deactivated" in page
    assert not get_user_model().objects.filter(pk__in=[ada.pk, bob.pk], is_active=True).exists()
    logging_in = Client()
    refused = logging_in.post(
        reverse("login"), {"username": "ada", "password": "correct horse battery staple"}
    )
    assert refused.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in logging_in.session
    assert history() == before


def test_an_account_without_records_is_deleted_as_usual(client, world, admin_user):
    newcomer = UserFactory(username="newcomer")
    client.force_login(admin_user)

    client.post(admin_url(get_user_model(), "delete", newcomer.pk), {"post": "yes"})

    assert not get_user_model().objects.filter(pk=newcomer.pk).exists()


# --- Inline rows: deleting a module on its course's page, a lesson on its module's page ------


def change_form_data(page, *, delete_inlines: bool) -> dict:
    """What the change page would post back as it is, with every inline row ticked "Delete"."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        for form in inline.formset.initial_forms:
            forms.append(form)
            if delete_inlines:
                data[f"{form.prefix}-DELETE"] = "on"
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = value if value is not True else "on"
    return data


INLINE_PARENTS = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if any(inline.model in REFERENCED for inline in model_admin.inlines)
]


@pytest.mark.parametrize(("model", "model_admin"), INLINE_PARENTS)
def test_deleting_inline_rows_never_deletes_a_record(
    client, world, admin_user, model, model_admin
):
    client.force_login(admin_user)
    before = history()
    for parent in model.objects.all():
        url = admin_url(model, "change", parent.pk)
        page = client.get(url)
        rows = {inline.model: inline.model.objects.count() for inline in model_admin.inlines}
        response = client.post(url, change_form_data(page, delete_inlines=True))
        if response.status_code == 200:  # the form came back with what blocks the deletion
            assert "protected related objects" in response.content.decode()
        else:  # rows nothing points at (questions: responses keep their copy) are deleted
            assert response.status_code == 302
            assert any(rows_of.objects.count() < n for rows_of, n in rows.items())

    assert history() == before
