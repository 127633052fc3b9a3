"""Kiosk UI figures of issue #19, each beside a minimal Kivy app measured in the same run.

1. Cold start to idle screen: a fresh Python process from exec to the first frame drawn with
   the idle screen up, for the kiosk and for a minimal Kivy app with one label in the same CJK
   font, alternating runs; the median of the per-pair ratios (target: <= 1.5x).
2. Resident memory after 1,000 sessions through the flow and the UI on one offscreen window:
   each session walks idle -> benefits -> criteria -> present -> checking -> result -> idle,
   drawing a frame at every step, with decisions from the real decide() over demo facts;
   beside the minimal app's memory at its first frame (target: <= 1.3x, and flat: within
   ±2 MB from session 250 on).
3. Last scanner byte to the result drawn (issue #14): a child process runs the kiosk as
   `kiosk run` does (its real Kivy loop at 60 frames/s, on the display when there is one: run_all
   starts it under Xvfb), a SimulatedScanner on a real pty and `kiosk-backend serve --demo` in its
   own process on loopback. From the simulator's last byte of a code to the first window flip
   after the result screen's content was set, p50 and p99, in turns with the same POST
   /v1/eligibility sent straight to the same backend (its own time as the kiosk sees it);
   target: at most 5 ms more at p50.

Prints a table; asserts nothing. Run: .venv/bin/python benchmarks/bench_ui.py [--quick] [--json]
[--latency N] (N scans for figure 3, default 100, quick 30, 0 skips it)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from figures import Figure, from_rounds, report  # noqa: E402
from ui_latency import measure_in_child  # noqa: E402

_MINIMAL = """
import os, sys, time
from kiosk.ui.env import configure_kivy
configure_kivy(size=(800, 480), offscreen=True)
from kiosk.ui.fonts import register_default_font
register_default_font()
from kivy.app import App
from kivy.uix.label import Label
from kivy.core.window import Window
class Minimal(App):
    def build(self):
        return Label(text="信易自助核验终端 Xinyi eligibility check", font_size=40)
    def on_start(self):
        Window.bind(on_flip=lambda *_: (print("READY", time.time(), rss()), self.stop()))
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
Minimal().run()
"""

_KIOSK = """
import os, sys, time, tempfile
from pathlib import Path
from kiosk.ui.env import configure_kivy
configure_kivy(size=(800, 480), offscreen=True)
from kiosk.station.config import KioskConfig
from kiosk.station.assembly import build_station
from kiosk.ui.app import KioskApp
from kivy.core.window import Window
# What `kiosk run` builds: catalog, store, backend client, bundle sync, flow; no devices here.
config = KioskConfig(backend_url="http://127.0.0.1:9", token="t", data_dir=Path(tempfile.mkdtemp()))
station = build_station(config, devices=())
class Bench(KioskApp):
    def on_start(self):
        super().on_start()
        def flipped(*_):
            if self.screens.current == "idle":
                print("READY", time.time(), rss())
                self.stop()
        Window.bind(on_flip=flipped)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
