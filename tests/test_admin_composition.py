"""The admin is composed once: every model of ours has one registration, made by one class,
in one place, whatever the order of INSTALLED_APPS; and no domain code leans on an admin module,
nor the site on the benchmarks.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

OUR_APPS = ("lessons", "assessments", "progress", "xapi")
OUR_PACKAGES = (*OUR_APPS, "courseware")
ROOT = Path(settings.BASE_DIR)

# Where each page of the admin comes from. Course and Module pages gather parts of every
# app (quizzes, course zips, records backups), so the project composes them once.
EXPECTED_ADMIN = {
    "lessons.Course": "courseware.admin.CourseAdmin",
    "lessons.Module": "courseware.admin.ModuleAdmin",
    "lessons.Lesson": "lessons.admin.LessonAdmin",
    "assessments.Quiz": "assessments.admin.QuizAdmin",
    "assessments.Question": "assessments.admin.QuestionAdmin",
    "assessments.Attempt": "assessments.admin.AttemptAdmin",
    "assessments.QuizOverride": "assessments.admin.QuizOverrideAdmin",
    "progress.Enrollment": "progress.admin.EnrollmentAdmin",
    "progress.LessonCompletion": "progress.admin.LessonCompletionAdmin",
    "progress.Certificate": "progress.admin.CertificateAdmin",
    "xapi.OutboxStatement": "xapi.admin.OutboxStatementAdmin",
}


def source_files():
    for package in OUR_PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in file.parts:
                yield file


def module_name(file: Path) -> str:
    return ".".join(file.relative_to(ROOT).with_suffix("").parts)


def is_admin_module(name: str) -> bool:
    return name.split(".")[-1] == "admin" and name.split(".")[0] in OUR_PACKAGES


def imported_modules(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def model_names_registered(tree: ast.Module, verb: str):
    """Model names passed to ``admin.register(...)`` / ``admin.site.register(...)``
    (verb "register") or ``admin.site.unregister(...)`` (verb "unregister")."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == verb
            and node.args
        ):
            first = node.args[0]
            names = first.elts if isinstance(first, ast.List | ast.Tuple) else [first]
            yield from (name.id for name in names if isinstance(name, ast.Name))


def test_each_of_our_models_has_its_expected_admin():
    ours = {
        model._meta.label: type(model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    }
    assert {label: f"{cls.__module__}.{cls.__qualname__}" for label, cls in ours.items()} == (
        EXPECTED_ADMIN
    )


def test_each_of_our_models_is_registered_once_and_never_unregistered():
    our_models = {
        model.__name__ for app in OUR_APPS for model in apps.get_app_config(app).get_models()
    }
    registrations, unregistrations = [], []
    for file in source_files():
        if "tests" in file.parts:
            continue
        tree = ast.parse(file.read_text())
        registrations += [
            (name, module_name(file))
            for name in model_names_registered(tree, "register")
            if name in our_models
        ]
        unregistrations += [
            (name, module_name(file))
            for name in model_names_registered(tree, "unregister")
            if name in our_models
        ]
    assert unregistrations == []
    registered = [name for name, _ in registrations]
    assert sorted(registered) == sorted(set(registered)), registrations
    assert sorted(registered) == sorted(label.split(".")[1] for label in EXPECTED_ADMIN)


def test_djangos_accounts_and_groups_are_taken_over_once_by_the_project():
    """Django registers its users and groups itself, so the project must unregister them to
    add its rules (text, deactivate instead of delete): that happens in one place only."""
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Group = apps.get_model("auth", "Group")
    assert type(admin.site._registry[User]).__qualname__ == "AccountAdmin"
    assert type(admin.site._registry[User]).__module__ == "courseware.admin"
    assert type(admin.site._registry[Group]).__module__ == "courseware.admin"
    unregistering = set()
    for file in source_files():
        tree = ast.parse(file.read_text())
        if "tests" not in file.parts and any(
            isinstance(node, ast.Attribute) and node.attr == "unregister"
            for node in ast.walk(tree)
        ):
            unregistering.add(module_name(file))
    assert unregistering == {"courseware.admin"}


def test_no_domain_code_imports_an_admin_module():
    # The URLconf mounts the admin (and its guarded "View on site"): wiring, not domain code.
    wiring = {settings.ROOT_URLCONF}
    offenders = []
    for file in source_files():
        name = module_name(file)
        if is_admin_module(name) or "tests" in file.parts or name in wiring:
            continue
        tree = ast.parse(file.read_text())
        offenders += [
            f"{name} imports {imported}"
            for imported in imported_modules(tree)
            if is_admin_module(imported)
        ]
    assert offenders == []


def test_the_site_never_imports_the_benchmarks():
    """bench/ (the load simulator, the bench settings) is not shipped as part of the site."""
    offenders = []
    for file in source_files():
        if "tests" in file.parts:
            continue
        tree = ast.parse(file.read_text())
        offenders += [
            f"{module_name(file)} imports {imported}"
            for imported in imported_modules(tree)
            if imported.split(".")[0] == "bench"
        ]
    assert offenders == []


def test_no_app_below_imports_the_xapi_app():
    """xapi hears of learners' steps through courseware/events.py's listeners; only the
    URLconf, which composes the learner's download, names it."""
    offenders = []
    for file in source_files():
        name = module_name(file)
        if name.startswith("xapi.") or name == settings.ROOT_URLCONF:
            continue
        offenders += [
            f"{name} imports {imported}"
            for imported in imported_modules(ast.parse(file.read_text()))
            if imported.split(".")[0] == "xapi"
        ]
    assert offenders == []


@pytest.mark.django_db
def test_the_course_page_offers_every_apps_part(admin_client):
    """One Course admin carries lessons' publishing, assessments' final exam and course
    zips, and progress's records backup."""
    from tests.factories import CourseFactory

    course = CourseFactory()
    page = admin_client.get(reverse("admin:lessons_course_changelist"))
    actions = dict(page.context["action_form"].fields["action"].choices)
    assert {"publish", "archive", "export_zip", "export_records_zip"} <= set(actions)
    change = admin_client.get(reverse("admin:lessons_course_change", args=[course.pk]))
    assert "Final exam" in change.content.decode()
    assert admin_client.get(reverse("admin:lessons_course_import")).status_code == 200
