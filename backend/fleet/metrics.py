"""GET /metrics (operator token): the service and its fleet in the Prometheus text format.

Per process: request latency per route (a histogram; the route is one of the service's own
paths or ``<other>``, never the path a client sent). From the fleet store, read at each
scrape and so the same whichever worker answers: devices by state, decisions by benefit and
outcome as the kiosks counted them (online and offline), each device's policy age. And the
ages of the bundle being served and of the last records import. No label carries a token, a
subject or anything of a person: benefit, outcome, state and route are ids from fixed sets,
device ids are the operator's own names for kiosks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from backend.fleet.http import admit_operator
from backend.fleet.service import Fleet
from backend.fleet.view import STATES
from backend.problems import ProblemError, response_for

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _FleetCollector(Collector):
    def __init__(
        self, fleet: Fleet, bundle_issued_at: Callable[[], datetime], records_changed_at: Callable[[], float | None]
    ) -> None:
        self.fleet = fleet
        self.bundle_issued_at = bundle_issued_at
        self.records_changed_at = records_changed_at

    def collect(self) -> Iterator[Metric]:
        now = self.fleet.clock()
        views = self.fleet.views()
        states = GaugeMetricFamily("xinyi_fleet_devices", "Devices by heartbeat state", labels=["state"])
        for state in STATES:
            states.add_metric([state], sum(1 for view in views if view.state == state))
        yield states
        decisions = CounterMetricFamily(
            "xinyi_fleet_decisions",
            "Decisions the kiosks counted, by benefit and outcome",
            labels=["benefit", "outcome"],
        )
        totals: dict[tuple[str, str], int] = {}
        for row in self.fleet.store.outcome_totals("0000-01-01"):
            totals[row.benefit, row.outcome] = totals.get((row.benefit, row.outcome), 0) + row.count
        for (benefit, outcome), count in sorted(totals.items()):
            decisions.add_metric([benefit, outcome], count)
        yield decisions
        policy = GaugeMetricFamily(
            "xinyi_fleet_policy_age_seconds",
            "Age of each device's policy bundle at its last heartbeat",
            labels=["device"],
        )
        for view in views:
            age = view.status.get("policy_age_seconds") if view.status else None
            if isinstance(age, int):
                policy.add_metric([view.device], age)
        yield policy
        yield GaugeMetricFamily(
            "xinyi_bundle_age_seconds",
            "Age of the signed policy bundle this service serves",
            value=max(0.0, (now - self.bundle_issued_at()).total_seconds()),
        )
        try:
            changed = self.records_changed_at()
        except ProblemError:  # the records' database is down: the age is not known now
            changed = None
        if changed is not None:
            yield GaugeMetricFamily(
                "xinyi_records_import_age_seconds",
                "Seconds since the records database last changed (an import)",
                value=max(0.0, now.timestamp() - changed),
            )


class RequestLatency(Collector):
    """Request latency per route and method, as a Prometheus histogram.

    Counted by hand, not with prometheus-client's Histogram: its ``labels().observe()`` took
    6-11 µs a request here (a lock, a label lookup), a few per cent of a kept decision; this is
    one bisect and two additions on the event loop's own thread.
    """

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self._series: dict[tuple[str, str], list[float]] = {}  # counts per bucket (+Inf last), then sum

    def observe(self, route: str, method: str, seconds: float) -> None:
        series = self._series.get((route, method))
        if series is None:
            series = self._series[route, method] = [0.0] * (len(self.bounds) + 2)
        series[bisect_left(self.bounds, seconds)] += 1
        series[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "xinyi_http_request_duration_seconds", "Time to answer a request, by route", labels=["route", "method"]
        )
        for (route, method), series in sorted(self._series.items()):
            running, buckets = 0.0, []
            for bound, count in zip((*map(repr, self.bounds), "+Inf"), series[:-1], strict=True):
                running += count
                buckets.append((bound, running))
            family.add_metric([route, method], buckets, series[-1])
        yield family


class FleetMetrics:
    def __init__(
        self, fleet: Fleet, bundle_issued_at: Callable[[], datetime], records_changed_at: Callable[[], float | None]
    ) -> None:
        self.fleet = fleet
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = RequestLatency()
        self.registry.register(self.latency)
        self.registry.register(_FleetCollector(fleet, bundle_issued_at, records_changed_at))

    def observe(self, route: str, method: str, seconds: float) -> None:
        self.latency.observe(route, method, seconds)

    async def endpoint(self, request: Request) -> Response:
        try:
            admit_operator(self.fleet, request)
        except ProblemError as error:
            return response_for(error)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
