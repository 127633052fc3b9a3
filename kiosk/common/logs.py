"""One logging set-up for kiosk and backend: journald-friendly, with a redaction filter.

Code logs events, never payloads or subject references. The filter is the second line of
defence: whatever slips through with the shape of an identifier, a token or a credential is
masked before any handler sees it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from types import TracebackType
from typing import IO, Any

# Shapes of what must never reach a log line. Deliberately broad: a false positive costs a
# masked number in a log, a false negative costs a person's identifier on an SD card.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[A-Z0-9]{2,8}:[0-9A-Z $%*+\-./:]{16,}"), "[credential]"),  # <PREFIX>:base45
    (re.compile(r"\bXKT:[A-Za-z0-9_\-]{4,}"), "[token]"),
    (re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{17}[0-9A-Z](?![0-9A-Za-z])"), "[id]"),  # USCC / RIC
    (re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])"), "[id]"),  # first-generation ID numbers
    (re.compile(r"(?<![0-9])[0-9]{17}[0-9xX](?![0-9A-Za-z])"), "[id]"),
)


# The name of the handler configure_logging installs (tests take it off again).
HANDLER_NAME = "xinyi"


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactionFilter(logging.Filter):
    """Masks identifiers in the formatted message and drops exception locals' reprs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can carry whatever the failing code held; keep only the type.
            record.msg = f"{record.msg} [{type(record.exc_info[1]).__name__}]"
            record.exc_info = None
            record.exc_text = None
        return True


def _log_uncaught(kind: type[BaseException], error: BaseException | None, trace: TracebackType | None) -> None:
    """Report a crash by exception type and place only.

    Python's default hook prints the exception's text, which can quote whatever the failing
    code held (a KeyError on a subject reference prints the reference) straight to the journal.
    """
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    where = f"{trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}" if trace else "?"
    logging.getLogger("crash").critical("unhandled %s at %s", kind.__name__, where)


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted.

    A handler bound to the stderr of the moment it was made keeps writing to it after whoever
    swapped it in (a test's capture, a daemoniser) has closed it.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(component: str, level: int | str = logging.INFO, *, stream: IO[str] | None = None) -> None:
    """Log to stderr (or `stream`); under systemd (JOURNAL_STREAM set) journald adds the time.

    Uncaught exceptions (main thread and other threads) are logged by type and place only.
    """
    handler: logging.StreamHandler[IO[str]] = (
        _CurrentStderr() if stream is None else logging.StreamHandler(stream)
    )
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = "%(levelname)s %(name)s: %(message)s" if under_journald else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RedactionFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    logging.getLogger(component).debug("logging configured")
