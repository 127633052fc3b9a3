"""Scanner latency: from the last byte written on the pty to the ScanEvent in the consumer.

    .venv/bin/python benchmarks/bench_scanner.py [--scans 100] [--gaps-ms 0,10,30] [--json]

For each terminator gap (the silence after the CR that ends a scan; 0 = plain CR framing) it
sends `--scans` scans through a SimulatedScanner (real pty, real pyserial open, the driver on
the asyncio loop) and prints p50/p90 of (event received - last byte written), both taken with
time.perf_counter in one process. The figure is dominated by the gap by design: the gap is what
keeps a CR inside a QR payload from splitting it, so the JSON figure is the largest gap's p50
beside that gap. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time

from figures import Figure, from_rounds, report

from hardware.base import ScanEvent
from hardware.scanner import SerialScanner
from hardware.simulators import SimulatedScanner

PAYLOAD = b"XK1:" + b"6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX" * 4


async def measure(gap: float, scans: int) -> list[float]:
    latencies = []
    with SimulatedScanner() as sim:
        async with SerialScanner(sim.port_path, terminator_gap=gap, idle_gap=0.15,
                                 repeat_window=0.0) as scanner:
            events = aiter(scanner)
            await anext(events)  # the "ready" status
            for index in range(scans):
                sim.present(PAYLOAD + str(index).encode(), pause_after=0.0)
                while True:
                    event = await asyncio.wait_for(anext(events), 5)
                    if isinstance(event, ScanEvent):
                        break
                received = time.perf_counter()
                latencies.append((received - sim.last_write_at) * 1000)
                await asyncio.sleep(gap + 0.01)  # the line is quiet between two scans
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--gaps-ms", default="0,10,30")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    figures: list[Figure] = []
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{args.scans} scans of {len(PAYLOAD)}+ bytes per row")
    print(f"{'terminator gap':>15} {'p50 ms':>8} {'p90 ms':>8} {'p50 - gap':>10}")
    for gap_ms in (float(g) for g in args.gaps_ms.split(",")):
        values = asyncio.run(measure(gap_ms / 1000, args.scans))
        p50 = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{gap_ms:>12.0f} ms {p50:>8.2f} {p90:>8.2f} {p50 - gap_ms:>10.2f}")
        if gap_ms:  # the last non-zero gap is the figure
            figures = [from_rounds(f"scanner: last byte to scan event p50, {gap_ms:.0f} ms gap", [p50],
                                   "the terminator gap it waits by design", [gap_ms], "ms", None)]
    report("scanner", figures, as_json=args.json)


if __name__ == "__main__":
    main()
