"""`kiosk-backend serve --workers N`: N processes answering on one listening socket.

The parent binds the socket and checks that the app can start (config, keys, database) before
it forks, so a broken site is one line and exit 2, not N tracebacks. Each worker then builds
its own app (its own database pool: connections are never shared across a fork) and runs the
same guarded uvicorn server as one process does; the kernel hands each new connection to one
of the workers waiting in accept. The parent only supervises: a worker that dies is started
again, SIGTERM or SIGINT stops them all.

Why not uvicorn's ``--workers``: its supervisor starts workers with multiprocessing's spawn and
pickles the server config, which cannot carry this service's HTTP protocol class (built per
config with its connection limits, backend/http_guard.py) nor the guarded server. A fork after
the check is simpler and starts a worker in milliseconds.

What must hold across workers does, by where it lives: the records and their generation in the
database, the device tokens in their file (each worker re-reads it within a second), the
per-device rate in PostgreSQL (backend/pg/limiter.py). An in-process rate limit would give each
worker its own bucket, so serve refuses several workers with SQLite unless the limit is off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType

from backend.app import create_app
from backend.server import build_server
from backend.settings import Settings
from kiosk.common.cli import EXIT_USAGE
from kiosk.core.errors import KioskError

LOG = logging.getLogger("backend.workers")
MAX_WORKERS = 64
RESTART_PAUSE_SECONDS = 1.0  # a worker that keeps dying is not restarted in a tight loop


def serve_workers(settings: Settings, listener: socket.socket, count: int) -> int:
    """Run `count` workers on `listener` until SIGTERM or SIGINT; the exit code."""
    children: dict[int, float] = {}  # pid -> when it started
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(count):
            children[_start(settings, listener)] = time.monotonic()
        first = set(children)
        LOG.info("serving with %d workers", count)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            if code == EXIT_USAGE and pid in first:
                # A first worker could not start (the database went away since the check):
                # the site is broken, not the worker. A replacement that cannot start later
                # (the database down for a while) is tried again, below.
                stop(signal.SIGTERM, None)
                return EXIT_USAGE
            LOG.error("worker %d ended (exit %d); starting another", pid, code)
            time.sleep(max(0.0, RESTART_PAUSE_SECONDS - (time.monotonic() - started)))
            if not stopping:
                children[_start(settings, listener)] = time.monotonic()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _start(settings: Settings, listener: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    # The worker: default signal handling until uvicorn installs its own.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        app = create_app(settings)
        build_server(app, settings).run(sockets=[listener])
        app.close()
    except KioskError as error:
        print(f"kiosk-backend serve: worker {os.getpid()}: {error.detail}", file=sys.stderr, flush=True)
        code = EXIT_USAGE
    except BaseException:  # a worker never returns into the parent's loop
        logging.getLogger("backend.workers").exception("worker %d failed", os.getpid())
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
