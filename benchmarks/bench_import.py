"""Records import throughput on SQLite (DESIGN §6: >= 20k rows/s).

Run: .venv/bin/python benchmarks/bench_import.py [--rows N] [--json]

Writes one credit-china CSV feed of N synthetic businesses (valid USCCs in region 99, two
facts a row, some empty cells), then times `kiosk-backend records import` in-process:

  * parse    reading and checking the feed (UTF-8, CSV, check digits, fact types)
  * first    the whole import into an empty database (every row new)
  * again    the same feed once more (every row unchanged, as-of dates rewritten)

and reports rows/s by wall clock and by this process's CPU time (on a shared machine the CPU
figure is the steadier one). No assertions: figures only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.records.facts import facts_of, read_fact_table
from backend.records.feed import read_feed
from backend.records.importer import apply_feed, open_for_import
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR
from kiosk.core.credentials.uscc import ALPHABET, calc_check_digit


def write_feed(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        out.write("scheme,value,serious_dishonesty_listed,last_penalty_date\n")
        while len(seen) < rows:
            body = "9199" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
                rng.choice(ALPHABET) for _ in range(7)
            )
            if body in seen:
                continue
            seen.add(body)
            listed = rng.choice(("true", "false"))
            penalty = rng.choice(("none", "2026-01-05", ""))
            out.write(f"uscc,{body}{calc_check_digit(body + '0')},{listed},{penalty}\n")


def timed(action: object) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table = read_fact_table(DEFAULT_POLICY_DIR)
    facts = facts_of(table, "credit-china")
    figures: dict[str, float] = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as scratch:
        feed_path, db = Path(scratch) / "feed.csv", Path(scratch) / "records.sqlite3"
        write_feed(feed_path, args.rows)

        def parse() -> object:
            return read_feed(feed_path, "credit-china", facts, table)

        def load() -> object:
            feed = parse()
            connection = open_for_import(db)
            try:
                return apply_feed(connection, feed, "2026-11-30", facts, dry_run=False)  # type: ignore[arg-type]
            finally:
                connection.close()

        for name, action in (("parse", parse), ("first", load), ("again", load)):
            wall, cpu, _ = timed(action)
            figures[f"{name}_wall_s"] = round(wall, 3)
            figures[f"{name}_rows_per_s_wall"] = round(args.rows / wall)
            figures[f"{name}_rows_per_s_cpu"] = round(args.rows / cpu)
            print(f"{name:6} {wall:7.2f} s wall  {args.rows / wall:9.0f} rows/s wall  "
                  f"{args.rows / cpu:9.0f} rows/s CPU")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
