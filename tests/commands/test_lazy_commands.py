"""The command line imports only the command it runs; help still lists every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.adapters.store import STATE_FILE, Store
from kiosk.cli import COMMAND_MODULES, build_parser
from kiosk.common.cli import command_name
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, demo_issuer, verified


def _commands(parser: object) -> set[str]:
    subparsers = parser._subparsers._group_actions[0]  # type: ignore[attr-defined]
    return set(subparsers.choices)


def test_no_arguments_and_help_know_every_command() -> None:
    every = {command_name(m) for m in COMMAND_MODULES}
    assert _commands(build_parser()) == every
    assert _commands(build_parser(["--help"])) == every
    assert _commands(build_parser(["no-such-command"])) == every


def test_a_named_command_builds_only_its_own_parser() -> None:
    assert _commands(build_parser(["benefits", "--json"])) == {"benefits"}


def test_kiosk_check_does_not_import_the_other_commands() -> None:
    probe = (
        "import sys\n"
        "from kiosk.cli import build_parser\n"
        "build_parser(['check', '--help-not-parsed'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('kiosk.commands.')))\n"
        "print('kivy' in sys.modules, 'cryptography.x509' in sys.modules, 'httpx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    modules, heavy = done.stdout.splitlines()
    assert modules == "['kiosk.commands.check', 'kiosk.commands.decision_text']"
    assert heavy == "False False False"


def test_an_offline_check_imports_no_client_and_rewrites_no_state(tmp_path: Path) -> None:
    """`kiosk check --offline` decides from the cache without the HTTP client, python-stdnum,
    uuid, secrets, importlib.resources, an event loop, logging, OpenSSL's backend or the receipt
    verifier (each ms to tens of ms of import at every start), and a second check leaves the
    data folder's state file as the first one wrote it."""
    data = tmp_path / "data"
    Store(data).save_bundle(verified(issued_at=datetime.now(UTC) - timedelta(hours=1)), None)
    config = tmp_path / "kiosk.toml"
    config.write_text(f'authority_keys = ["{AUTHORITY_PUBLIC_PEM}"]\ndata_dir = "{data}"\n', encoding="utf-8")
    credential = demo_issuer().issue(
        kind="business",
        subject_value="91350100M000100Y43",
        facts={
            "serious_dishonesty_listed": False,
            "abnormal_operations_listed": False,
            "last_penalty_date": "2019-03-01",
            "tax_credit_grade": "A",
            "credit_commitment_on_file": True,
        },
        issued_at=datetime.now(UTC) - timedelta(days=1),
    )
    probe = (
        "import sys\n"
        "from kiosk.cli import main\n"
        f"code = main(['check', '--benefit', 'expedited-permit', '--scan', {credential!r}, '--offline',\n"
        f"             '--json', '--config', {str(config)!r}])\n"
        "heavy = ('httpx', 'stdnum', 'uuid', 'secrets', 'importlib.resources', 'kiosk.adapters.backend_client',\n"
        "         'asyncio', 'logging', 'cryptography.hazmat.backends.openssl', 'kiosk.core.receipts.verify')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["outcome"] == "eligible"
    assert first.stderr.splitlines()[-1] == "0 []"
    state = data / STATE_FILE
    written = state.stat().st_mtime_ns, state.read_bytes()
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert second.returncode == 0 and json.loads(second.stdout)["outcome"] == "eligible", second.stderr
    assert (state.stat().st_mtime_ns, state.read_bytes()) == written
