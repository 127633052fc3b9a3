"""`kiosk-backend` command line: one sub-command per module under backend/commands/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kiosk.common import cli as command_line

COMMAND_MODULES: tuple[str, ...] = (
    "backend.commands.serve",
    "backend.commands.keys",
    "backend.commands.records",
    "backend.commands.db",
    "backend.commands.demo_subjects",
    "backend.commands.device_token",
    "backend.commands.operator_token",
    "backend.commands.mint",
    "backend.commands.bundle",
    "backend.commands.policy",
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    description = "Reference eligibility service for Xinyi Kiosk."
    return command_line.build_parser("kiosk-backend", description, COMMAND_MODULES, argv)


def main(argv: Sequence[str] | None = None) -> int:
    words = command_line.arguments(argv)
    return command_line.run_command(build_parser(words), words)


if __name__ == "__main__":
    sys.exit(main())
