"""What every benchmark reports: a figure beside its floor measured in the same run, as a ratio.

Absolute timings on the shared development machine move 2-3x with load; a figure and its floor
measured in turns see the same load, so their ratio holds. Each script measures in rounds, takes
the ratio per round and reports the median ratio (and the median figures), then, with
``--json``, prints one JSON object on its last line::

    {"benchmark": "offline", "machine": {...}, "figures": [
        {"figure": "...", "value": 412.0, "floor_name": "...", "floor": 330.1, "unit": "µs",
         "ratio": 1.25, "target": "<= 1.3", "met": true}, ...]}

``benchmarks/run_all`` runs every script and turns those objects into the README's table.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Figure:
    figure: str
    value: float
    floor_name: str
    floor: float
    unit: str
    ratio: float
    # "<= 1.3", ">= 0.75" (the ratio), "+<= 5" (at most 5 units beyond the floor), or None
    # for a figure kept for reference.
    target: str | None
    note: str = ""
    also: bool | None = None  # a second condition of the target (memory: flat), when it has one

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        sign, limit = self.target.split()
        if sign == "+<=":
            return self.value - self.floor <= float(limit)
        within = self.ratio <= float(limit) if sign == "<=" else self.ratio >= float(limit)
        return within and self.also is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "value": round(self.value, 3),
            "floor_name": self.floor_name,
            "floor": round(self.floor, 3),
            "unit": self.unit,
            "ratio": round(self.ratio, 3),
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


def from_rounds(figure: str, values: Sequence[float], floor_name: str, floors: Sequence[float],
                unit: str, target: str | None, note: str = "", also: bool | None = None) -> Figure:
    """Median figure, median floor and the median of the per-round ratios."""
    ratios = [v / f for v, f in zip(values, floors, strict=True)]
    return Figure(figure, statistics.median(values), floor_name, statistics.median(floors), unit,
                  statistics.median(ratios), target, note, also)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def report(benchmark: str, figures: Sequence[Figure], *, as_json: bool,
           extra: dict[str, Any] | None = None) -> None:
    """A readable table; with ``as_json`` also the one JSON object, on the last line."""
    for f in figures:
        met = {True: "met", False: "NOT met", None: "-"}[f.met]
        print(f"{f.figure}: {f.value:.1f} {f.unit} vs {f.floor_name} {f.floor:.1f} {f.unit} "
              f"= {f.ratio:.2f}x (target {f.target or '-'}: {met}){'; ' + f.note if f.note else ''}")
    if as_json:
        body: dict[str, Any] = {"benchmark": benchmark, "machine": machine(),
                                "figures": [f.to_json() for f in figures]}
        if extra:
            body.update(extra)
        print(json.dumps(body, ensure_ascii=False))


def timed_pairs(actions: Sequence[Callable[[], object]], *, rounds: int, per_round: int,
                stat: Callable[[list[float]], float] = statistics.median) -> list[list[float]]:
    """µs per call of each action, ``rounds`` times, the actions taken in turns each round.

    Each round times ``per_round`` single calls of one action, then of the next, and keeps
    ``stat`` of them (the median by default: a p50 per round).
    """
    clock = time.perf_counter_ns
    out: list[list[float]] = [[] for _ in actions]
    for action in actions:  # warm every cache and code path first
        for _ in range(min(200, per_round)):
            action()
    for _ in range(rounds):
        for samples, action in zip(out, actions, strict=True):
            batch = []
            for _ in range(per_round):
                start = clock()
                action()
                batch.append((clock() - start) / 1000)
            samples.append(stat(batch))
    return out


def timed_batches(actions: Sequence[Callable[[], object]], *, rounds: int,
                  number: int) -> list[list[float]]:
    """µs per call of each action, as batches of ``number`` calls taken in turns, per round."""
    clock = time.perf_counter_ns
    out: list[list[float]] = [[] for _ in actions]
    for action in actions:
        for _ in range(min(200, number)):
            action()
    for _ in range(rounds):
        for samples, action in zip(out, actions, strict=True):
            start = clock()
            for _ in range(number):
                action()
            samples.append((clock() - start) / 1000 / number)
    return out
