from django.db import migrations


def vacuum(apps, schema_editor):
    # Adding the columns rewrote the table, which clears PostgreSQL's visibility map:
    # until a VACUUM sets it again, reading the statistics index still visits every
    # row of the table, and autovacuum does not come for a table that only was rewritten.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("VACUUM (ANALYZE) assessments_response")


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run inside a transaction

    dependencies = [("assessments", "0004_response_statistics")]

    operations = [migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True)]
