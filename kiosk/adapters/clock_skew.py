"""How far the kiosk's clock is from the server's, read from an answer's ``Date`` header.

One function for every exchange that wants it (the heartbeat, the bundle sync): the header is
the only clock the kiosk can compare with without a time protocol, and it has a resolution of
one second (RFC 9110 §5.6.7, IMF-fixdate), so the skew is good to about a second — plenty for
"more than five minutes wrong".
"""

from __future__ import annotations

import math
from datetime import datetime

# A Date header longer than this is not an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT" is 29).
_MAX_HEADER_CHARS = 64
# Beyond this the header is nonsense rather than a clock to compare with (about 100 years).
_MAX_SKEW_SECONDS = 100 * 365.25 * 86400


def skew_seconds(date_header: str | None, local_now: datetime) -> float | None:
    """Seconds the local clock is ahead of the server's (negative: behind); None if unknown.

    ``local_now`` must carry a time zone (the moment the answer arrived). A missing, malformed
    or absurd header gives None: no skew is known, which is not the same as none.

    >>> from datetime import UTC, datetime
    >>> skew_seconds("Tue, 01 Dec 2026 12:00:00 GMT", datetime(2026, 12, 1, 12, 7, 30, tzinfo=UTC))
    450.0
    >>> skew_seconds("yesterday", datetime(2026, 12, 1, tzinfo=UTC)) is None
    True
    """
    if local_now.tzinfo is None:
        raise ValueError("local_now must carry a time zone")
    if not isinstance(date_header, str) or not date_header.strip() or len(date_header) > _MAX_HEADER_CHARS:
        return None
    # Imported at the first answer, not at start: the email package is ~4 ms of the kiosk's start.
    from email.utils import parsedate_to_datetime

    try:
        server = parsedate_to_datetime(date_header.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if server is None or server.tzinfo is None:
        return None  # "-0000" (no zone known) parses naive: not a clock we can compare with
    skew = (local_now - server).total_seconds()
    if not math.isfinite(skew) or abs(skew) > _MAX_SKEW_SECONDS:
        return None
    return skew
