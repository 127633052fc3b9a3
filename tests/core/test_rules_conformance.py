"""The official CertLogic test suites (spec 1.3.3), every active assertion, type-strict.

Data: tests/conformance/certlogic/, copied with its upstream licence (tests/conformance/README.md
names the upstream commit; the suite's own README describes the format and skip directives).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.rules import RuleError, compile_expression, evaluate
from tests.support.paths import CONFORMANCE

CERTLOGIC = CONFORMANCE / "certlogic"
ACTIVE_ASSERTIONS = 218  # 232 in the suite, 14 skipped by directive (conformance README §2)
VALIDATION_CASES = 23


def _require_suite(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.json"))
    if not files:
        pytest.fail(
            f"CertLogic conformance data not found in {folder} (see tests/conformance/README.md)",
            pytrace=False,
        )
    return files


def _evaluator_assertions() -> list[Any]:
    params = []
    for path in sorted((CERTLOGIC / "testSuite").glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        if suite.get("directive") == "skip":
            continue
        for case_number, case in enumerate(suite["cases"]):
            if case.get("directive") == "skip":
                continue
            for number, assertion in enumerate(case["assertions"]):
                if assertion.get("directive") == "skip":
                    continue
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                params.append(
                    pytest.param(
                        expression,
                        assertion["data"],
                        assertion["expected"],
                        id=f"{path.stem}/{case_number}:{case['name']}/{number}",
                    )
                )
    return params


def _validation_cases() -> list[Any]:
    params = []
    for path in sorted((CERTLOGIC / "validation-testSuite").glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for number, case in enumerate(suite["cases"]):
            params.append(
                pytest.param(
                    case["certLogicExpression"], case["issues"], id=f"{path.stem}/{number}"
                )
            )
    return params


def same_json(actual: Any, expected: Any) -> bool:
    """Deep equality that tells booleans from integers (Python says True == 1)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same_json(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same_json(actual[key], expected[key]) for key in expected)
        )
    return type(actual) is type(expected) and actual == expected


def test_suite_is_present_and_complete() -> None:
    _require_suite(CERTLOGIC / "testSuite")
    _require_suite(CERTLOGIC / "validation-testSuite")
    assert len(_evaluator_assertions()) == ACTIVE_ASSERTIONS
    assert len(_validation_cases()) == VALIDATION_CASES


@pytest.mark.parametrize(("expression", "data", "expected"), _evaluator_assertions())
def test_evaluator_assertion(expression: Any, data: Any, expected: Any) -> None:
    actual = evaluate(expression, data)
    assert same_json(actual, expected), f"got {actual!r}, expected {expected!r}"


@pytest.mark.parametrize(("expression", "issues"), _validation_cases())
def test_validation_case(expression: Any, issues: list[dict[str, Any]]) -> None:
    if issues:
        with pytest.raises(RuleError) as raised:
            compile_expression(expression, criterion="conformance")
        # The suite's messages are certlogic-js's; ours say the same words, plus a place.
        assert issues[0]["message"] in raised.value.reason
        assert "conformance" in str(raised.value)
    else:
        compile_expression(expression, criterion="conformance")


def test_same_json_tells_booleans_from_integers() -> None:
    assert not same_json(True, 1)
    assert not same_json([0], [False])
    assert not same_json({"a": 1}, {"a": True})
    assert same_json({"a": [1, "x", None]}, {"a": [1, "x", None]})
