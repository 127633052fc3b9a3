"""`kiosk` command line: one sub-command per module under kiosk/commands/.

Each command module exposes ``register(subparsers)``; the parser it adds sets ``run`` to a
function taking the parsed arguments and returning the exit code. Exit codes shared by all
commands: 0 done, 2 usage error, 3 unreadable or invalid input, 4 no decision possible.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiosk.common import cli as command_line

# Adding a command is adding a module here; the order is the order of `kiosk --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.commands.check",
    "kiosk.commands.sync",
    "kiosk.commands.heartbeat",
    "kiosk.commands.benefits",
    "kiosk.commands.inspect",
    "kiosk.commands.receipt",
    "kiosk.commands.keys",
    "kiosk.commands.listen",
    "kiosk.commands.simulate",
    "kiosk.commands.doctor",
    "kiosk.commands.demo",
    "kiosk.commands.run",
    "kiosk.commands.screenshots",
)



def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    description = "Xinyi Kiosk (信易自助核验终端): eligibility checks that explain themselves."
    return command_line.build_parser("kiosk", description, COMMAND_MODULES, argv)


def main(argv: Sequence[str] | None = None) -> int:
    words = command_line.arguments(argv)
    return command_line.run_command(build_parser(words), words)


if __name__ == "__main__":
    sys.exit(main())
