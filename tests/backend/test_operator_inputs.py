"""Everything a person types or points `kiosk-backend` to is checked into one clear line (issue
#18 items 8, 9, 10): config values for type, range and finiteness, every file read bounded in
size and without blocking, and a records file that is not ours named as such — never a
traceback, never an unbounded read.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend.auth import DeviceCredential, DeviceTokensError, read_tokens_file, write_tokens_file
from backend.bundle_source import load_authority_private_key, read_revocations, read_trust_files
from backend.db import RecordsFileError, SubjectStore
from backend.settings import BackendConfigError, load_settings
from demo.records import write_demo_database
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.errors import KioskError

BACKEND = [sys.executable, "-m", "backend.cli"]
PATIENCE = 60.0  # bounds a hung command; never what is asserted
DEEP_ARRAYS = "[" * 5000 + "]" * 5000
HUGE_INTEGER = "9" * 5000  # past Python's 4300-digit int limit


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_demo_database(tmp_path / "records.sqlite3")
    write_tokens_file(tmp_path / "devices.json", [DeviceCredential.from_token("kiosk-0001", "t" * 43)])
    return tmp_path


def config(folder: Path, extra: str = "", *, db: str = "records.sqlite3", tokens: str = "devices.json") -> Path:
    path = folder / "backend.toml"
    path.write_text(f'db = "{db}"\ndevice_tokens = "{tokens}"\n{extra}', encoding="utf-8")
    return path


def one_line(error: KioskError) -> str:
    assert "\n" not in error.detail and error.detail.strip() == error.detail
    assert "Traceback" not in error.detail
    return error.detail


def finishes(call: Callable[[], Any]) -> BaseException | None:
    """Run `call` in a thread; fail if it blocks (a FIFO, a device), return what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # handed back to the test
            raised.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(PATIENCE)
    assert not worker.is_alive(), "the read blocked"
    return raised[0] if raised else None


# --- config values ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("rate_per_second = nan\n", "rate_per_second"),
        ("rate_per_second = inf\n", "rate_per_second"),
        ("rate_per_second = -inf\n", "rate_per_second"),
        ("rate_per_second = -1.0\n", "rate_per_second"),
        ("rate_per_second = 0\n", "rate_per_second"),
        ("rate_per_second = 1e308\n", "rate_per_second"),
        ("rate_per_second = true\n", "rate_per_second"),
        ("rate_burst = 0\n", "rate_burst"),
        ("rate_burst = 1.5\n", "rate_burst"),
        (f"rate_burst = {'9' * 40}\n", "rate_burst"),
        ("port = 99999\n", "port"),
        ("port = -1\n", "port"),
        ("port = nan\n", "port"),
        ('host = "::1::"\n', "host"),
        ('host = "[::1"\n', "host"),
        ('host = "fe80::zz"\n', "host"),
        ('host = "999.1.1.1"\n', "host"),
        ('host = "no spaces.example"\n', "host"),
        ('host = ""\n', "host"),
        ("header_timeout = nan\n", "header_timeout"),
        ("header_timeout = 0\n", "header_timeout"),
        ("body_timeout = inf\n", "body_timeout"),
        ("keep_alive_timeout = -5\n", "keep_alive_timeout"),
        ("max_connections = 0\n", "max_connections"),
        ("max_connections = 1e3\n", "max_connections"),
        ('policy_dir = ""\n', "policy_dir"),
        ("preload_records = 1\n", "preload_records"),
        (f"x = {DEEP_ARRAYS}\n", "(file)"),
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", "(file)"),
    ],
)
def test_a_config_value_out_of_type_or_range_is_one_line_naming_the_key(
    folder: Path, extra: str, key: str
) -> None:
    with pytest.raises(BackendConfigError) as caught:
        load_settings(config(folder, extra))
    assert f": {key}: " in one_line(caught.value)


