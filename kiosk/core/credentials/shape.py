"""Does a scanned line already look like one whole code this kiosk reads?

The scanner driver waits a short silence after the terminator in case a QR payload carries CR
or LF itself. None of our schemes can, so a line that matches one of their shapes is complete
at its terminator. This is a shape test only; `read_presentation` still does the real checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.core.credentials.schemes import complete_line_pattern
from kiosk.core.credentials.settings import DEFAULT_PREFIX


def complete_line_test(prefix: str = DEFAULT_PREFIX) -> Callable[[bytes], bool]:
    """A predicate for `SerialScanner(is_complete=...)` built for this kiosk's prefix."""
    shape = re.compile(complete_line_pattern(prefix))
    return lambda line: shape.fullmatch(line) is not None
