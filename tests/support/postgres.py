"""A throw-away PostgreSQL cluster for tests (and benchmarks): initdb and pg_ctl in a temporary
folder, reached over a Unix socket in that folder (or a free loopback port), stopped at the end.

`Cluster` is the cluster itself (start, stop, restart: the fault tests stop it under load);
the fixtures share one cluster per test session, and `postgres_url` gives each test its own
empty schema (a URL whose search_path names it: CREATE DATABASE takes a second, a schema
nothing). The binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin
(./dev installs the `postgresql` package). As root, the server runs as the `postgres` user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

ROLE = "kiosk"
_DEBIAN_BINARIES = Path("/usr/lib/postgresql")
_names = itertools.count(1)


def binary(name: str) -> str:
    """The path of a PostgreSQL program: on PATH, else the newest Debian install."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        (p for p in _DEBIAN_BINARIES.glob(f"*/bin/{name}") if p.parts[-3].isdigit()),
        key=lambda p: int(p.parts[-3]),
    )
    if not versions:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return str(versions[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One PostgreSQL server with its data in a temporary folder."""

    def __init__(self, *, tcp: bool = False, settings: dict[str, str] | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="xinyi-pg-"))
        self.data = self.folder / "data"
        # A free port even for the socket: never the one a system cluster (Debian's "15 main",
        # started by the package's install) holds, whose shared memory and lock are keyed by it.
        self.port = free_port()
        self.tcp = tcp
        # Tests need speed, not durability; a benchmark passes its own settings.
        self.settings = (
            settings
            if settings is not None
            else {
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
            }
        )
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(
            binary("initdb"), "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        self.running = False

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self._as_postgres, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {(done.stderr or done.stdout).strip()[-800:]}")

    def start(self) -> None:
        options = [f"-k {self.folder}", f"-p {self.port}", "-c listen_addresses=" + ("127.0.0.1" if self.tcp else "''")]
        options += [f"-c {name}={value}" for name, value in self.settings.items()]
        self._run(
            binary("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            " ".join(options),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; "fast" ends every session, as a database host going down does."""
        if self.running:
            self._run(binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
            self.running = False

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        if self.tcp:
            return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}?sslmode=disable"
        return f"postgresql://{ROLE}@/{database}?host={self.folder}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        name = name or f"test_{os.getpid()}_{next(_names)}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a database name: {name}")
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = conninfo_to_dict(url)["dbname"]
        if self.running:
            with psycopg.connect(self.url(), autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def create_schema(self) -> str:
        """A new empty schema in the shared tests database; a URL that works in it."""
        name = f"t_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'tests'").fetchone():
                admin.execute("CREATE DATABASE tests TEMPLATE template0")
        with psycopg.connect(self.url("tests"), autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {name}")
        return f"{self.url('tests')}&options=-csearch_path%3D{name}"

    def drop(self, url: str) -> None:
        """Drop what `create_schema` or `create_database` made."""
        options = conninfo_to_dict(url).get("options", "")
        if not options.startswith("-csearch_path="):
            self.drop_database(url)
            return
        if self.running:
            with psycopg.connect(self.url("tests"), autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA IF EXISTS {options.partition('=')[2]} CASCADE")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One cluster for the whole test session, started on first use."""
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """A fresh empty schema in the session's cluster, dropped after the test."""
    url = postgres_cluster.create_schema()
    try:
        yield url
    finally:
        postgres_cluster.drop(url)
