"""`kiosk-backend mint` and `kiosk inspect`, run as real processes on real files."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.records import demo_subjects
from kiosk.cli import main as kiosk_main
from kiosk.core.credentials import revocation_hash

REPO = Path(__file__).resolve().parents[2]
DEMO_KEYS = REPO / "demo" / "keys"
ED_PUBLIC = DEMO_KEYS / "issuer-ed25519-DEMO-public.pem"
EC_PUBLIC = DEMO_KEYS / "issuer-p256-DEMO-public.pem"


def run(module: str, args: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], input=stdin, capture_output=True, cwd=REPO, timeout=120
    )


def run_in_process(args: Sequence[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """The same `kiosk` main, in this process (fast); stdin/stdout/stderr are real streams."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = kiosk_main(list(args))
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def inspect(*args: str, stdin: bytes = b"") -> tuple[int, dict[str, Any]]:
    code, out, err = run_in_process(["inspect", *args, "--json"], stdin)
    assert err == "", err
    return code, json.loads(out)


@pytest.fixture(scope="module")
def subjects() -> dict[str, Any]:
    everyone = demo_subjects()
    return {
        "uscc": next(s for s in everyone if s.scheme == "uscc"),
        "ric": next(s for s in everyone if s.scheme == "ric"),
        "token": next(s for s in everyone if s.scheme == "token"),
    }


