"""What `kiosk` and `kiosk-backend` share: sub-commands as modules, one way to end.

Each command module exposes ``register(subparsers)``; the parser it adds sets ``run`` to a
function taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


def command_name(module: str) -> str:
    """The sub-command a module registers: its last name, ``_`` as ``-`` (``demo_subjects``)."""
    return module.rpartition(".")[2].replace("_", "-")


def build_parser(
    prog: str, description: str, modules: Sequence[str], argv: Sequence[str] | None = None
) -> argparse.ArgumentParser:
    """The parser, with every command; or, for ``argv`` that starts with a command's name,
    with only that command.

    Each module imports what its command needs, and importing all of them cost `kiosk check`
    about half a second before it did anything. Help, an unknown command or none loads all.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = [name for name in modules if argv and command_name(name) == argv[0]]
    for name in chosen or modules:
        importlib.import_module(name).register(subparsers)
    return parser


def arguments(argv: Sequence[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more and let Python not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
