"""Point-in-time recovery as README "Backups" tells it: a server archiving its WAL with the
settings of docker-compose.yml's `db` service, a base backup by pg_basebackup, a change after
the target moment, and a recovery from the base backup and the archive that stops at the moment.

Like tests/test_pg_restart.py it starts a PostgreSQL of its own (initdb and pg_ctl on a spare
port, in a temporary folder): the machine's server is never touched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from .test_pg_restart import BINARIES, Postgres
from .test_pg_restart import pytestmark as needs_postgres

pytestmark = [pytest.mark.postgres, *needs_postgres]

ROOT = Path(__file__).resolve().parents[1]


def compose_archive_settings(archive: Path) -> list[str]:
    """The `-c` settings of the db service in docker-compose.yml, the archive moved to `archive`."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    found = re.findall(
        r"^\s+- ((?:wal_level|archive_mode|archive_command|archive_timeout)=.*)$",
        compose,
        flags=re.MULTILINE,
    )
    assert len(found) == 4, found
    return [setting.replace("/wal-archive", str(archive)) for setting in found]


class ArchivingPostgres(Postgres):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.archive = folder / "wal-archive"
        (self.archive / "wal").mkdir(parents=True)
        (self.archive / "base").mkdir()
        if self.prefix:
            shutil.chown(self.archive, "postgres", "postgres")
            shutil.chown(self.archive / "wal", "postgres", "postgres")
            shutil.chown(self.archive / "base", "postgres", "postgres")
        self.settings = compose_archive_settings(self.archive)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        options += "".join(f' -c "{setting}"' for setting in self.settings)
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str) -> str:
        result = subprocess.run(  # noqa: S603
            [*self.prefix, str(self.bin / "psql"), "-h", str(self.folder), "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-tAc", statement],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return result.stdout.strip()


@pytest.fixture
def server():
    folder = Path(tempfile.mkdtemp(prefix="pg-pitr-"))
    pg = ArchivingPostgres(folder)
    pg.initdb()
    pg.start()
    yield pg
    try:
        pg.stop()
    except subprocess.CalledProcessError:
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not BINARIES, reason="needs PostgreSQL's initdb and pg_ctl")
def test_the_archive_and_a_base_backup_bring_the_database_back_to_a_moment(server):
    server.sql("CREATE TABLE receipts (number int)")
    server.sql("INSERT INTO receipts VALUES (1)")
    base = server.archive / "base" / "weekly"
    # README: pg_basebackup -D /wal-archive/base/<date> -Ft -z -X fetch
    server.run(
        str(server.bin / "pg_basebackup"), "-h", str(server.folder), "-p", str(server.port),
        "-U", "postgres", "-D", str(base), "-Ft", "-z", "-X", "fetch",
    )  # fmt: skip
    server.sql("INSERT INTO receipts VALUES (2)")
    time.sleep(1.1)
    target = server.sql("SELECT now()")
    time.sleep(1.1)
    server.sql("INSERT INTO receipts VALUES (3)")  # the bad change, after the moment
    # What archive_timeout does within 5 minutes: the segment is finished and archived.
    segment = server.sql("SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 30
    while not (server.archive / "wal" / segment).exists():
        assert time.monotonic() < deadline, "the WAL was not archived"
        time.sleep(0.2)
    assert not list((server.archive / "wal").glob("*.part"))
    server.stop()

    # README step 2: empty the data directory, unpack the base backup, ask for the recovery.
    shutil.rmtree(server.data)
    server.data.mkdir(mode=0o700)
    with tarfile.open(base / "base.tar.gz") as archive:
        archive.extractall(server.data, filter="tar")
    (server.data / "recovery.signal").touch()
    with (server.data / "postgresql.auto.conf").open("a") as conf:
        conf.write(f"restore_command = 'cp {server.archive}/wal/%f %p'\n")
        conf.write(f"recovery_target_time = '{target}'\n")
        conf.write("recovery_target_action = 'promote'\n")
    if server.prefix:
        shutil.chown(server.data, "postgres", "postgres")
        for path in server.data.rglob("*"):
            shutil.chown(path, "postgres", "postgres")
    server.start()

    # It accepts reads while it replays; promoted at the target, it takes writes.
    deadline = time.monotonic() + 60
    while server.sql("SELECT pg_is_in_recovery()") == "t":
        assert time.monotonic() < deadline, "the recovery did not end"
        time.sleep(0.2)
    assert server.sql("SELECT string_agg(number::text, ',' ORDER BY number) FROM receipts") == "1,2"
    assert "recovery stopping before commit" in (server.folder / "log").read_text()
    server.sql("INSERT INTO receipts VALUES (3)")  # open for writing again
    assert not (server.data / "recovery.signal").exists()
