"""Where the tests find the repository's own files (never anything outside the clone)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
CONFORMANCE = TESTS / "conformance"
DEMO_KEYS = REPO / "demo" / "keys"
EXAMPLE_CONFIG = REPO / "config" / "kiosk.example.toml"
