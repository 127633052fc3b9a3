"""A deployment as an operator makes one, nothing from the demo: own keys, a config file, an
(initially empty) records database and a device token — through the real commands."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from backend.cli import main as backend_main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"
BUSINESS = "91990000MA01DEPL0U"  # listed as seriously dishonest until the repair feed
PENALISED = "91990000MA01DEPL1Y"
PERSON = "990101195608151231"
RECORD_TABLES = ("subjects", "subject_refs", "facts", "source_dates", "meta")
STORES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Deployment:
    folder: Path
    config: Path
    token: str
    device: str = "kiosk-0001"
    db: str = "records.sqlite3"  # the config's db: a file in the folder, or a PostgreSQL URL

    def snapshot(self) -> list[tuple[object, ...]]:
        """Every row of the records, in a fixed order: equal before and after means untouched."""
        query = "SELECT '{table}', * FROM {table} ORDER BY 2, 3"
        if self.db.startswith("postgresql://"):
            with psycopg.connect(self.db) as connection:
                return [tuple(row) for table in RECORD_TABLES
                        for row in connection.execute(query.format(table=table)).fetchall()]
        with sqlite3.connect(self.folder / self.db) as connection:
            return [row for table in RECORD_TABLES for row in connection.execute(query.format(table=table))]

    @property
    def authority_public(self) -> Path:
        return self.folder / "authority-public.pem"

    def backend(self, *argv: str) -> tuple[int, str, str]:
        """Run `kiosk-backend ARGV` in-process; (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = backend_main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def records_import(self, source: str, feed: Path, *extra: str, as_of: str = "2026-11-30") -> tuple[int, str, str]:
        return self.backend("records", "import", "--config", str(self.config), "--source", source,
                            "--as-of", as_of, *extra, str(feed))


# Room for a test's bursts, still a limiter on the path.
TEST_RATE = "rate_per_second = 100\nrate_burst = 1000\n"
# For tests that hammer the service from several threads: a quiet machine answers a few
# thousand requests a second, which would empty TEST_RATE's bucket in half a second.
HAMMER_RATE = "rate_per_second = 10000\nrate_burst = 1000000\n"


def make_deployment(
    folder: Path, extra_config: str = "", *, feeds: bool = True, db: str = "records.sqlite3",
    rate: str = TEST_RATE, tokens: str = "devices.json",
) -> Deployment:
    """`db`: the records file (relative to the folder), or a PostgreSQL URL (its schema is
    made with `kiosk-backend db init`, as an operator would). `tokens`: the device tokens'
    file, or a PostgreSQL URL (then `db` must be one too: `db init` makes its table)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("authority", "issuer"):
        code = backend_main(["keys", "new", "--kind", kind, "--out", str(folder / kind)])
        assert code == 0
    config = folder / "backend.toml"
    config.write_text(
        f'db = "{db}"\n'
        f'device_tokens = "{tokens}"\n'
        'authority_key = "authority-private.pem"\n'
        'issuer_key = "issuer-private.pem"\n'
        'issuer_trust = ["issuer-public.pem"]\n'
        "log_requests = false\n"
        + rate + extra_config,
        encoding="utf-8",
    )
    partial = Deployment(folder, config, "", db=db)
    if db.startswith("postgresql://"):
        code, _, err = partial.backend("db", "init", "--config", str(config))
        assert code == 0, err
    if feeds:
        assert partial.records_import("credit-china", FIXTURES / "credit-china.csv")[0] == 0
        assert partial.records_import("market-regulation", FIXTURES / "market-regulation.jsonl")[0] == 0
    code, token, err = partial.backend("device-token", "issue", "--config", str(config), "--device", partial.device)
    assert code == 0, err
    return Deployment(folder, config, token.strip(), db=db)


@pytest.fixture(params=STORES)
def records_db(request: pytest.FixtureRequest) -> str:
    """The config's db for a test that runs on both stores: a SQLite file, or a fresh database
    in the session's PostgreSQL cluster."""
    if request.param == "sqlite":
        return "records.sqlite3"
    return str(request.getfixturevalue("postgres_url"))
