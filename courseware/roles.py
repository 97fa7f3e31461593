"""Who may do what, as Django groups: the one place that lists an instructor's permissions."""

from django.contrib.auth.models import Group, Permission

INSTRUCTORS = "Instructors"
# Instructors author content and grant a learner attempts or time (quiz overrides, never
# deleted); learners' records (attempts, completions) stay read-only.
INSTRUCTOR_PERMISSIONS = {
    "lessons": {"course": "acdv", "module": "acdv", "lesson": "acdv"},
    "assessments": {"quiz": "acdv", "question": "acdv", "choice": "acdv", "attempt": "v",
                    "quizoverride": "acv",
                    "response": "v"},
    "progress": {"enrollment": "v", "lessoncompletion": "v", "certificate": "v"},
}  # fmt: skip
_ACTIONS = {"a": "add", "c": "change", "d": "delete", "v": "view"}


def instructors_group() -> Group:
    """The Instructors group with exactly its permissions (created or repaired)."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS)
    codenames = [
        (app, f"{_ACTIONS[letter]}_{model}")
        for app, models in INSTRUCTOR_PERMISSIONS.items()
        for model, letters in models.items()
        for letter in letters
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in=INSTRUCTOR_PERMISSIONS,
        codename__in=[codename for _, codename in codenames],
    ).select_related("content_type")
    group.permissions.set(
        [p for p in permissions if (p.content_type.app_label, p.codename) in codenames]
    )
    return group


def instructors_group_found() -> Group:
    """The Instructors group as it stands, built only if missing: one query, for a request
    (a platform's instructor launching) rather than for a migration or a command."""
    return Group.objects.filter(name=INSTRUCTORS).first() or instructors_group()
