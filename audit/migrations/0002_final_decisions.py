"""A decided review's decision refuses to change on PostgreSQL (audit/final_decisions.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from audit.final_decisions import install

    install(schema_editor.connection)


def backwards(apps, schema_editor):
    from audit.final_decisions import uninstall

    uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_append_only"),
        ("applications", "0014_history_of_application_items"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
