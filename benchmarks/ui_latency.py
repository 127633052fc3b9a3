"""Last scanner byte to the result drawn, measured in a child process (see bench_ui.py, figure 3).

The child is a kiosk as `kiosk run` builds it (station from a KioskConfig, KioskApp on its own
Kivy loop at 60 frames/s, hardened off), with a SimulatedScanner on a real pty and the reference
backend (`kiosk-backend serve --demo`) in its own process on loopback. Each round: a fresh
session on the present screen, one code written to the pty, and the time from the simulator's
last byte to the end of the first window flip after the result screen's content was set; then the same
POST /v1/eligibility straight to the backend over a kept-alive connection (its own time as seen
from the kiosk). Run alone: python benchmarks/ui_latency.py --child N (prints one JSON line).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENEFIT = "expedited-permit"


def measure_in_child(scans: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1", KIVY_NO_FILELOG="1")
    env["KIVY_HOME"] = tempfile.mkdtemp(prefix="bench-latency-kivy-")
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(scans)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"latency child failed ({done.returncode}): {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_backend(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--db",
            str(workdir / "backend.sqlite3"),
            "--rate-limit",
            "off",
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the backend did not start")


async def _child(scans: int) -> dict[str, Any]:
    from kiosk.ui.env import configure_kivy, has_display

    # What `kiosk run` draws at: 60 frames/s; on the X display when there is one (Xvfb here).
    configure_kivy(size=(800, 480), offscreen=not has_display(), max_fps=60)
    import httpx
    from kivy.core.window import Window

    from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN, demo_subjects
    from hardware.simulators import SimulatedScanner
    from kiosk.session.flow_view import FlowState
    from kiosk.station.assembly import build_station
    from kiosk.station.config import DeviceConfig, KioskConfig
    from kiosk.ui.app import KioskApp

    workdir = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    backend, url = _start_backend(workdir)
    scanner = SimulatedScanner()
    codes = [s.value for s in demo_subjects() if s.scheme == "uscc" and BENEFIT in s.expected][:6]
    config = KioskConfig(
        backend_url=url,
        device_id=DEMO_DEVICE_ID,
        token=DEMO_TOKEN,
        data_dir=workdir / "kiosk",
        scanner=DeviceConfig(port=scanner.port_path, baud=9600),
    )
    station = build_station(config)
    app = KioskApp(station.runtime, hardened=False)
    flow = station.runtime.flow
    loop = asyncio.get_running_loop()
    drawn: asyncio.Future[float] | None = None
    armed = False
    marks: list[tuple[str, float]] = []

    def on_view(view: Any) -> None:
        # Called after the app's own listener: the result screen's content is set by now.
        nonlocal armed
        if drawn is not None and not drawn.done():
            marks.append((view.state.value, time.perf_counter()))
        if view.state is FlowState.RESULT and drawn is not None and not drawn.done():
            armed = True

    def flipped() -> None:
        nonlocal armed
        if armed and drawn is not None and not drawn.done():
            armed = False
            drawn.set_result(time.perf_counter())

    # Handlers bound to on_flip run before the window's own flip (Kivy calls the default
    # handler last), so the time is taken when the flip itself has returned: the frame is out.
    window_flip = Window.flip

    def flip_then_mark() -> None:
        window_flip()
        flipped()

    station.runtime.start()
    running = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    totals: list[float] = []
    backend_times: list[float] = []
    to_result: list[float] = []  # last byte to the flow's result (before the screen is drawn)
    try:
        while app.root is None:
            await asyncio.sleep(0.05)
        flow.subscribe(on_view)
        Window.flip = flip_then_mark
        await asyncio.sleep(1.0)
        headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10, trust_env=False) as direct:
            for index in range(scans + 5):  # the first five warm caches, screens and connections
                code = codes[index % len(codes)]
                flow.start()
                flow.choose_benefit(BENEFIT)
                flow.ready_to_present()
                await asyncio.sleep(0.25)  # the present screen drawn, the line quiet
                drawn = loop.create_future()
                scanner.present(code.encode(), pause_after=0.0)
                at = await asyncio.wait_for(drawn, 15)
                total = (at - scanner.last_write_at) * 1000
                decided = next(t for n, t in marks if n == FlowState.RESULT.value)
                marks.clear()
                if flow.view.state is not FlowState.RESULT:
                    raise RuntimeError(f"scan {index} ended on {flow.view.state}")
                flow.finish()
                await asyncio.sleep(0.1)
                body = {
                    "benefit": BENEFIT,
                    "subject": {"scheme": "uscc", "value": code},
                    "locale": "zh-CN",
                    "device": DEMO_DEVICE_ID,
                }
                started = time.perf_counter()
                answer = await direct.post("/v1/eligibility", json=body)
                backend_ms = (time.perf_counter() - started) * 1000
                answer.raise_for_status()
                if index >= 5:
                    totals.append(total)
                    backend_times.append(backend_ms)
                    to_result.append((decided - scanner.last_write_at) * 1000)
                await asyncio.sleep(0.05)
    finally:
        app.stop()
        await asyncio.wait_for(running, 30)
        app.detach()
        await station.aclose()
        scanner.close()
        backend.terminate()
        backend.wait(10)
    return {
        "total_ms": totals,
        "backend_ms": backend_times,
        "to_result_p50": statistics.median(to_result),
        "display": "X display (Xvfb)" if has_display() else "offscreen",
        "percentiles": {
            "total_p50": statistics.median(totals),
            "total_p99": percentile(totals, 0.99),
            "backend_p50": statistics.median(backend_times),
            "backend_p99": percentile(backend_times, 0.99),
        },
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(asyncio.run(_child(int(sys.argv[2])))))
    else:
        print(__doc__)
