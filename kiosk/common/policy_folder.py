"""Read a policy folder (policy.json + benefits/*.json) into one catalog document.

The folder is how the authority edits policy; the signed bundle carries the same document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.benefits import Catalog, CatalogError, parse_catalog

# The shipped policy is package data, so it is found beside this module in a source tree and in
# an installed wheel alike (which is never zipped: pip installs it as plain files), without
# importlib.resources (~20 ms of import at every start).
DEFAULT_POLICY_DIR = Path(__file__).resolve().parent / "policy"
_MAX_FILE_BYTES = 256 * 1024
SITES_FILE = "sites.json"  # a list of site presets (kiosk/core/sites.py)


def read_policy_document(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """Return the catalog document and, per benefit, the file it came from."""
    head = folder / "policy.json"
    document = _read_json(head)
    if not isinstance(document, dict):
        raise CatalogError(str(head), None, "(file)", "must hold a JSON object")
    if "benefits" in document:
        raise CatalogError(str(head), None, "benefits", "belong in benefits/*.json, one per file")
    if "sites" in document:
        raise CatalogError(str(head), None, "sites", f"belong in {SITES_FILE}")
    files = sorted((folder / "benefits").glob("*.json"))
    if not files:
        raise CatalogError(str(folder / "benefits"), None, "(folder)", "holds no benefit files")
    document = {**document, "benefits": [_read_json(path) for path in files]}
    sites = folder / SITES_FILE
    # Optional: a policy without site presets offers every benefit on every kiosk.
    if sites.exists():
        document["sites"] = _read_json(sites)
    return document, [str(path) for path in files]


def load_catalog(folder: Path = DEFAULT_POLICY_DIR) -> Catalog:
    document, origins = read_policy_document(folder)
    return parse_catalog(
        document, origin=str(folder / "policy.json"), benefit_origins=origins,
        sites_origin=str(folder / SITES_FILE),
    )


def _read_json(path: Path) -> Any:
    try:
        raw = read_bounded(path, _MAX_FILE_BYTES)
    except FileReadError as error:
        raise CatalogError(str(path), None, "(file)", str(error)) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogError(str(path), None, "(file)", f"is not valid UTF-8 JSON: {error}") from None
    except (ValueError, RecursionError) as error:  # a 4300-digit integer, deep nesting
        raise CatalogError(str(path), None, "(file)", f"is not usable JSON ({type(error).__name__})") from None
