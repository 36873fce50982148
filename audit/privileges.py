"""Least privilege in the database (DESIGN.md section 11): production runs its migrations as the
owner of the schema and everything else (web, workers, beat) as an application role that owns
nothing, is no superuser, and may only:

- SELECT and INSERT the append-only tables (every history table, cards, clock events, documents,
  signing steps: audit.append_only.audited_tables): rows are only ever added;
- SELECT `django_migrations`;
- SELECT, INSERT, UPDATE and DELETE every other table of the schema;
- use the sequences.

It cannot TRUNCATE, ALTER (so it cannot disable a trigger), create tables, or set
`session_replication_role` (a superuser's setting): the append-only and final-decision triggers
hold against it. `grant(connection, role)` sets exactly these rights and the default privileges
of tables the owner creates later (SELECT and INSERT only, until the next grant after migrate
gives the rest); run it as the owner after every migrate (`manage.py grant_app_role`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .append_only import audited_tables

READ_ONLY = ("django_migrations",)
APPEND = "SELECT, INSERT"
FULL = "SELECT, INSERT, UPDATE, DELETE"


class PrivilegeError(Exception):
    pass


@dataclass(frozen=True)
class Granted:
    append_only: int
    read_only: int
    read_write: int
    sequences: int


def grant(connection, role: str, *, password: str | None = None) -> Granted:
    """Give `role` exactly the application's rights on the connection's schema (idempotent).

    With `password`, the role is created if missing (LOGIN) and its password set."""
    if connection.vendor != "postgresql":
        raise PrivilegeError("database roles are PostgreSQL's")
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        owner, schema = cursor.fetchone()
        if role == owner:
            raise PrivilegeError(f"{role} is the owner this runs as: name the application's role")
        _login_role(cursor, role, owner, password, "it would bypass every restriction")
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) "
            "AND n.nspname = %s",
            [role, schema],
        )
        if cursor.fetchone()[0]:
            raise PrivilegeError(f"{role} owns tables of {schema}: it must own nothing")
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %s ORDER BY sequencename",
            [schema],
        )
        sequences = [row[0] for row in cursor.fetchall()]
        append_only = set(audited_tables())
        counts = {"append": 0, "read": 0, "full": 0}
        r, s = q(role), q(schema)
        cursor.execute(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC, {r}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {s} TO {r}")
        for table in tables:
            t = f"{s}.{q(table)}"
            cursor.execute(f"REVOKE ALL ON {t} FROM {r}")
            if table in append_only:
                rights, kind = APPEND, "append"
            elif table in READ_ONLY:
                rights, kind = "SELECT", "read"
            else:
                rights, kind = FULL, "full"
            cursor.execute(f"GRANT {rights} ON {t} TO {r}")
            counts[kind] += 1
        for sequence in sequences:
            sq = f"{s}.{q(sequence)}"
            cursor.execute(f"REVOKE ALL ON SEQUENCE {sq} FROM {r}")
            cursor.execute(f"GRANT USAGE ON SEQUENCE {sq} TO {r}")
        # Tables a later migration creates: the least (the next grant gives the rest).
        default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {s}"
        cursor.execute(f"{default} REVOKE ALL ON TABLES FROM {r}")
        cursor.execute(f"{default} GRANT {APPEND} ON TABLES TO {r}")
        cursor.execute(f"{default} REVOKE ALL ON SEQUENCES FROM {r}")
        cursor.execute(f"{default} GRANT USAGE ON SEQUENCES TO {r}")
    return Granted(counts["append"], counts["read"], counts["full"], len(sequences))


def grant_reader(connection, role: str, *, password: str | None = None) -> None:
    """Make `role` the backup's reader (operations/backups.py): it may read every table and
    sequence (PostgreSQL's predefined `pg_read_all_data`) and change nothing. pg_dump needs
    SELECT on the sequences, which the application's role does not have.

    With `password`, the role is created if missing (LOGIN) and its password set. Granting a
    predefined role takes a superuser (or its admin option): run it as the owner of compose's
    database, who is one."""
    if connection.vendor != "postgresql":
        raise PrivilegeError("database roles are PostgreSQL's")
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        if role == owner:
            raise PrivilegeError(f"{role} is the owner this runs as: name the backup's role")
        _login_role(cursor, role, owner, password, "a reader must change nothing")
        cursor.execute(f"GRANT pg_read_all_data TO {q(role)}")


def _login_role(cursor, role: str, owner: str, password: str | None, why: str) -> None:
    """`role` as a plain login role: created or its password set when one is given (else it
    must exist), and refused when it is a superuser, bypasses row security or is a member of
    the owner (`why` says what that would break)."""
    q = cursor.db.ops.quote_name
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    exists = cursor.fetchone() is not None
    if password is not None:
        verb = "ALTER" if exists else "CREATE"
        cursor.execute(
            f"{verb} ROLE {q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
            "NOREPLICATION NOBYPASSRLS PASSWORD %s",
            [password],
        )
    elif not exists:
        raise PrivilegeError(f"there is no role {role}")
    cursor.execute(
        "SELECT rolsuper OR rolbypassrls, pg_has_role(%s, %s, 'MEMBER') "
        "FROM pg_roles WHERE rolname = %s",
        [role, owner, role],
    )
    mighty, member_of_owner = cursor.fetchone()
    if mighty or member_of_owner:
        raise PrivilegeError(f"{role} is a superuser or a member of {owner}: {why}")
