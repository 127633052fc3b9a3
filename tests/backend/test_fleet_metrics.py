"""/metrics: a histogram Prometheus reads back, and no label a client could fill with a person."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from backend.fleet.metrics import RequestLatency
from tests.support.backend import loopback_client
from tests.support.fleet import OPERATOR, fleet_server

SUBJECT = "91350100M000100Y43"


def test_latency_buckets_are_cumulative_with_sum_and_count() -> None:
    latency = RequestLatency(bounds=(0.001, 0.01, 0.1))
    for seconds in (0.0005, 0.001, 0.005, 0.05, 3.0):
        latency.observe("/v1/health", "GET", seconds)
    registry = CollectorRegistry()
    registry.register(latency)
    (family,) = text_string_to_metric_families(generate_latest(registry).decode())
    samples = {(s.name, s.labels.get("le")): s.value for s in family.samples}
    assert family.type == "histogram"
    bucket = "xinyi_http_request_duration_seconds_bucket"
    assert [samples[bucket, le] for le in ("0.001", "0.01", "0.1", "+Inf")] == [2, 3, 4, 5]
    assert samples["xinyi_http_request_duration_seconds_count", None] == 5
    assert abs(samples["xinyi_http_request_duration_seconds_sum", None] - 3.0565) < 1e-9


def test_a_path_or_method_a_client_made_up_never_becomes_a_label(tmp_path: Path) -> None:
    with fleet_server(tmp_path) as url, loopback_client(url) as client:
        client.get(f"/v1/eligibility/{SUBJECT}")
        client.request("BREW", f"/{SUBJECT}")
        text = client.get("/metrics", headers=OPERATOR).text
    assert SUBJECT not in text and "BREW" not in text
    routes = {
        (s.labels["route"], s.labels["method"])
        for family in text_string_to_metric_families(text)
        if family.name == "xinyi_http_request_duration_seconds"
        for s in family.samples
    }
    assert ("<other>", "GET") in routes  # (an unknown method is refused before the app sees it)
