"""`kiosk-backend keys new`, and the service refusing every key it must not sign with."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from backend.auth import DeviceCredential, write_tokens_file
from backend.cli import main as backend_main
from backend.keys import DEMO_KEY_IDS, key_id
from demo.issuer import DEMO_KEYS_DIR
from demo.records import write_demo_database


def new_key(capsys: pytest.CaptureFixture[str], prefix: Path, kind: str, alg: str = "ed25519") -> str:
    code = backend_main(["keys", "new", "--kind", kind, "--alg", alg, "--out", str(prefix)])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out.strip()


def test_keys_new_writes_a_private_key_only_its_owner_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kid = new_key(capsys, tmp_path / "issuer", "issuer", "p256")
    private, public = tmp_path / "issuer-private.pem", tmp_path / "issuer-public.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE" not in public.read_bytes()
    key = serialization.load_pem_public_key(public.read_bytes())
    assert key_id(key) == kid  # type: ignore[arg-type]
    # openssl reads the files despite the kind line before the PEM block.
    shown = subprocess.run(["openssl", "pkey", "-in", str(private), "-noout", "-text"],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0 and "prime256v1" in shown.stdout + shown.stderr


def test_keys_new_refuses_to_overwrite_or_a_wrong_algorithm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_key(capsys, tmp_path / "authority", "authority")
    before = (tmp_path / "authority-private.pem").read_bytes()
    for argv in (
        ["--kind", "authority", "--out", str(tmp_path / "authority")],
        ["--kind", "authority", "--alg", "p256", "--out", str(tmp_path / "other")],
        ["--kind", "issuer", "--out", str(tmp_path / "missing-folder" / "issuer")],
        ["--kind", "issuer", "--out", str(tmp_path / "issuer.pem")],
    ):
        assert backend_main(["keys", "new", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert (tmp_path / "authority-private.pem").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["authority-private.pem", "authority-public.pem"]


def test_the_demo_key_list_names_every_published_key() -> None:
    found = set()
    for path in DEMO_KEYS_DIR.glob("*-public.pem"):
        found.add(key_id(serialization.load_pem_public_key(path.read_bytes())))  # type: ignore[arg-type]
    assert found == DEMO_KEY_IDS


def _serve_config(tmp_path: Path, authority_line: str) -> Path:
    write_demo_database(tmp_path / "records.sqlite3")
    write_tokens_file(tmp_path / "devices.json", [DeviceCredential.from_token("kiosk-1", "t" * 40)])
    config = tmp_path / "backend.toml"
    config.write_text(f'db = "records.sqlite3"\ndevice_tokens = "devices.json"\n{authority_line}\n')
    return config


def _world_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    new_key(capsys, tmp_path / "open", "authority")
    os.chmod(tmp_path / "open-private.pem", 0o644)
    return 'authority_key = "open-private.pem"'


def _issuer_as_authority(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    new_key(capsys, tmp_path / "issuer", "issuer")
    return 'authority_key = "issuer-private.pem"'


def _garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "garbage.pem"
    label = b"PRIVATE " + b"KEY"  # an armour around bytes that are no key at all
    path.write_bytes(b"-----BEGIN " + label + b"-----\nnot base64\n-----END " + label + b"-----\n")
    path.chmod(0o600)
    return 'authority_key = "garbage.pem"'


def _public_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    new_key(capsys, tmp_path / "authority", "authority")
    return 'authority_key = "authority-public.pem"'


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda tmp, cap: "", "authority_key: is required"),
        (lambda tmp, cap: 'authority_key = "nowhere.pem"', "cannot be read"),
        (lambda tmp, cap: f'authority_key = "{DEMO_KEYS_DIR / "authority-ed25519-DEMO-private.pem"}"', "DEMO"),
        (_world_readable, "every user"),
        (_issuer_as_authority, "kind 'issuer'"),
        (_garbage, "not a readable PEM"),
        (_public_only, "no PEM private key"),
        (lambda tmp, cap: 'authority_key = "."', "cannot be read"),
    ],
    ids=["missing", "unreadable", "demo", "world-readable", "wrong-kind", "malformed", "public", "folder"],
)
def test_serve_refuses_to_start_without_a_usable_authority_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, says: str
) -> None:
    line = make(tmp_path, capsys)  # type: ignore[operator]
    config = _serve_config(tmp_path, line)
    assert backend_main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "authority_key" in err and says in err, err


def test_no_backend_command_imports_the_demo_package() -> None:
    """The wheel has no demo package: only --demo and demo commands may reach for it, lazily."""
    program = (
        "import sys, backend.cli, backend.app, backend.commands.serve\n"
        "backend.cli.build_parser()\n"
        "assert not [m for m in sys.modules if m == 'demo' or m.startswith('demo.')], sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "issuer_key: is required"),
        ('issuer_key = "nowhere.pem"', "cannot be read"),
        (f'issuer_key = "{DEMO_KEYS_DIR / "issuer-ed25519-DEMO-private.pem"}"', "DEMO"),
        ('issuer_key = "authority-private.pem"', "kind 'authority'"),
        ('issuer_key = "issuer-public.pem"', "no PEM private key"),
    ],
    ids=["missing", "unreadable", "demo", "wrong-kind", "public"],
)
def test_mint_with_a_config_refuses_an_unusable_issuer_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, says: str
) -> None:
    new_key(capsys, tmp_path / "authority", "authority")
    new_key(capsys, tmp_path / "issuer", "issuer")
    config = _serve_config(tmp_path, line)
    out = tmp_path / "credential"
    assert backend_main(["mint", "--config", str(config), "--subject", "91995318858871544B", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and says in err, err
    assert not list(tmp_path.glob("credential*"))


def test_a_kiosk_refuses_an_issuer_key_named_as_its_authority_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main as kiosk_main

    new_key(capsys, tmp_path / "issuer", "issuer")
    config = tmp_path / "kiosk.toml"
    config.write_text('backend_url = "http://127.0.0.1:9"\ndata_dir = "data"\n'
                      'authority_keys = ["issuer-public.pem"]\n')
    assert kiosk_main(["sync", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kind 'issuer'" in err, err
    assert not (tmp_path / "data").exists()
