"""Backend figures of DESIGN §6, measured side by side in one run (machines are noisy).

Starts `kiosk-backend serve --demo` as a subprocess (one uvicorn worker, loopback, access log
and rate limit off), then measures:

1. sequential latency, POST /v1/eligibility and GET /v1/health interleaved over keep-alive
   (httpx.Client, TCP_NODELAY), p50/p99 after warm-up;
2. the same over a bare socket that sends each request in one write;
3. throughput with 8 concurrent keep-alive connections (a bare asyncio HTTP/1.1 client, so the
   client costs little next to the server), health and decisions in alternating rounds, and
   the server's CPU time per request in those rounds (/proc/PID/stat);
4. the server's resident memory (VmRSS / VmHWM from /proc);
   then 1 and 3 again on the same service without a receipt key (`serve --no-receipts`): the
   targets are the HTTP path's, and a receipt's one signature per answer is reported beside;
5. the ASGI app alone (no HTTP, no sockets), and the steps of one decision in-process
   (lookup, decide, parse, auth); both as the lowest of many batches, which a busy machine
   disturbs least.

Prints a table; asserts nothing. Run: .venv/bin/python benchmarks/bench_backend.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import from_rounds, report  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.auth import DeviceCredential, DeviceRegistry  # noqa: E402
from backend.commands.serve import demo_settings  # noqa: E402
from backend.db import SubjectStore  # noqa: E402
from backend.decision_bodies import DecisionBodies  # noqa: E402
from backend.eligibility import EligibilityService, parse_request  # noqa: E402
from demo.records import DemoSubject, demo_subjects, write_demo_database  # noqa: E402
from kiosk.common.policy_folder import load_catalog  # noqa: E402
from kiosk.core.decision import decide  # noqa: E402

TOKEN = "demo-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: Path, port: int, *, receipts: bool = True) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--demo", "--port", str(port),
         "--db", str(db), "--rate-limit", "off", "--no-access-log",
         *(() if receipts else ("--no-receipts",))],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def request_bodies(subjects: Sequence[DemoSubject]) -> list[bytes]:
    bodies = []
    for subject in subjects:
        for benefit in sorted(subject.expected):
            bodies.append(json.dumps({
                "benefit": benefit,
                "subject": {"scheme": subject.scheme, "value": subject.value},
                "locale": "zh-CN",
                "device": "kiosk-demo",
            }).encode())
    return bodies


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def sequential(url: str, bodies: list[bytes], count: int, nodelay: bool) -> dict[str, list[float]]:
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)] if nodelay else []
    transport = httpx.HTTPTransport(socket_options=options)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    times: dict[str, list[float]] = {"post": [], "health": []}
    with httpx.Client(base_url=url, transport=transport, timeout=10) as client:
        for index in range(count + count // 5):
            warm = index < count // 5
            body = bodies[index % len(bodies)]
            started = time.perf_counter()
            answer = client.post("/v1/eligibility", content=body, headers=headers)
            post_s = time.perf_counter() - started
            started = time.perf_counter()
            health = client.get("/v1/health")
            health_s = time.perf_counter() - started
            if answer.status_code != 200 or health.status_code != 200:
                raise SystemExit(f"unexpected status {answer.status_code}/{health.status_code}")
            if not warm:
                times["post"].append(post_s)
                times["health"].append(health_s)
    return times


def raw_requests(bodies: list[bytes]) -> tuple[bytes, list[bytes]]:
    health = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    posts = [
        b"POST /v1/eligibility HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + TOKEN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
        for body in bodies
    ]
    return health, posts


def _exchange(sock: socket.socket, request: bytes) -> None:
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"unexpected answer {head[:40]!r}")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        rest += sock.recv(65536)


def sequential_raw(port: int, bodies: list[bytes], count: int) -> dict[str, list[float]]:
    """Like `sequential`, but each request leaves in one write (httpx writes head and body
    separately, which costs the server one more wake-up per POST)."""
    health, posts = raw_requests(bodies)
    times: dict[str, list[float]] = {"post": [], "health": []}
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(count + count // 5):
            started = time.perf_counter()
            _exchange(sock, posts[index % len(posts)])
            post_s = time.perf_counter() - started
            started = time.perf_counter()
            _exchange(sock, health)
            health_s = time.perf_counter() - started
            if index >= count // 5:
                times["post"].append(post_s)
                times["health"].append(health_s)
    return times


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _hammer(port: int, request: bytes | Callable[[int], bytes], seconds: float, conns: int) -> int:
    done = 0
    stop = time.perf_counter() + seconds

    async def connection(number: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = 0
        while time.perf_counter() < stop:
            writer.write(request(number + sent) if callable(request) else request)
            sent += conns
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected answer {head[:40]!r}")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(connection(n) for n in range(conns)))
    return done


def throughput(
    pid: int, port: int, bodies: list[bytes], seconds: float, rounds: int, conns: int
) -> dict[str, list[float]]:
    """Requests/s and server CPU µs per request, health and decisions in alternating rounds.

    CPU per request (from /proc/PID/stat) is what throughput would be on an idle machine;
    requests/s on a shared one also counts time the server waited for a CPU.
    """
    health, posts = raw_requests(bodies)
    found: dict[str, list[float]] = {"health": [], "post": [], "health_cpu": [], "post_cpu": []}
    asyncio.run(_hammer(port, health, 1.0, conns))  # warm-up
    asyncio.run(_hammer(port, lambda i: posts[i % len(posts)], 1.0, conns))
    for _ in range(rounds):
        for name, request in (("health", health), ("post", lambda i: posts[i % len(posts)])):
            cpu = cpu_seconds(pid)
            done = asyncio.run(_hammer(port, request, seconds, conns))
            found[name].append(done / seconds)
            found[name + "_cpu"].append((cpu_seconds(pid) - cpu) / done * 1e6)
    return found


def memory(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def asgi_costs(db: Path, bodies: list[bytes]) -> dict[str, float]:
    """µs per request of the ASGI app alone (no HTTP parsing, no sockets): the lowest of 200
    batches, which is what the app costs when it gets a CPU to itself."""
    app = create_app(demo_settings(db, rate_per_second=None, log_requests=False))

    def scope(method: str, path: str, body: bytes) -> dict[str, Any]:
        headers = [(b"host", b"127.0.0.1")]
        if method == "POST":
            headers += [(b"authorization", f"Bearer {TOKEN}".encode()),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())]
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                "query_string": b"", "root_path": "", "headers": headers,
                "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def call(method: str, path: str, body: bytes) -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            return None

        await app(scope(method, path, body), receive, send)

    async def batch(method: str, path: str, n: int = 20) -> float:
        started = time.perf_counter()
        for i in range(n):
            await call(method, path, bodies[i % len(bodies)] if method == "POST" else b"")
        return (time.perf_counter() - started) / n * 1e6

    async def run() -> dict[str, float]:
        health, post = [], []
        for _ in range(200):
            health.append(await batch("GET", "/v1/health"))
            post.append(await batch("POST", "/v1/eligibility"))
        return {"GET /v1/health": min(health), "POST /v1/eligibility": min(post)}

    return asyncio.run(run())


def micro(db: Path, subjects: Sequence[DemoSubject], bodies: list[bytes]) -> dict[str, float]:
    """µs per call of each step of one decision, in this process."""
    catalog = load_catalog()
    store = SubjectStore(db)
    service = EligibilityService(catalog, store)
    kept = EligibilityService(catalog, SubjectStore(db, preload=True), DecisionBodies())
    on_record = [s for s in subjects if s.on_record]
    in_memory = {(s.scheme, s.value): s for s in on_record}
    registry = DeviceRegistry([DeviceCredential.from_token("kiosk-demo", TOKEN)])
    requests = [parse_request(b) for b in bodies]
    benefit = catalog.benefits[0]
    facts = next(s for s in on_record if benefit.id in s.expected).facts
    one_decision = decide(benefit, facts, policy_version="v", locale="zh-CN")

    def per_call(action: Callable[[int], object], n: int = 50) -> float:
        best = float("inf")
        for batch in range(200):
            started = time.perf_counter()
            for i in range(batch * n, batch * n + n):
                action(i)
            best = min(best, (time.perf_counter() - started) / n * 1e6)
        return best

    return {
        "SQLite lookup (one statement)": per_call(
            lambda i: store.lookup(on_record[i % len(on_record)].scheme, on_record[i % len(on_record)].value)
        ),
        "dict lookup (all in memory)": per_call(
            lambda i: in_memory[(on_record[i % len(on_record)].scheme, on_record[i % len(on_record)].value)]
        ),
        f"decide() {benefit.id} ({len(benefit.criteria)} criteria)": per_call(
            lambda i: decide(benefit, facts, policy_version="v", locale="zh-CN")
        ),
        "decision.to_json + json.dumps": per_call(
            lambda i: json.dumps(
                one_decision.to_json(), ensure_ascii=False, separators=(",", ":")
            ).encode()
        ),
        "parse_request (body -> request)": per_call(lambda i: parse_request(bodies[i % len(bodies)])),
        "device auth (HMAC + compare_digest)": per_call(lambda i: registry.device_for("Bearer demo-token")),
        "service.answer: check id, SQLite lookup, decide()": per_call(
            lambda i: service.answer(requests[i % len(requests)])
        ),
        "service.answer_body, preloaded + kept answers (as served)": per_call(
            lambda i: kept.answer_body(requests[i % len(requests)])
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--rounds", type=int, default=None, help="throughput rounds (default 5; quick 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    count, seconds, rounds = (500, 1.0, 2) if args.quick else (3000, 2.0, 5)
    rounds = args.rounds or rounds
    subjects = demo_subjects()
    bodies = request_bodies(subjects)
    with tempfile.TemporaryDirectory(prefix="bench-backend-") as scratch:
        db = Path(scratch) / "demo.sqlite3"
        port = free_port()
        server = start_server(db, port)
        try:
            url = f"http://127.0.0.1:{port}"
            rss_idle = memory(server.pid)
            seq = sequential(url, bodies, count, nodelay=True)
            seq_nagle = sequential(url, bodies, max(100, count // 10), nodelay=False)
            seq_raw = sequential_raw(port, bodies, count)
            rates = throughput(server.pid, port, bodies, seconds, rounds, conns=8)
            rss = memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
        # The same service without a receipt key: what the HTTP path costs beside a health
        # check, apart from the one signature per answer a receipt needs.
        bare_port = free_port()
        bare = start_server(Path(scratch) / "bare.sqlite3", bare_port, receipts=False)
        try:
            bare_seq = sequential(f"http://127.0.0.1:{bare_port}", bodies, count, nodelay=True)
            bare_rates = throughput(bare.pid, bare_port, bodies, seconds, rounds, conns=8)
        finally:
            bare.terminate()
            bare.wait(timeout=20)
        local_db = Path(scratch) / "micro.sqlite3"
        write_demo_database(local_db)
        steps = micro(local_db, subjects, bodies)
        app_costs = asgi_costs(Path(scratch) / "asgi.sqlite3", bodies)

    ms = 1000.0
    post50, health50 = statistics.median(seq["post"]) * ms, statistics.median(seq["health"]) * ms
    post_rate, health_rate = statistics.median(rates["post"]), statistics.median(rates["health"])
    post_cpu, health_cpu = statistics.median(rates["post_cpu"]), statistics.median(rates["health_cpu"])
    raw50 = {k: statistics.median(v) * ms for k, v in seq_raw.items()}
    bare_post50 = statistics.median(bare_seq["post"]) * ms
    bare_health50 = statistics.median(bare_seq["health"]) * ms
    print(f"# bench_backend  cpus={os.cpu_count()}  load average {os.getloadavg()[0]:.1f}  "
          f"python={sys.version.split()[0]}  "
          f"requests={count} each (sequential), {rounds}x{seconds:.0f}s rounds x 8 connections")
    print(f"{'figure':<64} {'value':>10}")
    rows = [
        ("GET /v1/health sequential p50 (ms)", f"{health50:.3f}"),
        ("GET /v1/health sequential p99 (ms)", f"{percentile(seq['health'], 0.99) * ms:.3f}"),
        ("POST /v1/eligibility sequential p50 (ms)", f"{post50:.3f}"),
        ("POST /v1/eligibility sequential p99 (ms)", f"{percentile(seq['post'], 0.99) * ms:.3f}"),
        ("POST p50 / health p50, with receipts", f"{post50 / health50:.2f}"),
        ("POST p50 without TCP_NODELAY on the client (ms)",
         f"{statistics.median(seq_nagle['post']) * ms:.3f}"),
        ("raw socket, one write per request: health p50 (ms)", f"{raw50['health']:.3f}"),
        ("raw socket, one write per request: POST p50 (ms)", f"{raw50['post']:.3f}"),
        ("raw socket POST p50 / health p50", f"{raw50['post'] / raw50['health']:.2f}"),
        ("GET /v1/health req/s, 8 connections", f"{health_rate:.0f}"),
        ("POST /v1/eligibility decisions/s, 8 connections", f"{post_rate:.0f}"),
        ("decisions/s / health req/s (target >= 0.75)", f"{post_rate / health_rate:.2f}"),
        ("server CPU per health request (µs)", f"{health_cpu:.0f}"),
        ("server CPU per decision (µs)", f"{post_cpu:.0f}"),
        ("CPU-bound decisions/s / health req/s (CPU ratio)", f"{health_cpu / post_cpu:.2f}"),
        ("server VmRSS after start (MiB)", f"{rss_idle.get('VmRSS', 0) / 1024:.1f}"),
        ("server VmRSS after the run (MiB) (target <= 60)", f"{rss.get('VmRSS', 0) / 1024:.1f}"),
        ("server VmHWM peak (MiB)", f"{rss.get('VmHWM', 0) / 1024:.1f}"),
    ]
    rows += [(f"ASGI app alone, min of 200 batches: {name} (µs)", f"{value:.1f}")
             for name, value in app_costs.items()]
    app_ratio = app_costs["POST /v1/eligibility"] / app_costs["GET /v1/health"]
    rows += [("ASGI app alone: POST / health", f"{app_ratio:.2f}")]
    rows += [(f"in-process: {name} (µs)", f"{value:.1f}") for name, value in steps.items()]
    for name, value in rows:
        print(f"{name:<64} {value:>10}")
    bare_cpu = statistics.median(bare_rates["post_cpu"])
    figures = [
        from_rounds("backend decisions/s, one worker, 8 connections, kept answers, no receipt key",
                    bare_rates["post"], "GET /v1/health req/s", bare_rates["health"], "req/s", ">= 0.75",
                    f"server CPU per decision {bare_cpu:.0f} µs"),
        from_rounds("backend decisions/s, the same with every answer's receipt signed (demo default)",
                    rates["post"], "GET /v1/health req/s", rates["health"], "req/s", None,
                    f"server CPU per request: decision {post_cpu:.0f} µs, health {health_cpu:.0f} µs; "
                    f"a receipt costs {post_cpu - bare_cpu:.0f} µs of server CPU"),
        from_rounds("backend POST /v1/eligibility p50, keep-alive, no receipt key", [bare_post50],
                    "GET /v1/health p50", [bare_health50], "ms", "<= 1.3",
                    f"with every answer's receipt signed: {post50:.2f} ms vs health {health50:.2f} ms"),
    ]
    report("backend", figures, as_json=args.json,
           extra={"rss_mib_after_run": round(rss.get("VmRSS", 0) / 1024, 1)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