def test_the_limits_in_range_are_taken(folder: Path) -> None:
    settings = load_settings(config(folder, "max_connections = 200\nheader_timeout = 2.5\nport = 0\nhost = \"::1\"\n"))
    assert settings.limits.max_connections == 200 and settings.limits.header_timeout == 2.5
    assert settings.host == "::1" and settings.port == 0


# --- files: bounded, never blocking -------------------------------------------------------

def hostile_files(folder: Path) -> dict[str, Path]:
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    big = folder / "big"
    big.write_bytes(b"#" * (40 * 1024 * 1024))
    return {"dev-zero": Path("/dev/zero"), "fifo": fifo, "folder": folder, "40-MiB": big, "missing": folder / "absent"}


def test_every_file_the_backend_reads_is_refused_in_one_line_when_it_is_no_file(folder: Path) -> None:
    readers: dict[str, Callable[[Path], Any]] = {
        "config": load_settings,
        "tokens": read_tokens_file,
        "authority key": load_authority_private_key,
        "revocations": read_revocations,
        "trust keys": lambda path: read_trust_files([path]),
    }
    for name, path in hostile_files(folder).items():
        for reader_name, reader in readers.items():
            raised = finishes(lambda reader=reader, path=path: reader(path))
            assert raised is not None, (reader_name, name)
            if isinstance(raised, KioskError):
                one_line(raised)
            else:  # read_revocations speaks ValueError to its two callers
                assert isinstance(raised, ValueError) and "\n" not in str(raised), (reader_name, name, raised)


@pytest.mark.parametrize("content", [b"/dev/zero", b"fifo", DEEP_ARRAYS.encode(), HUGE_INTEGER.encode(), b"\xff\xfe"])
def test_a_policy_file_that_is_no_json_document_is_one_line(folder: Path, content: bytes) -> None:
    policy = folder / "policy"
    (policy / "benefits").mkdir(parents=True)
    for source in (DEFAULT_POLICY_DIR / "benefits").glob("*.json"):
        (policy / "benefits" / source.name).write_bytes(source.read_bytes())
    head = policy / "policy.json"
    if content == b"/dev/zero":
        head.symlink_to("/dev/zero")
    elif content == b"fifo":
        os.mkfifo(head)
    else:
        head.write_bytes(content)
    raised = finishes(lambda: read_policy_document(policy))
    assert isinstance(raised, KioskError), raised
    assert "policy.json" in one_line(raised)


# --- the device tokens file ---------------------------------------------------------------

@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe{}",  # not UTF-8
        '{"devices": [{"device": "kiosk-é", "salt": "00", "hmac_sha256": "00"}]}'.encode(),
        '{"devices": [{"device": "k", "salt": "０１２３", "hmac_sha256": "00"}]}'.encode(),  # full-width digits
        DEEP_ARRAYS.encode(),
        ('{"devices": ' + HUGE_INTEGER + "}").encode(),
        b'{"devices": [], "devices": []}',
        b"",
    ],
    ids=["not-utf8", "non-ascii-device", "non-ascii-hex", "5000-nested", "huge-integer", "duplicate", "empty"],
)
def test_a_tokens_file_that_is_not_ours_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "devices.json"
    path.write_bytes(content)
    with pytest.raises(DeviceTokensError) as caught:
        read_tokens_file(path)
    assert str(path) in one_line(caught.value)


# --- the records database -----------------------------------------------------------------

