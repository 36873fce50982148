"""History tables and cards refuse UPDATE and DELETE on PostgreSQL (audit/append_only.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from audit.append_only import install

    install(schema_editor.connection)


def backwards(apps, schema_editor):
    from audit.append_only import uninstall

    uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("windows", "0001_initial"),
        ("applications", "0001_initial"),
        ("supervision", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
