"""A throw-away PostgreSQL cluster of the test run's own, on the loopback: one that a test may
stop and start (the shared server must never be restarted), and the PostgreSQL tools."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.processes import TIMEOUT, free_port
from tests.system.servers import DATABASE_PREFIX

PG_BIN = Path("/usr/lib/postgresql")


def postgres_tool(name: str) -> Path | None:
    """``name`` (initdb, pg_ctl, pg_dump, …) from the newest installed PostgreSQL."""
    for version in sorted(PG_BIN.glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        if (version / name).exists():
            return version / name
    found = shutil.which(name)
    return Path(found) if found else None


@dataclass
class Cluster:
    """A throw-away PostgreSQL cluster on the loopback, owned by this test run."""

    folder: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        pg_ctl = postgres_tool("pg_ctl")
        assert pg_ctl is not None
        subprocess.run(
            [*self.as_user, str(pg_ctl), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        self.pg_ctl("-l", str(self.folder / "postgres.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open transactions roll back, clients are disconnected."""
        self.pg_ctl("-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            engine.dispose()
        return self.url(name)


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """initdb into a temporary folder, start on a free port (socket in that folder), and
    stop and remove it afterwards. As root the server runs as the ``postgres`` user."""
    initdb = postgres_tool("initdb")
    if initdb is None or postgres_tool("pg_ctl") is None:
        pytest.skip("no initdb/pg_ctl (PostgreSQL server binaries) to run a cluster of our own")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            runuser = None
        if runuser is None:
            pytest.skip("running as root without runuser or a postgres user to run PostgreSQL")
        as_user = [runuser, "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix=f"{DATABASE_PREFIX}_cluster_"))
    try:
        if as_user:
            shutil.chown(folder, user="postgres")
        subprocess.run(
            [
                *as_user,
                str(initdb),
                "--pgdata",
                str(folder / "data"),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
        )
        cluster = Cluster(folder, free_port(), as_user)
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.pg_ctl("-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