def not_our_database(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.sqlite3"
    if kind == "random-bytes":
        path.write_bytes(os.urandom(4096))
    elif kind == "text":
        path.write_text("subject,facts\n1,2\n")
    elif kind == "empty-sqlite":
        sqlite3.connect(path).close()
        path.write_bytes(b"")
    elif kind == "other-schema":
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE things (x)")
    elif kind == "bad-fact-json":
        write_demo_database(path)
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE facts SET value_json = '{not json'")
    elif kind == "folder":
        path.mkdir()
    return path


BROKEN_RECORDS = ["random-bytes", "text", "empty-sqlite", "other-schema", "folder", "missing"]


# A fact that is not JSON is found at start-up only when records are preloaded; a store that
# reads per request meets it on lookup, where it is a 500 problem like any other fault.
@pytest.mark.parametrize(
    ("kind", "preload"),
    [*((kind, True) for kind in [*BROKEN_RECORDS, "bad-fact-json"]), *((kind, False) for kind in BROKEN_RECORDS)],
)
def test_a_records_file_that_is_not_ours_is_one_line(tmp_path: Path, kind: str, preload: bool) -> None:
    path = not_our_database(tmp_path, kind)
    with pytest.raises(RecordsFileError) as caught:
        SubjectStore(path, preload=preload)
    assert str(path) in one_line(caught.value)


# --- the command, end to end --------------------------------------------------------------

def serve(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BACKEND, "serve", *arguments], capture_output=True, text=True, timeout=PATIENCE)


@pytest.mark.parametrize(
    "case",
    ["dev-zero-config", "nan-rate", "non-sqlite-db", "5000-nested-config", "tokens-not-utf8",
     "port-99999", "broken-ipv6", "nan-rate-flag", "non-ascii-demo-token", "demo-db-is-a-folder",
     "db-flag-not-sqlite", "too-many-connections"],
)
def test_serve_refuses_a_bad_input_with_one_line_and_exit_2(folder: Path, case: str) -> None:
    junk = folder / "junk.sqlite3"
    junk.write_bytes(os.urandom(2048))
    bad_tokens = folder / "bad-tokens.json"
    bad_tokens.write_bytes(b"\xff\xfe\x00")
    arguments = {
        "dev-zero-config": ["--config", "/dev/zero"],
        "nan-rate": ["--config", str(config(folder, "rate_per_second = nan\n"))],
        "non-sqlite-db": ["--config", str(config(folder, db=junk.name))],
        "5000-nested-config": ["--config", str(config(folder, f"x = {DEEP_ARRAYS}\n"))],
        "tokens-not-utf8": ["--config", str(config(folder, tokens=bad_tokens.name))],
        "port-99999": ["--demo", "--port", "99999"],
        "broken-ipv6": ["--demo", "--host", "[::1"],
        "nan-rate-flag": ["--demo", "--rate-limit", "nan/30"],
        "non-ascii-demo-token": ["--demo", "--token", "令牌"],
        "demo-db-is-a-folder": ["--demo", "--db", str(folder)],
        "db-flag-not-sqlite": ["--config", str(config(folder)), "--db", str(junk)],
        "too-many-connections": ["--config", str(config(folder, "max_connections = 65536\n"))],
    }[case]
    result = serve(*arguments)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kiosk-backend serve: "), result.stderr
    assert "Traceback" not in result.stderr and "unhandled" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (["device-token", "issue", "--device", "k", "--tokens", "/proc/no-such-folder/devices.json"], 2),
        (["device-token", "issue", "--device", "k", "--tokens", "/dev/zero"], 2),
        (["bundle", "verify", "/dev/zero", "--authority", "demo/keys/authority-ed25519-DEMO-public.pem"], 3),
        (["bundle", "verify", "README.md", "--authority", "/dev/zero"], 3),
        (["bundle", "sign", "--policy", "kiosk/common/policy", "--key", "/dev/zero", "--out", "/dev/null"], 3),
        (["bundle", "sign", "--policy", "kiosk/common/policy", "--key",
          "demo/keys/authority-ed25519-DEMO-private.pem", "--trust", "/dev/zero", "--out", "/dev/null"], 3),
    ],
    ids=["tokens-unwritable", "tokens-dev-zero", "verify-dev-zero", "authority-dev-zero", "key-dev-zero",
         "trust-dev-zero"],
)
def test_the_other_commands_refuse_a_bad_path_in_one_line(arguments: list[str], code: int) -> None:
    result = subprocess.run([*BACKEND, *arguments], capture_output=True, text=True, timeout=PATIENCE,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == code, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
