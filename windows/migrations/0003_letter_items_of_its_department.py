"""On PostgreSQL, the database itself refuses a letter of authorization covering an item of
another department (windows.authority.letter_refusals says it in the admin first): a trigger on
the letter's items, and one on a letter's department changing under its items."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION windows_letter_item_department() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM windows_item i, windows_authorizationletter l
        WHERE i.id = NEW.item_id AND l.id = NEW.authorizationletter_id
          AND i.department_id <> l.department_id
    ) THEN
        RAISE EXCEPTION 'a letter of authorization covers only items of its own department'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION windows_letter_department() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM windows_authorizationletter_items li
        JOIN windows_item i ON i.id = li.item_id
        WHERE li.authorizationletter_id = NEW.id AND i.department_id <> NEW.department_id
    ) THEN
        RAISE EXCEPTION 'a letter of authorization covers only items of its own department'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS windows_letter_item_department ON windows_authorizationletter_items;
CREATE TRIGGER windows_letter_item_department
    BEFORE INSERT OR UPDATE ON windows_authorizationletter_items
    FOR EACH ROW EXECUTE FUNCTION windows_letter_item_department();

DROP TRIGGER IF EXISTS windows_letter_department ON windows_authorizationletter;
CREATE TRIGGER windows_letter_department
    BEFORE UPDATE OF department_id ON windows_authorizationletter
    FOR EACH ROW EXECUTE FUNCTION windows_letter_department();
"""

DROP = """
DROP TRIGGER IF EXISTS windows_letter_item_department ON windows_authorizationletter_items;
DROP TRIGGER IF EXISTS windows_letter_department ON windows_authorizationletter;
DROP FUNCTION IF EXISTS windows_letter_item_department();
DROP FUNCTION IF EXISTS windows_letter_department();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("windows", "0002_history_of_roles_permissions_and_signing_authority")]

    operations = [migrations.RunPython(create, drop)]
