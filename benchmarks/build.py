"""Make a benchmark database: create it, migrate, load the demo center, generate the data set.

A database that already holds the data set asked for (the spec is kept as the database's
comment, with a fingerprint of the generator) is only migrated, so a second run measures at
once; one that holds the same data set without the extra open reviews gets them appended.
With `--copy-of`, a database that does not hold the data set yet starts as a copy of one that
holds its base (the same applications, no extra open reviews) instead of being generated.

    python -m benchmarks.build --db bench --applications 100000
    python -m benchmarks.build --db bench_sweep --copy-of bench --open-reviews 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import psycopg2

from . import env


def fingerprint() -> str:
    return hashlib.sha1(
        (Path(__file__).parent / "generate.py").read_bytes(), usedforsecurity=False
    ).hexdigest()[:10]


def _admin():
    connection = psycopg2.connect(env.database_url("postgres"))
    connection.autocommit = True
    return connection


def current_spec(name: str) -> dict | None:
    with _admin() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "null") or {}
    except ValueError:
        return {}


def set_spec(name: str, spec: dict) -> None:
    with _admin() as connection, connection.cursor() as cursor:
        cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(spec, sort_keys=True)])


def recreate(name: str) -> None:
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def copy(source: str, name: str) -> None:
    """Database `name` as a copy of `source` (a file copy: seconds, where generating takes
    minutes), with its spec."""
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [source],
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        connection.close()
    set_spec(name, current_spec(source) or {})


def build(
    name: str,
    *,
    applications: int,
    open_reviews: int = 0,
    rebuild: bool = False,
    copy_of: str | None = None,
) -> dict:
    """Return the spec of the data set now in database `name`, with the generator's timings
    when it ran."""
    spec = {"applications": applications, "open_reviews": open_reviews, "generator": fingerprint()}
    found = current_spec(name)
    base = {**spec, "open_reviews": 0}
    if (
        copy_of
        and not rebuild
        and (found is None or {k: found.get(k) for k in spec} != spec)
        and {k: (current_spec(copy_of) or {}).get(k) for k in spec} == base
    ):
        print(f"{name}: copying {copy_of}", flush=True)
        t0 = time.perf_counter()
        copy(copy_of, name)
        found = current_spec(name)
        found["copied_seconds"] = round(time.perf_counter() - t0, 1)
    if found is not None and not rebuild and {k: found.get(k) for k in spec} == spec:
        print(f"{name}: holds the data set asked for; migrating only", flush=True)
        env.use_database(name)
        from django.core.management import call_command
        from django.db import DatabaseError, connection

        try:
            call_command("migrate", verbosity=0)
            return found
        except DatabaseError as error:
            # Migrations renamed or squashed since the data set was made (a merge renumbers
            # them): the schema cannot be brought forward, so the data set is made again.
            print(f"{name}: cannot migrate ({error}); generating it again", flush=True)
            connection.close()
            rebuild = True
    append = (
        found is not None
        and not rebuild
        and open_reviews > 0
        and {k: found.get(k) for k in spec} == base
    )
    if not append:
        print(f"{name}: creating, migrating, loading the demo center", flush=True)
        recreate(name)
    env.use_database(name)
    from django.core.management import call_command

    from . import generate

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    result = dict(found or {}) if append else {}
    if not append:
        call_command("seed_demo", verbosity=0)
        result["demo_seconds"] = round(time.perf_counter() - t0, 1)
        result["generated"] = generate.generate(applications=applications)
    if open_reviews > 0:
        already = generate.census()["open_reviews"]
        result["added"] = generate.add_open(reviews=max(0, open_reviews - already))
    result.update(spec)
    result["census"] = generate.census()
    set_spec(name, result)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--open-reviews", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--copy-of", help="start from a copy of this database's base data set")
    args = parser.parse_args(argv)
    spec = build(
        args.db,
        applications=args.applications,
        open_reviews=args.open_reviews,
        rebuild=args.rebuild,
        copy_of=args.copy_of,
    )
    print(json.dumps(spec.get("census", {}), indent=1, default=str))


if __name__ == "__main__":
    main()
