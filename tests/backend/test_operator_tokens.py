"""`kiosk-backend operator-token issue | revoke | list`: hashed like device tokens, in a file of
their own, and bad input is one line and an exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.auth import OPERATORS, DeviceRegistry, read_tokens_file


def backend(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], capture_output=True, text=True, timeout=60)


def test_issue_list_revoke(tmp_path: Path) -> None:
    operators = tmp_path / "operators.json"
    issued = backend("operator-token", "issue", "--operators", str(operators), "--operator", "ops-wang")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    text = operators.read_text(encoding="utf-8")
    assert token not in text and token.split(".")[1] not in text, "only a salted hash is kept"
    assert set(json.loads(text)) == {"operators"}
    assert operators.stat().st_mode & 0o777 == 0o600
    registry = DeviceRegistry(read_tokens_file(operators, OPERATORS))
    assert registry.device_for(f"Bearer {token}") == "ops-wang"
    listed = backend("operator-token", "list", "--operators", str(operators))
    assert listed.returncode == 0 and listed.stdout.startswith("ops-wang\t")
    assert backend("operator-token", "revoke", "--operators", str(operators), "--operator", "ops-wang").returncode == 0
    assert read_tokens_file(operators, OPERATORS) == []


def test_an_operator_token_file_is_not_a_device_token_file(tmp_path: Path) -> None:
    operators = tmp_path / "operators.json"
    backend("operator-token", "issue", "--operators", str(operators), "--operator", "ops-wang")
    wrong = backend("device-token", "list", "--tokens", str(operators))
    assert wrong.returncode == 2 and 'exactly one key, "devices"' in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["revoke", "--operator", "nobody"], 3, "no operator 'nobody'"),
        (["issue", "--operator", "bad name!"], 2, "operator id must match"),
        (["issue"], 2, "required"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(tmp_path: Path, args: list[str], code: int, says: str) -> None:
    operators = tmp_path / "operators.json"
    operators.write_text('{"operators": []}', encoding="utf-8")
    result = backend("operator-token", *args, "--operators", str(operators))
    assert result.returncode == code and says in result.stderr and "Traceback" not in result.stderr


def test_a_config_without_operator_tokens_names_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('db = "r.sqlite3"\ndevice_tokens = "devices.json"\n', encoding="utf-8")
    result = backend("operator-token", "list", "--config", str(config))
    assert result.returncode == 2 and "operator_tokens" in result.stderr and "Traceback" not in result.stderr
