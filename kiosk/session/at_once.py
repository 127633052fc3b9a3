"""Running a check to its end at once, without an event loop, for `kiosk check --offline`.

An offline check waits on nothing: the bundle is in memory and the credential is verified in
place, so its coroutines finish at their first step. Importing asyncio for them cost the
command about 20 ms, a tenth of its run. A coroutine that does wait is a bug here, said so.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def finish_at_once(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result; RuntimeError if it waits for anything (nothing could wake it)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a check without an event loop waited for something")


class Finished:
    """A check that ran at once, as `SessionFlow.present` hands it back: done, and awaiting it
    gives what awaiting its task would have (nothing, or the error it ended with)."""

    def __init__(self, error: Exception | None = None) -> None:
        self._error = error

    def done(self) -> bool:
        return True

    def cancel(self) -> bool:
        return False  # as for a finished task: there is nothing left to cancel

    def __await__(self) -> Generator[Any, None, None]:
        if self._error is not None:
            raise self._error
        return
        yield  # a generator, so awaiting it never suspends


def start_at_once(check: Coroutine[Any, Any, None]) -> Finished:
    """What `SessionFlow` starts its check with when there is no event loop."""
    try:
        finish_at_once(check)
    except Exception as error:  # kept for whoever awaits it, as a task keeps its error
        return Finished(error)
    return Finished()
