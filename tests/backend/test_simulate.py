"""What-if: `kiosk-backend policy simulate` and POST /v1/simulate decide made-up facts with the
same decide() and answer in the eligibility answer's shape; subject references are refused."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.cli import main
from backend.simulation import SimulationError, Simulator
from kiosk.common.facts_table import read_facts_table
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.decision_records import decision_from_json
from tests.support.backend import AUTH, assert_problem, client, demo

__all__ = ["client", "demo"]  # fixtures

FACTS: dict[str, Any] = {
    "serious_dishonesty_listed": False, "abnormal_operations_listed": False,
    "last_penalty_date": "2026-01-15", "last_penalty_class": "一般",
    "tax_credit_grade": "A", "credit_commitment_on_file": True,
}


def _simulate(capsys: pytest.CaptureFixture[str], facts_file: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["policy", "simulate", "--benefit", "expedited-permit", "--facts", str(facts_file), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _facts_file(tmp_path: Path, facts: object) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_command_and_the_api_give_the_same_decision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, client: httpx.Client
) -> None:
    code, out, _ = _simulate(capsys, _facts_file(tmp_path, FACTS), "--on", "2026-06-01", "--locale", "en", "--json")
    assert code == 0
    local = json.loads(out)
    decision_from_json(local)  # exactly the API's decision shape
    assert local["outcome"] == "not_eligible"
    penalty = next(c for c in local["criteria"] if c["id"] == "no-penalty-12-months")
    # 一般 class: 3 months minimum publication from the decision date (Order No. 36).
    assert penalty["status"] == "failed" and "2026-04-15" in penalty["remedy"]
    assert penalty["rule_version"] == "2026-01-01"
    response = client.post("/v1/simulate", headers=AUTH, json={
        "benefit": "expedited-permit", "facts": FACTS, "on": "2026-06-01", "locale": "en",
    })
    assert response.status_code == 200, response.text
    remote = response.json()
    for moving in ("decision_id", "decided_at", "valid_until"):
        local.pop(moving), remote.pop(moving)
    assert remote == local


def test_the_day_changes_the_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    facts_file = _facts_file(tmp_path, FACTS)
    outcomes = []
    for day in ("2027-01-14", "2027-01-15"):
        code, out, _ = _simulate(capsys, facts_file, "--on", day, "--json")
        assert code == 0
        outcomes.append(json.loads(out)["outcome"])
    assert outcomes == ["not_eligible", "eligible"]


def test_text_output_names_each_criterion(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _simulate(capsys, _facts_file(tmp_path, FACTS), "--on", "2026-06-01")
    assert code == 0
    assert out.splitlines()[0].startswith("expedited-permit: not_eligible (policy ")
    assert "[failed] no-penalty-12-months (rule 2026-01-01)" in out


@pytest.mark.parametrize(
    ("facts", "extra", "field"),
    [
        ({**FACTS, "tax_credit_grade": 3}, (), "facts.tax_credit_grade"),
        ({**FACTS, "credit_commitment_on_file": "yes"}, (), "facts.credit_commitment_on_file"),
        ({**FACTS, "last_penalty_date": "15/01/2026"}, (), "facts.last_penalty_date"),
        ({**FACTS, "shoe_size": 42}, (), "facts.shoe_size"),
        (["not", "an", "object"], (), "facts"),
        (FACTS, ("--on", "2026-02-30"), "on"),
    ],
    ids=["integer for a grade", "string for a boolean", "malformed date", "unknown fact", "not an object", "bad --on"],
)
def test_bad_facts_are_one_line_naming_file_benefit_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, facts: object, extra: tuple[str, ...], field: str
) -> None:
    path = _facts_file(tmp_path, facts)
    code, out, err = _simulate(capsys, path, *extra)
    assert code == 3 and out == ""
    assert err.count("\n") == 1
    assert f"{path}: benefit expedited-permit, field {field}:" in err


def test_an_unreadable_facts_file_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(b"\xff{")
    code, _, err = _simulate(capsys, path)
    assert code == 3 and "field (file): is not UTF-8 JSON" in err


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"benefit": "expedited-permit", "facts": FACTS, "locale": "en",
          "subject": {"scheme": "uscc", "value": "91350100M000100Y43"}}, 422, "subject"),
        ({"benefit": "expedited-permit", "facts": FACTS, "locale": "en", "uscc": "91350100M000100Y43"}, 422, "uscc"),
        ({"benefit": "expedited-permit", "facts": {"tax_credit_grade": "Z"}, "locale": "en"}, 422,
         "facts.tax_credit_grade"),
        ({"benefit": "expedited-permit", "facts": FACTS, "locale": "fr"}, 422, "locale"),
        ({"benefit": "expedited-permit", "facts": FACTS, "on": "tomorrow", "locale": "en"}, 422, "on"),
        ({"benefit": "no-such-benefit", "facts": {}, "locale": "en"}, 404, "benefit"),
        ({"facts": {}, "locale": "en"}, 422, "benefit"),
    ],
    ids=["subject", "bare uscc", "wrong type", "locale", "bad day", "unknown benefit", "no benefit"],
)
def test_the_api_refuses_bad_bodies_by_field(
    client: httpx.Client, body: dict[str, Any], status: int, field: str
) -> None:
    assert_problem(client.post("/v1/simulate", headers=AUTH, json=body), status, field)


def test_the_api_needs_a_device_token(client: httpx.Client) -> None:
    response = client.post("/v1/simulate", json={"benefit": "expedited-permit", "facts": FACTS, "locale": "en"})
    assert_problem(response, 401)


def test_the_api_is_in_the_openapi_document(client: httpx.Client) -> None:
    document = client.get("/v1/openapi.json").json()
    assert document["paths"]["/v1/simulate"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SimulationRequest"
    }


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["A", "none", "2026-01-15", "一般", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(facts=st.dictionaries(st.sampled_from([*FACTS, "x", ""]), _JSON, max_size=8))
def test_any_facts_give_a_decision_or_a_named_refusal(facts: dict[str, Any]) -> None:
    simulator = _simulator()
    try:
        decision = simulator.run("expedited-permit", facts, on=date(2026, 6, 1), locale="zh-CN")
    except SimulationError as error:
        assert error.field.startswith("facts")
    else:
        decision_from_json(decision.to_json())


@cache
def _simulator() -> Simulator:
    return Simulator(load_catalog(), read_facts_table(DEFAULT_POLICY_DIR / "FACTS.md"))
