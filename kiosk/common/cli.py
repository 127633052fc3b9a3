"""What `kiosk` and `kiosk-backend` share: sub-commands as modules, one way to end.

Each command module exposes ``register(subparsers)``; the parser it adds sets ``run`` to a
function taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

# The one set of exit codes of `kiosk` and `kiosk-backend`.
EXIT_OK = 0  # done; for `kiosk check`, a decision was made (whatever its outcome)
EXIT_FAILED = 1  # ran, and what it checks does not hold (doctor, a demo step, a failing policy example)
EXIT_USAGE = 2  # usage or configuration error: nothing was done
EXIT_INVALID_INPUT = 3  # unreadable or invalid data: a code, a key, a feed, a bundle, a receipt
EXIT_UNAVAILABLE = 4  # what the command needs cannot be reached: no decision, no sync
EXIT_NOT_SAVED = 5  # the work was done but could not be kept (disk full, data folder not writable)
EXIT_INTERRUPTED = 130  # Ctrl+C


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
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing more and let Python not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def demo_installed(prog: str) -> bool:
    """The demo harness ships with the source tree, not with the product wheel: say so plainly."""
    if importlib.util.find_spec("demo") is not None:
        return True
    print(
        f"{prog}: the demo is not installed here (it comes with the source tree, not with the "
        "kiosk's wheel); run ./dev demo from a checkout",
        file=sys.stderr,
    )
    return False


def usage(parser: argparse.ArgumentParser) -> int:
    """What a command group does when no action is named: its help on stderr, exit 2."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE
