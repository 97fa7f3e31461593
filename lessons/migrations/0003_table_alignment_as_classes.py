"""Lessons rendered before table alignment became classes: render them again, since the
Content-Security-Policy drops the inline ``style`` they carry."""

from django.db import migrations

from lessons.markdown import render_markdown


def render_aligned_tables_again(apps, schema_editor):
    Lesson = apps.get_model("lessons", "Lesson")
    for lesson in Lesson.objects.filter(body_html__contains="text-align:").only("body"):
        lesson.body_html = render_markdown(lesson.body).html
        lesson.save(update_fields=["body_html"])


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0002_historicalcourse_historicallesson_historicalmodule"),
    ]

    operations = [migrations.RunPython(render_aligned_tables_again, migrations.RunPython.noop)]
