"""The udev rules file: well-formed lines and the names the kiosk and doctor expect."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from kiosk.commands.doctor import STANDARD_PORTS

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "udev" / "99-xinyi-kiosk.rules"
# KEY{attr}=="value" / KEY="value" / KEY+="value" / KEY!="value", comma separated.
TOKEN = re.compile(r'^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|=|\+=)"[^"]*"$')


def rule_lines() -> list[str]:
    lines = RULES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_every_rule_line_is_made_of_well_formed_udev_tokens() -> None:
    for line in rule_lines():
        for token in (part.strip() for part in line.split(", ")):
            assert TOKEN.match(token), f"bad token {token!r} in {line!r}"


def test_rules_create_the_names_the_config_and_doctor_use() -> None:
    text = "\n".join(rule_lines())
    links = set(re.findall(r'SYMLINK\+="([^"]+)"', text))
    assert {"xinyi-scanner", "xinyi-idcard"} <= links
    assert {Path(p).name for p in STANDARD_PORTS.values()} <= links
    example = ROOT / "config" / "kiosk.example.toml"
    if example.exists():
        config = tomllib.loads(example.read_text(encoding="utf-8"))
        for kind in ("scanner", "idcard"):
            if kind in config and "port" in config[kind]:
                assert Path(config[kind]["port"]).name in links


def test_every_device_rule_keeps_modemmanager_away_and_limits_access() -> None:
    for line in rule_lines():
        if "SYMLINK" in line:
            assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in line
            assert 'GROUP="dialout"' in line and 'MODE="0660"' in line
