"""`kiosk-backend policy test` and the checks `bundle sign` runs before it signs anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.cli import main
from tests.support.bundle import AUTHORITY_PRIVATE_PEM
from tests.support.policy_edit import Document, copy_policy, criterion, edit_benefit


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _sign(capsys: pytest.CaptureFixture[str], folder: Path, out: Path) -> tuple[int, str]:
    code, _, err = _run(capsys, "bundle", "sign", "--policy", str(folder), "--key", str(AUTHORITY_PRIVATE_PEM),
                        "--out", str(out))
    return code, err


def test_the_shipped_policy_holds_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "policy", "test")
    assert code == 0
    assert out.strip().splitlines()[-1] == "49 example(s) over 7 benefit(s): all hold"
    code, out, _ = _run(capsys, "policy", "test", "--json")
    report = json.loads(out)
    assert code == 0 and report == {"ok": True, "examples": 49, "problems": []}


def _wrong_expectation(document: Document) -> None:
    document["examples"][0]["criteria"]["tax-credit-a-or-b"] = "failed"


def _no_failing_example(document: Document) -> None:
    document["examples"] = [e for e in document["examples"] if e["name"] != "tax credit grade C"]


def _undeclared_fact(document: Document) -> None:
    rule = {"===": [{"var": "facts.credit_commitment_signed"}, True]}
    criterion(document, "credit-commitment-on-file")["rule"] = rule


def _fact_of_another_authority(document: Document) -> None:
    criterion(document, "credit-commitment-on-file")["source"] = "tax"


def _overlapping_versions(document: Document) -> None:
    old = criterion(document, "tax-credit-a-or-b")
    new = json.loads(json.dumps(old))
    new["valid_from"] = "2026-03-01"
    old["valid_to"] = "2026-12-31"
    document["criteria"].append(new)


def _english_missing(document: Document) -> None:
    del criterion(document, "tax-credit-a-or-b")["failed"]["en"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_wrong_expectation, ("example 'a clean record passes every criterion'", "criterion tax-credit-a-or-b",
                              "expected failed, got passed")),
        (_no_failing_example, ("criterion tax-credit-a-or-b (version 2026-01-01)",
                               "no worked example where it is failed")),
        (_undeclared_fact, ("criterion credit-commitment-on-file", "'credit_commitment_signed'",
                            "FACTS.md does not declare")),
        (_fact_of_another_authority, ("criterion credit-commitment-on-file", "held by 'approval-bureau'")),
        (_overlapping_versions, ("criterion tax-credit-a-or-b", "overlap")),
        (_english_missing, ("field criteria[3].failed", "has no en text")),
    ],
    ids=["failing example", "no failing example", "undeclared fact", "other authority's fact", "overlap",
         "one language"],
)
def test_a_failing_check_is_one_line_and_blocks_signing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Any, words: tuple[str, ...]
) -> None:
    folder = copy_policy(tmp_path)
    path = edit_benefit(folder, "expedited-permit", change)
    code, out, _ = _run(capsys, "policy", "test", "--policy", str(folder))
    assert code == 1
    lines = [line for line in out.splitlines() if "expedited-permit" in line]
    assert lines, out
    line = next(line for line in lines if all(word in line for word in words))
    assert line.startswith(f"{path}: benefit expedited-permit, ")
    bundle = tmp_path / "bundle.json"
    code, err = _sign(capsys, folder, bundle)
    assert code == 1 and "nothing signed" in err and not bundle.exists()
    assert any(all(word in line for word in words) for line in err.splitlines())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(valid_from="2026-02-30"), "valid_from"),
        (lambda d: d["criteria"][0].update(valid_from="2026-06-01", valid_to="2026-05-01"), "criteria[0].valid_to"),
        (lambda d: d["examples"][0]["criteria"].update({"no-such-criterion": "passed"}),
         "examples[0].criteria.no-such-criterion"),
        (lambda d: d["examples"][1].update(on="01/06/2026"), "examples[1].on"),
    ],
    ids=["malformed date", "range ends before it starts", "unknown criterion", "malformed example date"],
)
def test_a_policy_that_does_not_parse_is_exit_3_and_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: Any, field: str
) -> None:
    folder = copy_policy(tmp_path)
    path = edit_benefit(folder, "fewer-inspections", change)
    code, out, err = _run(capsys, "policy", "test", "--policy", str(folder))
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err and "'fewer-inspections'" in err and f"field {field!r}" in err
    bundle = tmp_path / "bundle.json"
    code, err = _sign(capsys, folder, bundle)
    assert code == 3 and not bundle.exists() and f"field {field!r}" in err


def test_the_shipped_policy_signs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    code, _ = _sign(capsys, copy_policy(tmp_path), bundle)
    assert code == 0 and bundle.exists()


def test_the_json_report_names_each_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    path = edit_benefit(folder, "expedited-permit", _wrong_expectation)
    code, out, _ = _run(capsys, "policy", "test", "--policy", str(folder), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["examples"] == 49
    [problem] = report["problems"]
    assert problem == {
        "file": str(path), "benefit": "expedited-permit",
        "where": "example 'a clean record passes every criterion', criterion tax-credit-a-or-b",
        "problem": "expected failed, got passed", "kind": "example",
    }
