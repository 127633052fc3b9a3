"""The screens' view of the message catalogs (kept in kiosk/core/catalogs/ beside the core,
whose errors read the same entries)."""

from __future__ import annotations

from kiosk.core.catalog import CATALOG_DIR, LOCALES, keys, message, messages, po_path, translate

local_text = message  # the name the screens have used

__all__ = ["CATALOG_DIR", "LOCALES", "keys", "local_text", "message", "messages", "po_path", "translate"]
