"""A Citus cluster on this machine for ``make bench-citus``: Citus as installed into the local
PostgreSQL from a source checkout (built by its own instructions, outside this project), then a
coordinator and two workers as local clusters (``initdb``, ``pg_ctl``) under a folder of their
own, each database created on all three nodes with the extension and the workers added.

PostgreSQL refuses to run as root: as root, the clusters run as the ``postgres`` OS user.
Everything started here is stopped and removed by its context manager.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_CONFIG = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
HOST = "127.0.0.1"
COORDINATOR_PORT = 9700
WORKER_PORTS = (9701, 9702)
# Every node: the extension loaded, room for gunicorn's pools and the coordinator's own
# connections to the workers, and the journal's append-only triggers allowed on distributed
# tables (Citus refuses triggers on them unless told they are safe: ours only raise).
SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "shared_preload_libraries": "'citus'",
    "max_connections": "200",
    "citus.enable_unsafe_triggers": "on",
}


def pg_config(flag: str) -> Path:
    return Path(subprocess.check_output([PG_CONFIG, flag], text=True).strip())


def installed() -> bool:
    return (pg_config("--pkglibdir") / "citus.so").exists() and (
        pg_config("--sharedir") / "extension" / "citus.control"
    ).exists()


def require_installed(source: Path) -> None:
    """Stop with what to do unless ``source`` is a Citus checkout and Citus is installed into
    the PostgreSQL of PG_CONFIG. This project builds nothing of Citus: the checkout is built and
    installed by its own instructions (its README and DEVELOPERS.md)."""
    if not (source / "citus.control").exists() and not any(source.glob("src/**/citus.control")):
        raise SystemExit(f"bench-citus: {source} is not a checkout of citusdata/citus")
    if not installed():
        raise SystemExit(
            f"bench-citus: Citus is not installed in {pg_config('--pkglibdir')}: build and install "
            f"{source} by its own instructions against {PG_CONFIG}, then run this again"
        )
    print(f"citus: installed in {pg_config('--pkglibdir')}", flush=True)


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{database}"

    def execute(self, database: str, *statements: str) -> None:
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)  # type: ignore[arg-type]  # our own SQL


@dataclass(frozen=True)
class Cluster:
    coordinator: Node
    workers: Sequence[Node]

    @property
    def nodes(self) -> list[Node]:
        return [self.coordinator, *self.workers]

    @contextmanager
    def database(self, name: str) -> Iterator[str]:
        """A database ``name`` on every node with Citus in it and the workers added; yields its
        URL on the coordinator (what the application is given)."""
        for node in self.nodes:
            node.execute("postgres", f'CREATE DATABASE "{name}"')
            node.execute(name, "CREATE EXTENSION citus")
        self.coordinator.execute(
            name,
            f"SELECT citus_set_coordinator_host('{HOST}', {self.coordinator.port})",
            *(f"SELECT citus_add_node('{HOST}', {worker.port})" for worker in self.workers),
        )
        try:
            yield self.coordinator.url(name)
        finally:
            for node in self.nodes:
                node.execute("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def local_cluster() -> Iterator[Cluster]:
    """A coordinator and two workers, initialised, started, and on the way out stopped and
    removed."""
    folder = Path(tempfile.mkdtemp(prefix="creditbank-citus-"))
    ports = {"coordinator": COORDINATOR_PORT} | {
        f"worker{n}": port for n, port in enumerate(WORKER_PORTS, start=1)
    }
    nodes = {name: Node(name, port, folder / name) for name, port in ports.items()}
    try:
        _hand_to_postgres(folder)
        with ExitStack() as stack:
            for node in nodes.values():
                _initdb(node)
                stack.enter_context(_running(node))
            yield Cluster(nodes["coordinator"], [nodes["worker1"], nodes["worker2"]])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _hand_to_postgres(folder: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)


def _initdb(node: Node) -> None:
    initdb = str(pg_config("--bindir") / "initdb")
    command = [initdb, "-D", str(node.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(
        _as_postgres([*command, "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL
    )
    settings = {**SETTINGS, "port": str(node.port), "unix_socket_directories": f"'{node.data}'"}
    lines = [f"{name} = {value}" for name, value in settings.items()]
    subprocess.run(
        _as_postgres(["tee", "-a", str(node.data / "postgresql.conf")]),
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def _running(node: Node) -> Iterator[None]:
    pg_ctl = str(pg_config("--bindir") / "pg_ctl")
    log = str(node.data / "server.log")
    start = [pg_ctl, "-D", str(node.data), "-l", log, "-w", "-t", "60", "start"]
    subprocess.run(_as_postgres(start), check=True, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        stop = [pg_ctl, "-D", str(node.data), "-m", "fast", "-w", "-t", "60", "stop"]
        subprocess.run(_as_postgres(stop), check=False, stdout=subprocess.DEVNULL)