Bench(station.runtime, hardened=False).run()
"""


def cold_start(script: str) -> tuple[float, float]:
    home = Path(tempfile.mkdtemp(prefix="bench-kivy-"))
    env = dict(os.environ, KIVY_HOME=str(home))
    env.pop("DISPLAY", None)
    # An installed kiosk runs from byte-compiled modules; let the warm-up run write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    path = home / "start.py"  # Kivy's App wants a source file to look for its .kv next to
    path.write_text(script, encoding="utf-8")
    started = time.time()
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("READY "):
            _, at, rss = line.split()
            return float(at) - started, float(rss)
    raise RuntimeError(f"no first frame: {done.stderr[-500:]}")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sessions(count: int) -> list[tuple[int, float]]:
    from kiosk.ui.env import configure_kivy

    configure_kivy(size=(800, 480), offscreen=True, max_fps=0)
    from kivy.core.window import Window

    sys.path.insert(0, str(ROOT))
    import tests.support.flow as fs
    from kiosk.session.flow import SessionFlow
    from kiosk.session.flow_view import FlowState
    from kiosk.session.runtime import KioskRuntime
    from kiosk.ui.app import KioskApp
    from kiosk.ui.shots import pump

    facts = {fs.ELIGIBLE_USCC: fs.FACTS_NOT_ELIGIBLE}
    flow = SessionFlow(fs.catalog(), fs.reader, fs.FactsChecker(facts))
    app = KioskApp(KioskRuntime(flow), hardened=False)
    Window.add_widget(app.build())
    pump(3)
    samples = [(0, rss_mb())]
    for number in range(1, count + 1):
        flow.start()
        pump(1)
        flow.choose_benefit("expedited-permit")
        pump(1)
        flow.ready_to_present()
        pump(1)
        task = flow.present(fs.ELIGIBLE_USCC)
        pump(1)
        assert task is not None
        await task
        pump(1)
        assert flow.view.state is FlowState.RESULT
        flow.finish()
        pump(1)
        if number % (count // 4) == 0:
            samples.append((number, rss_mb()))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 start-ups each and 200 sessions")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--runs", type=int, help="start-ups of each app (default 7; quick 3)")
    parser.add_argument("--sessions", type=int, help="sessions for the memory figure (default 1000; "
                        "quick 200; 0 skips it)")
    parser.add_argument("--latency", type=int, help="scans for the scan-to-result figure (default 100; "
                        "quick 30; 0 skips it)")
    args = parser.parse_args()
    scans = (30 if args.quick else 100) if args.latency is None else args.latency
    runs, count = (3, 200) if args.quick else (7, 1000)
    runs = args.runs or runs
    count = count if args.sessions is None else args.sessions
    minimal, kiosk = [], []
    cold_start(_MINIMAL)  # warm the page cache for both: "cold" is a new process, not a cold disk
    cold_start(_KIOSK)
    minimal_rss, kiosk_rss = [], []
    for _ in range(runs):
        seconds, rss = cold_start(_MINIMAL)
        minimal.append(seconds)
        minimal_rss.append(rss)
        seconds, rss = cold_start(_KIOSK)
        kiosk.append(seconds)
        kiosk_rss.append(rss)
    m, k = statistics.median(minimal), statistics.median(kiosk)
    print("cold start to first frame (new process, offscreen, same CJK font), median of", runs)
    print(f"  minimal Kivy app      {m * 1000:7.0f} ms   (min {min(minimal) * 1000:.0f})")
    print(f"  kiosk idle screen     {k * 1000:7.0f} ms   (min {min(kiosk) * 1000:.0f})")
    print(f"  ratio                 {k / m:7.2f} x   (target <= 1.5x)")
    print(f"resident memory at the first frame: minimal app {statistics.median(minimal_rss):.0f} MB, "
          f"kiosk {statistics.median(kiosk_rss):.0f} MB (offscreen Mesa llvmpipe)")
    start_figure = from_rounds("kiosk cold start to idle screen", [x * 1000 for x in kiosk],
                               "minimal Kivy app, same font", [x * 1000 for x in minimal], "ms", "<= 1.5")
    latency = [] if not scans else [latency_figure(scans)]
    if count < 4:
        report("ui", [start_figure, *latency], as_json=args.json)
        return
    started = time.perf_counter()
    samples = asyncio.run(sessions(count))
    elapsed = time.perf_counter() - started
    print(f"resident memory over {count} sessions through flow + UI ({elapsed:.0f} s, "
          f"{elapsed / count * 1000:.0f} ms per session incl. 6 frames)")
    for number, mb in samples:
        print(f"  after {number:5d} sessions   {mb:6.1f} MB")
    growth = samples[-1][1] - samples[1][1]
    print(f"  growth from the first quarter to the end: {growth:+.1f} MB (target: flat, within ±2 MB)")
    minimal_mb = statistics.median(minimal_rss)
    figures = [
        start_figure,
        from_rounds(f"kiosk memory after {count} sessions", [samples[-1][1]],
                    "minimal Kivy app at its first frame", [minimal_mb], "MB", "<= 1.3",
                    f"from session {samples[1][0]}: {growth:+.1f} MB (flat: within ±2 MB); "
                    f"kiosk at its first frame {statistics.median(kiosk_rss):.0f} MB; Mesa llvmpipe",
                    also=abs(growth) <= 2.0),
    ]
    report("ui", [*figures, *latency], as_json=args.json)


def latency_figure(scans: int) -> Figure:
    result = measure_in_child(scans)
    total, backend = result["total_ms"], result["backend_ms"]
    p = result["percentiles"]
    print(f"last scanner byte to result drawn, {scans} scans, backend on loopback ({result['display']}):")
    print(f"  kiosk: scan to result drawn   p50 {p['total_p50']:6.1f} ms   p99 {p['total_p99']:6.1f} ms")
    print(f"  backend's own POST round trip p50 {p['backend_p50']:6.1f} ms   p99 {p['backend_p99']:6.1f} ms")
    print(f"  of which last byte to the flow's result p50 {result['to_result_p50']:.1f} ms, the rest drawing")
    print(f"  overhead p50 {p['total_p50'] - p['backend_p50']:+.1f} ms (target <= +5 ms)")
    note = (f"p99 {p['total_p99']:.1f} ms vs backend p99 {p['backend_p99']:.1f} ms; overhead p50 "
            f"{p['total_p50'] - p['backend_p50']:+.1f} ms (last byte to the flow's result p50 "
            f"{result['to_result_p50']:.1f} ms, the rest building and drawing the screen); 60 frames/s, "
            f"{result['display']}, 800x480")
    return from_rounds("last scanner byte to result drawn p50, backend on loopback", total,
                       "the backend's own POST /v1/eligibility round trip", backend, "ms", "+<= 5", note)


if __name__ == "__main__":
    main()
