"""`kiosk-backend demo-subjects`: the synthetic subjects `serve --demo` holds, and what each
should get for every benefit it applies to (staff training, the demo panel, acceptance checks)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.common.cli import EXIT_USAGE, demo_installed
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.errors import KioskError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo-subjects", help="list the synthetic demo subjects and expected outcomes",
        description=__doc__,
    )
    parser.add_argument("--json", action="store_true", help="one JSON array on stdout")
    parser.add_argument("--policy-dir", type=Path, default=DEFAULT_POLICY_DIR)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not demo_installed("kiosk-backend demo-subjects"):
        return EXIT_USAGE
    from demo.records import DemoSeedError, demo_subjects

    try:
        subjects = demo_subjects(load_catalog(args.policy_dir))
    except (KioskError, DemoSeedError) as error:
        detail = error.detail if isinstance(error, KioskError) else str(error)
        print(f"kiosk-backend demo-subjects: {detail}", file=sys.stderr)
        return EXIT_USAGE
    rows: list[dict[str, Any]] = [
        {
            "scheme": s.scheme,
            "value": s.value,
            "kind": s.kind,
            "label": s.label,
            "on_record": s.on_record,
            "expected": dict(sorted(s.expected.items())),
        }
        for s in subjects
    ]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        outcomes = ", ".join(f"{b}={o}" for b, o in row["expected"].items()) or "-"
        print(f"{row['scheme']:<6} {row['value']:<30} {row['label']}\n       {outcomes}")
    return 0
