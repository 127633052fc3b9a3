"""The command line imports only the command it runs; help still lists every command."""

from __future__ import annotations

import subprocess
import sys

from kiosk.cli import COMMAND_MODULES, build_parser
from kiosk.common.cli import command_name


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
