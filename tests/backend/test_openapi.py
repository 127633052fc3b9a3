"""The OpenAPI document says what the server does: its schemas accept real answers, and
schemathesis finds no server error and no schema violation against the live server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from backend.openapi import EXAMPLE_REQUEST, openapi_document
from demo.records import DemoSubject
from kiosk.core.credentials import uscc
from tests.support.backend import AUTH, check_body, client, demo

__all__ = ["client", "demo"]  # fixtures

DOCUMENT = openapi_document()
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def validator(name: str) -> Any:
    """A validator for components.schemas[name] that resolves the document's own $refs."""
    return jsonschema_rs.validator_for(
        {"components": DOCUMENT["components"], "$ref": f"#/components/schemas/{name}"}
    )


def test_every_schema_in_the_document_compiles() -> None:
    for name in DOCUMENT["components"]["schemas"]:
        validator(name)


def test_every_operation_documents_its_errors_as_problems() -> None:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (path, method, status)


def test_the_example_request_is_valid_and_synthetic() -> None:
    assert validator("EligibilityRequest").is_valid(EXAMPLE_REQUEST)
    value = EXAMPLE_REQUEST["subject"]["value"]  # type: ignore[index]
    assert uscc.is_valid(value) and value[2:4] == "99"


@pytest.mark.parametrize(
    "body",
    [
        {**EXAMPLE_REQUEST, "extra": 1},
        {**EXAMPLE_REQUEST, "locale": "fr"},
        {**EXAMPLE_REQUEST, "subject": {"scheme": "uscc", "value": "x", "name": "n"}},
        {k: v for k, v in EXAMPLE_REQUEST.items() if k != "device"},
    ],
)
def test_the_request_schema_is_as_strict_as_the_server(
    client: httpx.Client, body: dict[str, Any]
) -> None:
    assert not validator("EligibilityRequest").is_valid(body)
    assert client.post("/v1/eligibility", json=body, headers=AUTH).status_code == 422


def test_real_answers_match_the_documented_schemas(
    client: httpx.Client, demo: tuple[str, list[DemoSubject]]
) -> None:
    decision, problem = validator("Decision"), validator("Problem")
    for subject in demo[1][:: max(1, len(demo[1]) // 20)]:
        for benefit in subject.expected:
            answer = client.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH)
            decision.validate(answer.json())
    for answer in (
        client.post("/v1/eligibility", json={}, headers={}),
        client.post("/v1/eligibility", json={"x": 1}, headers=AUTH),
        client.post("/v1/eligibility", json={**EXAMPLE_REQUEST, "benefit": "nope"}, headers=AUTH),
        client.get("/nowhere"),
    ):
        problem.validate(answer.json())
    validator("Health").validate(client.get("/v1/health").json())
    validator("Bundle").validate(client.get("/v1/bundle", headers=AUTH).json())


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    demo: tuple[str, list[DemoSubject]], tmp_path: Path
) -> None:
    url = demo[0]
    result = subprocess.run(
        [
            str(SCHEMATHESIS), "run", f"{url}/v1/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--header", f"Authorization: {AUTH['Authorization']}",
            "--max-examples", "40",
            "--seed", "20261125",
            "--workers", "1",
            "--generation-database", "none",
            "--no-color",
        ],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1]
