"""One authority's feed, read strictly: CSV (UTF-8, header row) or JSON Lines.

Every row names a subject (``scheme`` = ``uscc`` | ``ric``, ``value``) and facts that authority
holds. A column (or JSON key) that is present sets its fact; an empty cell (JSON ``null``)
removes it; a fact not mentioned is left as it is. Anything wrong — an unknown column, a fact
of another authority, a value of the wrong type, an identifier with a bad check digit, a
duplicate subject, bytes that are not UTF-8, an over-long line — stops the read with a
FeedError naming the file, the row (1 = the CSV header or the first JSON line) and the column.
The error never quotes a value: it could be an identifier.

Bounded: at most MAX_LINE_BYTES a line and MAX_ROWS rows; the reader streams the file.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.records.facts import FactSpec
from kiosk.common.strict_json import STRICT_JSON
from kiosk.core.catalog import message
from kiosk.core.credentials import CredentialError, ric, uscc
from kiosk.core.errors import KioskError

MAX_LINE_BYTES = 64 * 1024
MAX_ROWS = 10_000_000
SUBJECT_COLUMNS = ("scheme", "value")
VALIDATORS = {"uscc": uscc.validate, "ric": ric.validate}
KIND_BY_SCHEME = {"uscc": "business", "ric": "person"}
REMOVE = None  # a fact's new value when the feed removes it


class FeedError(KioskError):
    def __init__(self, path: Path, row: int | None, column: str | None, problem: str) -> None:
        where = str(path) + (f": row {row}" if row is not None else "") + (
            f", column {column}" if column is not None else ""
        )
        super().__init__(f"{where}: {problem}", message("backend.records.feed_refused"))
        self.row = row
        self.column = column


@dataclass(frozen=True, slots=True)
class FeedRow:
    number: int
    scheme: str
    value: str  # canonical (compact) form
    facts: Mapping[str, Any]  # fact -> new value, or REMOVE


@dataclass(frozen=True, slots=True)
class Feed:
    path: Path
    source: str
    rows: tuple[FeedRow, ...]


def read_feed(path: Path, source: str, facts: Mapping[str, FactSpec], table: Mapping[str, FactSpec]) -> Feed:
    """All rows of `path`, checked; FeedError at the first problem.

    `facts` are the facts `source` holds; `table` all known facts (to tell "another
    authority's fact" from "no such fact").
    """
    try:
        # O_NONBLOCK: a FIFO named as the feed must not wait for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise FeedError(path, None, None, f"cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise FeedError(path, None, None, "is not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        lines = _lines(handle, path)
        first = next(lines, None)
        if first is None:
            raise FeedError(path, None, None, "is empty")
        number, text = first
        reader = _json_rows if text.lstrip().startswith("{") else _csv_rows
        chained = _prepend((number, text), lines)
        rows = tuple(_unique(path, reader(path, chained, source, facts, table)))
    if not rows:
        raise FeedError(path, None, None, "holds no rows")
    return Feed(path, source, rows)


def _prepend(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def _lines(handle: io.BufferedReader, path: Path) -> Iterator[tuple[int, str]]:
    for number in range(1, MAX_ROWS + 2):
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES:
            raise FeedError(path, number, None, f"line longer than {MAX_LINE_BYTES} bytes")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FeedError(path, number, None, "is not UTF-8") from None
    raise FeedError(path, MAX_ROWS + 1, None, f"more than {MAX_ROWS} rows")


def _unique(path: Path, rows: Iterator[FeedRow]) -> Iterator[FeedRow]:
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.scheme, row.value)
        earlier = seen.setdefault(key, row.number)
        if earlier != row.number:
            raise FeedError(path, row.number, "value", f"the same subject as row {earlier}")
        yield row


def _subject(path: Path, number: int, scheme: object, value: object) -> tuple[str, str]:
    if scheme not in VALIDATORS:
        raise FeedError(path, number, "scheme", f"must be one of {', '.join(VALIDATORS)}")
    if not isinstance(value, str) or not value:
        raise FeedError(path, number, "value", "is required")
    try:
        return str(scheme), VALIDATORS[str(scheme)](value)
    except CredentialError as error:
        raise FeedError(path, number, "value", f"is not a valid {scheme}: {error.detail}") from None


def _fact_columns(
    path: Path, number: int, names: list[str], source: str,
    facts: Mapping[str, FactSpec], table: Mapping[str, FactSpec],
) -> None:
    for name in names:
        if name in facts:
            continue
        if name in table:
            raise FeedError(path, number, _shown(name),
                            f"is a fact of {table[name].source}, not of {source}")
        raise FeedError(path, number, _shown(name),
                        f"is not a fact {source} holds; known: {', '.join(sorted(facts))}")


def _shown(name: str) -> str:
    # A column name comes from the file: show it only when it looks like a name.
    return name if name.isascii() and name.replace("_", "").isalnum() and len(name) <= 64 else "(unnamed)"


def _csv_rows(
    path: Path, lines: Iterator[tuple[int, str]], source: str,
    facts: Mapping[str, FactSpec], table: Mapping[str, FactSpec],
) -> Iterator[FeedRow]:
    numbered = iter(lines)
    current = [0]

    def texts() -> Iterator[str]:
        for number, text in numbered:
            current[0] = number
            yield text

    reader = csv.reader(texts(), strict=True)
    try:
        header = next(reader)
    except csv.Error:
        raise FeedError(path, 1, None, "the header is not valid CSV") from None
    if len(set(header)) != len(header):
        raise FeedError(path, 1, None, "a column appears twice in the header")
    if header[:2] != list(SUBJECT_COLUMNS):
        raise FeedError(path, 1, None, "the header must start with scheme,value")
    columns = header[2:]
    if not columns:
        raise FeedError(path, 1, None, "names no fact column")
    _fact_columns(path, 1, columns, source, facts, table)
    specs = [facts[name] for name in columns]
    width = len(header)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise FeedError(path, current[0], None, "is not valid CSV") from None
        number = current[0]
        if len(cells) != width:
            raise FeedError(path, number, None, f"has {len(cells)} cells, the header {width}")
        scheme, value = _subject(path, number, cells[0], cells[1])
        new: dict[str, Any] = {}
        for spec, cell in zip(specs, cells[2:], strict=True):
            if cell == "":
                new[spec.name] = REMOVE
                continue
            try:
                new[spec.name] = spec.from_text(cell)
            except ValueError as error:
                raise FeedError(path, number, spec.name, str(error)) from None
        yield FeedRow(number, scheme, value, new)




def _json_rows(
    path: Path, lines: Iterator[tuple[int, str]], source: str,
    facts: Mapping[str, FactSpec], table: Mapping[str, FactSpec],
) -> Iterator[FeedRow]:
    for number, text in lines:
        if not text.strip():
            continue
        try:
            document = STRICT_JSON.decode(text)
        except (ValueError, RecursionError):
            raise FeedError(path, number, None, "is not one JSON object") from None
        if not isinstance(document, dict):
            raise FeedError(path, number, None, "is not a JSON object")
        scheme, value = _subject(path, number, document.get("scheme"), document.get("value"))
        names = [name for name in document if name not in SUBJECT_COLUMNS]
        if not names:
            raise FeedError(path, number, None, "names no fact")
        _fact_columns(path, number, names, source, facts, table)
        new: dict[str, Any] = {}
        for name in names:
            raw = document[name]
            if raw is None:
                new[name] = REMOVE
                continue
            try:
                new[name] = facts[name].from_json(raw)
            except ValueError as error:
                raise FeedError(path, number, name, str(error)) from None
        yield FeedRow(number, scheme, value, new)
