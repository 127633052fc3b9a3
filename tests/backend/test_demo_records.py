"""The synthetic demo population: valid, synthetic, deterministic, and covering every outcome."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from backend.cli import main as backend_main
from backend.db import SubjectStore
from demo.records import (
    DemoSeedError,
    demo_subjects,
    seed_subjects,
    write_demo_database,
)
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog, read_policy_document
from kiosk.core.benefits import parse_catalog
from kiosk.core.credentials import ric, token, uscc
from kiosk.core.decision import decide
from kiosk.core.decision_records import Outcome

CATALOG = load_catalog()
SUBJECTS = demo_subjects(CATALOG)


def test_there_are_at_least_50_businesses_and_50_persons() -> None:
    counts = Counter((s.scheme, s.kind) for s in SUBJECTS if s.on_record)
    assert counts[("uscc", "business")] >= 50
    assert counts[("ric", "person")] >= 50
    assert counts[("token", "business")] >= 1 and counts[("token", "person")] >= 1


def test_every_identifier_is_valid_and_in_the_synthetic_region() -> None:
    for subject in SUBJECTS:
        if subject.scheme == "uscc":
            assert uscc.validate(subject.value) == subject.value
            assert subject.value[2:4] == "99", "region 99xxxx: no real business"
        elif subject.scheme == "ric":
            assert ric.validate(subject.value) == subject.value
            assert subject.value[:2] == "99", "region 99xxxx: no real person"
        else:
            assert token.validate(subject.value) == subject.value
    values = [s.value for s in SUBJECTS]
    assert len(values) == len(set(values))


def test_labels_say_the_subjects_are_made_up() -> None:
    for subject in SUBJECTS:
        assert "演示" in subject.label and "Demo" in subject.label


def test_the_same_seed_gives_the_same_population() -> None:
    again = demo_subjects(CATALOG)
    assert [(s.scheme, s.value, s.label, dict(s.facts), dict(s.expected)) for s in again] == [
        (s.scheme, s.value, s.label, dict(s.facts), dict(s.expected)) for s in SUBJECTS
    ]


def test_expected_outcomes_are_what_decide_gives() -> None:
    for subject in SUBJECTS:
        if not subject.on_record:
            continue
        for benefit_id, outcome in subject.expected.items():
            benefit = CATALOG.get(benefit_id)
            assert benefit is not None and benefit.kind == subject.kind
            decision = decide(
                benefit, subject.facts, policy_version="t", locale="en", as_of=subject.as_of
            )
            assert decision.outcome.value == outcome


@pytest.mark.parametrize("scheme", ["uscc", "ric", "token"])
def test_every_benefit_taking_a_scheme_shows_every_outcome_through_it(scheme: str) -> None:
    for benefit in CATALOG.benefits:
        if scheme not in benefit.schemes and not (
            "credential" in benefit.schemes and scheme == {"business": "uscc", "person": "ric"}[benefit.kind]
        ):
            continue
        shown = {s.expected.get(benefit.id) for s in SUBJECTS if s.scheme == scheme and s.on_record}
        assert {o.value for o in Outcome} <= shown, (benefit.id, scheme)


def test_the_database_holds_what_the_subjects_say(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    written = write_demo_database(path, CATALOG)
    store = SubjectStore(path)
    for subject in written:
        record = store.lookup(subject.scheme, subject.value)
        if not subject.on_record:
            assert record is None
            continue
        assert record is not None
        assert record.kind == subject.kind
        assert dict(record.facts) == dict(subject.facts)
        assert dict(record.as_of) == dict(subject.as_of)
    assert store.lookup("uscc", "nothing") is None
    store.close()
    assert len(seed_subjects(written)) == sum(
        1 for s in written if s.on_record and s.scheme != "token"
    )


def test_the_store_opens_the_file_read_only(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    write_demo_database(path, CATALOG)
    store = SubjectStore(path)
    with pytest.raises(Exception, match="readonly"):
        store._connection().execute("DELETE FROM facts")


def test_a_catalog_the_seed_cannot_cover_fails_loudly() -> None:
    document, origins = read_policy_document(DEFAULT_POLICY_DIR)
    first = document["benefits"][0]
    first["criteria"][0]["rule"] = {
        "===": [{"var": "facts.always_same"}, {"var": "facts.always_same"}]
    }
    catalog = parse_catalog(document, benefit_origins=origins)
    with pytest.raises(DemoSeedError, match=first["criteria"][0]["id"]):
        demo_subjects(catalog)


def test_demo_subjects_json_lists_each_subject_with_its_expected_outcomes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert backend_main(["demo-subjects", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(SUBJECTS)
    for row, subject in zip(rows, SUBJECTS, strict=True):
        assert set(row) == {"scheme", "value", "kind", "label", "on_record", "expected"}
        assert (row["scheme"], row["value"], row["kind"], row["label"]) == (
            subject.scheme, subject.value, subject.kind, subject.label,
        )
        assert row["expected"] == dict(subject.expected)


def test_demo_subjects_plain_output_is_one_entry_per_subject(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert backend_main(["demo-subjects"]) == 0
    out = capsys.readouterr().out
    assert all(s.value in out for s in SUBJECTS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("token_args", [[], ["--token", "another-demo-token"]])
def test_serve_demo_says_its_token_and_answers(tmp_path: Path, token_args: list[str]) -> None:
    port = _free_port()
    db = tmp_path / "served.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--demo", "--port", str(port), "--db", str(db),
         *token_args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        secret = token_args[1] if token_args else "demo-token"
        assert process.stdout.readline().strip() == (
            f"demo device token: {secret}, device id: kiosk-demo"
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(url + "/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        subject = next(s for s in SUBJECTS if s.expected and s.on_record)
        benefit = sorted(subject.expected)[0]
        body = {"benefit": benefit, "subject": {"scheme": subject.scheme, "value": subject.value},
                "locale": "zh-CN", "device": "kiosk-demo"}
        answer = httpx.post(url + "/v1/eligibility", json=body,
                            headers={"Authorization": f"Bearer {secret}"}, timeout=5)
        assert answer.json()["outcome"] == subject.expected[benefit]
        assert db.is_file()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    # The access log names the request, never the subject.
    assert "POST /v1/eligibility 200" in stderr and "device=kiosk-demo" in stderr
    assert subject.value not in stderr


def test_serve_without_demo_or_config_explains_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.toml"
    assert backend_main(["serve", "--config", str(missing)]) == 2
    assert "absent.toml" in capsys.readouterr().err


def test_serve_refuses_a_meaningless_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert backend_main(["serve", "--demo", "--rate-limit", "fast"]) == 2
    assert "--rate-limit" in capsys.readouterr().err
