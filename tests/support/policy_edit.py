"""Copy the shipped policy folder and edit one benefit file, for tests of policy changes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.common.policy_folder import DEFAULT_POLICY_DIR

Document = dict[str, Any]


def copy_policy(target: Path) -> Path:
    folder = target / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def edit_benefit(folder: Path, benefit_id: str, change: Callable[[Document], None]) -> Path:
    path = folder / "benefits" / f"{benefit_id}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def criterion(document: Document, criterion_id: str) -> Document:
    return next(c for c in document["criteria"] if c["id"] == criterion_id)