@pytest.fixture(scope="module")
def minted(tmp_path_factory: pytest.TempPathFactory, subjects: dict[str, Any]) -> dict[str, str]:
    out = tmp_path_factory.mktemp("mint")
    payloads = {}
    for scheme, alg in (("uscc", "EdDSA"), ("ric", "ES256")):
        done = run(
            "backend.cli",
            ["mint", "--subject", subjects[scheme].value, "--out", str(out / scheme), "--alg", alg],
        )
        assert done.returncode == 0, done.stderr.decode()
        assert subjects[scheme].value.encode() not in done.stdout
        assert (out / f"{scheme}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        payloads[scheme] = (out / f"{scheme}.txt").read_text(encoding="ascii").strip()
    return payloads


def test_minted_credential_inspects_as_valid_with_the_subjects_facts(
    minted: dict[str, str], subjects: dict[str, Any]
) -> None:
    code, result = inspect(minted["uscc"], "--trust", str(ED_PUBLIC), "--trust", str(EC_PUBLIC))
    assert code == 0
    assert result["valid"] is True and result["failed_step"] is None
    assert result["scheme"] == "credential" and result["message"]
    found = result["presentation"]
    assert found["subject"]["scheme"] == "uscc" and found["subject"]["masked"] is True
    assert subjects["uscc"].value not in json.dumps(result)
    # Issue #18 item 15: the facts are the subject's too; names only, unless --show-subject.
    facts = json.loads(json.dumps(dict(subjects["uscc"].facts)))
    assert found["facts"] == dict.fromkeys(facts, "<masked>") and found["facts_masked"] is True
    assert found["offline_capable"] is True
    _, shown = inspect(minted["uscc"], "--trust", str(ED_PUBLIC), "--show-subject")
    assert shown["presentation"]["facts"] == facts and shown["presentation"]["facts_masked"] is False
    assert [layer["layer"] for layer in result["layers"]][-1] == "content"


def test_es256_person_credential_and_show_subject(minted: dict[str, str], subjects: dict[str, Any]) -> None:
    code, result = inspect(minted["ric"], "--trust", str(EC_PUBLIC), "--show-subject")
    assert code == 0
    assert result["presentation"]["subject"] == {
        "scheme": "ric",
        "value": subjects["ric"].value,
        "masked": False,
    }
    assert result["presentation"]["subject_kind"] == "person"


def test_failures_name_their_step(minted: dict[str, str]) -> None:
    payload = minted["uscc"]
    code, result = inspect(payload)
    assert (code, result["failed_step"], result["valid"]) == (3, "unknown_key", False)
    assert result["scheme"] == "credential"
    code, result = inspect(payload, "--trust", str(EC_PUBLIC))
    assert (code, result["failed_step"]) == (3, "unknown_key")
    future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    code, result = inspect(payload, "--trust", str(ED_PUBLIC), "--at", future)
    assert (code, result["failed_step"]) == (3, "expired")
    code, result = inspect(payload, "--trust", str(ED_PUBLIC), "--at", "2020-01-01")
    assert (code, result["failed_step"]) == (3, "not_yet_valid")
    assert result["layers"][-1] == {
        "layer": "validity",
        "ok": False,
        "failed_step": "not_yet_valid",
        "summary": result["layers"][-1]["summary"],
    }
    code, result = inspect(payload, "--prefix", "HC1")
    assert (code, result["failed_step"]) == (3, "prefix")


def test_revoked_credential(minted: dict[str, str]) -> None:
    _, valid = run_show(minted["uscc"])
    credential_id = valid["presentation"]["credential_id"]
    assert revocation_hash(credential_id) == valid["presentation"]["credential_id_hash"]
    code, result = inspect(minted["uscc"], "--trust", str(ED_PUBLIC), "--revoked", revocation_hash(credential_id))
    assert (code, result["failed_step"]) == (3, "revoked")


def run_show(payload: str) -> tuple[int, dict[str, Any]]:
    return inspect(payload, "--trust", str(ED_PUBLIC), "--show-subject")


def test_identifiers_from_stdin_in_either_encoding() -> None:
    text = "统一社会信用代码：91110000600037341L\r\n"
    for encoding in ("gb18030", "utf-8"):
        code, result = inspect("-", stdin=text.encode(encoding))
        assert code == 0 and result["scheme"] == "uscc"
        assert result["presentation"]["offline_capable"] is False
    code, result = inspect("91110000600037341N", "--locale", "en")
    assert (code, result["failed_step"], result["scheme"]) == (3, "check_digit", "uscc")
    assert "check character" in result["message"]
    code, result = inspect("-", stdin=b"\xff\xfe\xff")
    assert (code, result["failed_step"]) == (3, "encoding")


def test_human_output_masks_the_subject(minted: dict[str, str], subjects: dict[str, Any]) -> None:
    done = run("kiosk.cli", ["inspect", minted["uscc"], "--trust", str(ED_PUBLIC), "--locale", "en"])
    assert done.returncode == 0 and done.stderr == b""
    out = done.stdout.decode()
    assert "result       VALID" in out and "layer signature" in out
    assert subjects["uscc"].value not in out
    fact_lines = out.split("\nfacts\n")[1].split("\nresult")[0].splitlines()
    assert fact_lines and all(line.endswith('= "<masked>"') for line in fact_lines)


@pytest.mark.parametrize(
    "args",
    [
        ["XKT:abc", "--at", "not-a-date"],
        ["XKT:abc", "--trust", "/nonexistent/key.pem"],
        ["XKT:abc", "--trust", str(DEMO_KEYS / "issuer-ed25519-DEMO-private.pem")],
        ["XKT:abc", "--prefix", "x"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = run_in_process(["inspect", *args])
    assert code == 2 and out == "" and err.startswith("kiosk inspect:")


def test_stdin_through_a_real_pipe() -> None:
    done = run("kiosk.cli", ["inspect", "-", "--json"], b"44011320141005001x\r\n")
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(done.stdout)["scheme"] == "ric"


def test_gb18030_bytes_in_argv() -> None:
    licence = "统一社会信用代码：91110000600037341L".encode("gb18030")
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"kiosk.cli", b"inspect", licence, b"--json"],
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["layers"][0]["summary"]["encoding"] == "gb18030"


def test_mint_refuses_unknown_and_token_subjects(tmp_path: Path, subjects: dict[str, Any]) -> None:
    for value in ("91110000600037341L", subjects["token"].value):
        done = run("backend.cli", ["mint", "--subject", value, "--out", str(tmp_path / "x")])
        assert done.returncode == 2 and b"Traceback" not in done.stderr
        assert not (tmp_path / "x.txt").exists()


def test_demo_issuer_keys_match_the_readme(tmp_path: Path) -> None:
    from demo.issuer import DemoKeyMissing, demo_trust_store, load_demo_issuer

    readme = (DEMO_KEYS / "README.md").read_text(encoding="utf-8")
    for alg in ("EdDSA", "ES256"):
        issuer = load_demo_issuer(alg)
        assert issuer.kid.hex() in readme
        assert issuer.kid in demo_trust_store()
        assert "DEMO" in issuer.public_key_path.name
    with pytest.raises(DemoKeyMissing):
        load_demo_issuer("EdDSA", tmp_path)
