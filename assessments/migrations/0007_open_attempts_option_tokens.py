"""Attempts open when option tokens came in get them too, and their choices shuffled.

Until then the attempt page named each option by its choice id, in file order, and files
usually list the right answer first. Grading is untouched: answers are stored as choice ids,
and only what the page shows changes. Submitted attempts are history and keep their snapshot.
"""

import random

from django.db import migrations

from assessments.grading import draw_tokens

CHOICE_KINDS = ("single", "multiple", "true_false", "matching")


def tokens_for_open_attempts(apps, schema_editor):
    Response = apps.get_model("assessments", "Response")
    rng = random.SystemRandom()
    open_responses = Response.objects.filter(
        attempt__submitted_at__isnull=True, shown__kind__in=CHOICE_KINDS
    )
    for response in open_responses.iterator():
        shown = response.shown
        choices = shown.get("choices") or []
        if any("token" in choice for choice in choices):
            continue
        if shown.get("kind") in ("single", "multiple"):
            rng.shuffle(choices)
        for choice, token in zip(choices, draw_tokens(len(choices), rng), strict=True):
            choice["token"] = token
        if shown.get("kind") == "matching":
            shown["option_tokens"] = draw_tokens(len(shown.get("options") or []), rng)
        response.save(update_fields=["shown"])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0006_learner_records_protect_account")]

    operations = [migrations.RunPython(tokens_for_open_attempts, migrations.RunPython.noop)]
