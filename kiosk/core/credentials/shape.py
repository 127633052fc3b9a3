"""Does a scanned line already look like one whole code this kiosk reads?

The scanner driver waits a short silence after the terminator in case a QR payload carries CR
or LF itself. None of our schemes can, so a line that matches one of their shapes is complete
at its terminator. This is a shape test only; `read_presentation` still does the real checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.core.credentials.settings import DEFAULT_PREFIX, TOKEN_PREFIX

_BASE45 = r"[0-9A-Z $%*+\-./:]"


def complete_line_test(prefix: str = DEFAULT_PREFIX) -> Callable[[bytes], bool]:
    """A predicate for `SerialScanner(is_complete=...)` built for this kiosk's prefix."""
    shape = re.compile(
        rb"(?:"
        + re.escape(prefix.encode("ascii"))
        + rb":"
        + _BASE45.encode("ascii")
        + rb"{8,}|"
        + re.escape(TOKEN_PREFIX.encode("ascii"))
        + rb":[A-Za-z0-9_\-]{8,}|[0-9A-Za-z]{18})"
    )
    return lambda line: shape.fullmatch(line) is not None
