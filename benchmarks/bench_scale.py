"""A province's scale: N subjects imported, then uncached decisions with 1 and 2 workers, on
PostgreSQL and on SQLite, each beside GET /v1/health on the same server in the same run.

Run: .venv/bin/python benchmarks/bench_scale.py [--subjects 1000000] [--stores postgresql,sqlite]
     [--seconds 3] [--rounds 3] [--requests 2000] [--json]

What it does, per store:

1. writes one credit-china CSV feed of N synthetic businesses (valid USCCs, two facts each),
   makes a site as an operator does (keys, config, device token, `db init`) and times
   `kiosk-backend records import` of the feed as a child process (rows/s by wall clock);
   PostgreSQL is a throw-away cluster with its default durability (fsync on) on loopback TCP;
2. starts `kiosk-backend serve --workers 1` and `--workers 2` at the same time (rate limit and
   access log off; SQLite with ``preload_records = false``: a province's table is not read
   into each worker) and measures them in turns, so both see the same load from the rest of
   the machine;
3. latency: one keep-alive connection, POST /v1/eligibility for a subject never asked before
   (so no kept answer helps) and GET /v1/health alternately; p50 and p99 of each;
4. throughput: 16 keep-alive connections from one asyncio process sending uncached decisions,
   then health checks, in rounds; decisions/s per round, and the CPU time per request of the
   server's processes, of PostgreSQL's backends and of the load generator (from /proc).

The load generator shares the 2 cores with the workers and PostgreSQL. It is one process (so at
most one core) of raw sockets, costing far less per request than the server; its CPU time is
measured and reported. "2 workers vs 1" is given as measured (the target's figure, with the
load generator taking its share), and beside it as the ratio of decisions per second of CPU
time the server and database had, which is what the cores would give without it.

Targets: uncached decision p50 <= 2x health p50; 2 workers >= 1.5x one worker's decisions/s;
import >= 20,000 rows/s. Asserts nothing; figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from figures import Figure, machine, report  # noqa: E402

from kiosk.core.credentials.uscc import ALPHABET  # noqa: E402
from tests.support.deployment import Deployment, make_deployment  # noqa: E402
from tests.support.postgres import Cluster  # noqa: E402
from tests.support.serving import children_of, serve_process  # noqa: E402

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CONNECTIONS = 16
TICK = os.sysconf("SC_CLK_TCK")


def business(index: int) -> str:
    """The index-th synthetic USCC (region 99), distinct for every index below 31**7 * 10**6."""
    tail = []
    rest = index // 1_000_000
    for _ in range(7):
        rest, digit = divmod(rest, len(ALPHABET))
        tail.append(ALPHABET[digit])
    body = f"9199{index % 1_000_000:06d}{''.join(tail)}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + ALPHABET[(31 - total) % 31]


def write_feed(path: Path, subjects: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("scheme,value,serious_dishonesty_listed,last_penalty_date\n")
        for index in range(subjects):
            out.write(
                f"uscc,{business(index)},{'true' if index % 3 == 0 else 'false'},"
                f"{'none' if index % 2 else '2026-01-05'}\n"
            )


def cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def client_backends(postmaster: int) -> list[int]:
    """The server processes of client connections: not autovacuum, checkpointer or WAL writer,
    whose work after a bulk import is not the cost of a decision."""
    found = []
    for pid in children_of(postmaster):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "127.0.0.1(" in title:
            found.append(pid)
    return found


def settle(site: Deployment) -> float:
    """VACUUM ANALYZE after the bulk import, as an operator runs it (autovacuum would do the same
    work during the measurements); its seconds, reported apart from the import's."""
    if not site.db.startswith("postgresql://"):
        return 0.0
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(site.db, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


class Target:
    """One running server: its port, its processes and the database's."""

    def __init__(self, name: str, url: str, pid: int, database_pids: Callable[[], list[int]]) -> None:
        self.name = name
        self.port = int(url.rsplit(":", 1)[1])
        self.pid = pid
        self.database_pids = database_pids

    def server_pids(self) -> list[int]:
        return [self.pid, *children_of(self.pid)]


def requests(token: str, device: str) -> tuple[bytes, Callable[[int], bytes]]:
    health = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    head = (
        b"POST /v1/eligibility HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
    )

    def decision(index: int) -> bytes:
        body = json.dumps(
            {
                "benefit": "fewer-inspections",
                "subject": {"scheme": "uscc", "value": business(index)},
                "locale": "zh-CN",
                "device": device,
            }
        ).encode()
        return head + str(len(body)).encode() + b"\r\n\r\n" + body

    return health, decision


def _answer(sock: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("server closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"unexpected answer {head[:60]!r}")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        rest += sock.recv(65536)


def latency(
    target: Target, health: bytes, decision: Callable[[int], bytes], subjects: Iterator[int], count: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"decision": [], "health": []}
    with socket.create_connection(("127.0.0.1", target.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(count + count // 10):
            request = decision(next(subjects))
            started = time.perf_counter()
            sock.sendall(request)
            _answer(sock)
            middle = time.perf_counter()
            sock.sendall(health)
            _answer(sock)
            ended = time.perf_counter()
            if index >= count // 10:  # the first tenth warms connections and statement caches
                times["decision"].append((middle - started) * 1e6)
                times["health"].append((ended - middle) * 1e6)
    return times


async def _hammer(port: int, request: Callable[[], bytes], seconds: float) -> int:
    done = 0
    stop = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while time.perf_counter() < stop:
            writer.write(request())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected answer {head[:60]!r}")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return done


def measured_round(target: Target, request: Callable[[], bytes], seconds: float) -> dict[str, float]:
    server, database = target.server_pids(), target.database_pids()
    before = (cpu_of(server), cpu_of(database), time.process_time(), time.perf_counter())
    done = asyncio.run(_hammer(target.port, request, seconds))
    after = (cpu_of(server), cpu_of(database), time.process_time(), time.perf_counter())
    wall = after[3] - before[3]
    return {
        "per_s": done / wall,
        "server_cpu_us": (after[0] - before[0]) / done * 1e6,
        "database_cpu_us": (after[1] - before[1]) / done * 1e6,
        "generator_cpu_us": (after[2] - before[2]) / done * 1e6,
        "generator_cores": (after[2] - before[2]) / wall,
    }


@contextmanager
def postgres_site(folder: Path) -> Iterator[tuple[Deployment, Callable[[], list[int]]]]:
    cluster = Cluster(tcp=True, settings={"shared_buffers": "512MB", "max_wal_size": "4GB"})
    try:
        cluster.start()
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        site = make_deployment(folder, feeds=False, db=cluster.create_database("records"))
        yield site, lambda: client_backends(postmaster)
    finally:
        cluster.remove()


@contextmanager
def sqlite_site(folder: Path) -> Iterator[tuple[Deployment, Callable[[], list[int]]]]:
    yield make_deployment(folder, "preload_records = false\n", feeds=False), list


def timed_import(site: Deployment, feed: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process, plus the PostgreSQL backend that took the
    COPY) of what `kiosk-backend records import` does: read and check the feed, apply it."""
    from backend.records.facts import facts_of, read_fact_table
    from backend.records.feed import read_feed
    from kiosk.common.policy_folder import DEFAULT_POLICY_DIR

    table = read_fact_table(DEFAULT_POLICY_DIR)
    facts = facts_of(table, "credit-china")
    wall, cpu = time.perf_counter(), time.process_time()
    rows = read_feed(feed, "credit-china", facts, table)
    if site.db.startswith("postgresql://"):
        import psycopg

        from backend.records import pg_importer

        with psycopg.connect(site.db, autocommit=True) as connection:
            backend = cpu_of([connection.info.backend_pid])
            pg_importer.apply_feed(connection, rows, "2026-11-30", facts, dry_run=False)
            backend = cpu_of([connection.info.backend_pid]) - backend
    else:
        from backend.records.importer import apply_feed, open_for_import

        backend = 0.0
        connection = open_for_import(site.folder / "records.sqlite3")
        try:
            apply_feed(connection, rows, "2026-11-30", facts, dry_run=False)
        finally:
            connection.close()
    return time.perf_counter() - wall, time.process_time() - cpu + backend


def run_store(store: str, folder: Path, feed: Path, args: argparse.Namespace) -> dict[str, Any]:
    opened = postgres_site(folder) if store == "postgresql" else sqlite_site(folder)
    with opened as (site, database_pids):
        import_s, import_cpu_s = timed_import(site, feed)
        print(
            f"{store}: imported {args.subjects} subjects in {import_s:.1f} s, {import_cpu_s:.1f} CPU-s "
            f"({args.subjects / import_s:,.0f} rows/s; load average {os.getloadavg()[0]:.1f})",
            file=sys.stderr,
        )
        vacuum_s = settle(site)
        health, decision = requests(site.token, site.device)
        subjects = itertools.count()  # every request a subject not asked before
        found: dict[str, Any] = {
            "subjects": args.subjects,
            "import_s": import_s,
            "import_rows_per_s": args.subjects / import_s,
            "import_cpu_s": import_cpu_s,
            "vacuum_s": vacuum_s,
        }
        with ExitStack() as servers:
            targets = []
            for workers in (1, 2):
                url, pid = servers.enter_context(
                    serve_process(site.config, "--workers", str(workers), "--rate-limit", "off", timeout=600)
                )
                targets.append(Target(f"{workers}w", url, pid, database_pids))
            for target in targets:
                found[target.name] = {"latency": latency(target, health, decision, subjects, args.requests)}
                found[target.name]["rounds"] = []
            asyncio.run(_hammer(targets[0].port, lambda: decision(next(subjects)), 1.0))  # warm-up
            for _ in range(args.rounds):
                for target in targets:
                    posts = measured_round(target, lambda: decision(next(subjects)), args.seconds)
                    checks = measured_round(target, lambda: health, args.seconds)
                    found[target.name]["rounds"].append({"decisions": posts, "health": checks})
            if next(subjects) > args.subjects:
                print(
                    f"note: {store}: more requests than subjects; some decisions asked a subject twice", file=sys.stderr
                )
        return found


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def figures_of(store: str, found: dict[str, Any]) -> tuple[list[Figure], dict[str, Any]]:
    label = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[store]
    cpu_rate = found["subjects"] / found["import_cpu_s"]
    out: list[Figure] = [
        Figure(
            f"{label}: import, rows/s",
            found["import_rows_per_s"],
            "target rate",
            20_000,
            "rows/s",
            found["import_rows_per_s"] / 20_000,
            ">= 1",
            f"{found['import_s']:.1f} s wall; {cpu_rate:,.0f} rows per CPU-second (importer + database)",
        )
    ]
    summary: dict[str, Any] = {
        "vacuum_analyze_s": round(found["vacuum_s"], 2),
        "import_s": round(found["import_s"], 2),
        "import_cpu_s": round(found["import_cpu_s"], 2),
        "import_rows_per_cpu_s": round(cpu_rate),
    }
    rates: dict[str, list[float]] = {}
    capacity: dict[str, float] = {}
    for workers in ("1w", "2w"):
        lat = found[workers]["latency"]
        d50, h50 = statistics.median(lat["decision"]), statistics.median(lat["health"])
        d99, h99 = percentile(lat["decision"], 0.99), percentile(lat["health"], 0.99)
        rounds = found[workers]["rounds"]
        rates[workers] = [r["decisions"]["per_s"] for r in rounds]
        per = {
            key: statistics.median(r["decisions"][key] for r in rounds)
            for key in ("server_cpu_us", "database_cpu_us", "generator_cpu_us", "generator_cores")
        }
        health_rate = statistics.median(r["health"]["per_s"] for r in rounds)
        capacity[workers] = 1e6 / (per["server_cpu_us"] + per["database_cpu_us"])
        n = workers[0]
        out.append(
            Figure(
                f"{label}, {n} worker(s): uncached decision p50",
                d50,
                "GET /v1/health p50",
                h50,
                "µs",
                d50 / h50,
                "<= 2",
                f"p99 {d99:.0f} µs vs health p99 {h99:.0f} µs",
            )
        )
        summary[workers] = {
            "decision_p50_us": round(d50),
            "decision_p99_us": round(d99),
            "health_p50_us": round(h50),
            "health_p99_us": round(h99),
            "decisions_per_s": round(statistics.median(rates[workers])),
            "health_per_s": round(health_rate),
            **{key: round(value, 2) for key, value in per.items()},
        }
    ratios = [two / one for one, two in zip(rates["1w"], rates["2w"], strict=True)]
    out.append(
        Figure(
            f"{label}: uncached decisions/s, 2 workers vs 1",
            statistics.median(rates["2w"]),
            "1 worker",
            statistics.median(rates["1w"]),
            "req/s",
            statistics.median(ratios),
            ">= 1.5",
            f"load generator {summary['2w']['generator_cores']:.2f} of 2 cores at 2 workers; per CPU-second of "
            f"server + database, 2 workers vs 1 = {capacity['2w'] / capacity['1w']:.2f}x",
        )
    )
    return out, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000, help="subjects imported (default 1,000,000)")
    parser.add_argument("--stores", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per server")
    parser.add_argument("--requests", type=int, default=2000, help="sequential latency pairs per server")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    if not stores or any(s not in ("postgresql", "sqlite") for s in stores) or args.subjects < 1000:
        parser.error("--stores takes postgresql and/or sqlite; --subjects at least 1000")
    load_before = machine()["load_average"]
    figures: list[Figure] = []
    summary: dict[str, Any] = {"subjects": args.subjects, "connections": CONNECTIONS}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        feed = Path(scratch) / "credit-china.csv"
        write_feed(feed, args.subjects)
        for store in stores:
            found = run_store(store, Path(scratch) / store, feed, args)
            store_figures, summary[store] = figures_of(store, found)
            figures += store_figures
    summary["load_average_before"] = load_before
    report("scale", figures, as_json=args.json, extra={"summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
