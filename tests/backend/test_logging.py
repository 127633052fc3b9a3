"""What the service writes to its log: method, path, status, latency, device — never a
subject reference, a label or a request body; not even when a request fails inside."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from backend.commands.serve import demo_settings
from backend.eligibility import EligibilityService
from demo.records import demo_subjects
from tests.support.backend import AUTH, assert_problem, check_body, loopback_client, running_server


def test_the_access_log_names_the_request_but_never_the_subject(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = demo_settings(tmp_path / "demo.sqlite3", rate_per_second=None)
    subjects = [s for s in demo_subjects() if s.expected]
    caplog.set_level(logging.INFO)
    with running_server(settings) as url, loopback_client(url) as http:
        for subject in subjects[:10]:
            http.post("/v1/eligibility", json=check_body(subject, sorted(subject.expected)[0]),
                      headers=AUTH)
        bad = check_body(subjects[0], sorted(subjects[0].expected)[0])
        bad["subject"]["value"] = subjects[0].value[:-1] + "0"
        http.post("/v1/eligibility", json=bad, headers=AUTH)
        http.get(f"/v1/subjects/{subjects[0].value}")
        http.post("/v1/eligibility", json=bad, headers={"Authorization": "Bearer " + subjects[1].value})
    lines = [r.getMessage() for r in caplog.records if r.name == "backend.access"]
    assert len(lines) == 13
    assert lines[0].startswith("POST /v1/eligibility 200 ") and lines[0].endswith("device=kiosk-demo")
    assert lines[11].startswith("GET <other> 404 ")
    assert lines[12].endswith("device=-")
    # Only the server's loggers: httpx (the test's own client) logs the URLs it asked for.
    server = [r for r in caplog.records if r.name.split(".")[0] in ("backend", "uvicorn")]
    text = "\n".join(r.getMessage() for r in server) + json.dumps(
        [r.args for r in server], default=str
    )
    for subject in subjects[:10]:
        assert subject.value not in text
        assert subject.value[:17] not in text
        assert subject.label not in text


def test_a_failure_inside_a_request_is_a_500_problem_and_logs_no_request_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that quotes the request in its message must not get that message into the log."""
    subject = next(s for s in demo_subjects() if s.expected and s.on_record)

    def broken(self: EligibilityService, request: object, now: object = None) -> bytes:
        raise RuntimeError(f"cannot decide for {subject.value}")

    monkeypatch.setattr(EligibilityService, "answer_body", broken)
    settings = demo_settings(tmp_path / "demo.sqlite3", rate_per_second=None)
    caplog.set_level(logging.INFO)
    with running_server(settings) as url, loopback_client(url) as http:
        answer = http.post(
            "/v1/eligibility", json=check_body(subject, sorted(subject.expected)[0]), headers=AUTH
        )
        assert http.get("/v1/health").status_code == 200, "the server keeps serving"
    assert_problem(answer, 500)
    assert subject.value not in answer.text
    server = [r for r in caplog.records if r.name.split(".")[0] in ("backend", "uvicorn")]
    text = "\n".join(r.getMessage() for r in server)
    assert "unhandled RuntimeError at " in text
    assert "POST /v1/eligibility 500" in text
    assert subject.value not in text
    assert not any(r.exc_info for r in server), "no traceback (it would print the message)"
