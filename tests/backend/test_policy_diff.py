"""`kiosk-backend policy diff` between folders and bundles, and what the kiosk announces from the
versions a bundle carries ("in force since", "From 2027-01-01: ...")."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pytest

from backend.cli import main
from kiosk.commands import benefits as benefits_command
from tests.support.bundle import AUTHORITY_PRIVATE_PEM
from tests.support.policy_edit import Document, copy_policy, criterion, edit_benefit

CHANGE = "2027-01-01"
CHANGE_TEXT = {"zh-CN": "M级（新设立企业）也可享受。", "en": "Grade M (newly set-up businesses) also qualifies."}


def _grade_m_from_2027(document: Document) -> None:
    old = criterion(document, "tax-credit-a-or-b")
    old["valid_to"] = "2026-12-31"
    new = copy.deepcopy(old)
    del new["valid_to"]
    new["valid_from"] = CHANGE
    new["rule"] = {"in": [{"var": "facts.tax_credit_grade"}, ["A", "B", "M"]]}
    new["change"] = CHANGE_TEXT
    document["criteria"].append(new)
    # Worked examples for the new version: it passes grade M and fails grade C.
    clean = copy.deepcopy(document["examples"][0])
    passing = {**clean, "name": "grade M from 2027", "on": "2027-02-01",
               "facts": {**clean["facts"], "tax_credit_grade": "M"}}
    failing = {**clean, "name": "grade C from 2027", "on": "2027-02-01", "outcome": "not_eligible",
               "facts": {**clean["facts"], "tax_credit_grade": "C"},
               "criteria": {**clean["criteria"], "tax-credit-a-or-b": "failed"}}
    document["examples"] += [passing, failing]
    document["criteria"] = [c for c in document["criteria"] if c["id"] != "credit-commitment-on-file"]
    for example in document["examples"]:
        example["criteria"].pop("credit-commitment-on-file", None)
    document["examples"] = [e for e in document["examples"] if e["name"] != "no credit commitment signed"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _changed_policy(tmp_path: Path) -> Path:
    folder = copy_policy(tmp_path / "new")
    edit_benefit(folder, "expedited-permit", _grade_m_from_2027)
    return folder


def test_diff_lists_added_removed_and_changed_in_both_languages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = copy_policy(tmp_path / "old")
    new = _changed_policy(tmp_path)
    code, out, _ = _run(capsys, "policy", "diff", str(old), str(new), "--json")
    assert code == 0
    changes = {(c["criterion"], c["version"], c["change"]): c for c in json.loads(out)["changes"]}
    assert set(changes) == {
        ("tax-credit-a-or-b", "2026-01-01", "changed"),
        ("tax-credit-a-or-b", CHANGE, "added"),
        ("credit-commitment-on-file", "2026-01-01", "removed"),
    }
    assert changes[("tax-credit-a-or-b", "2026-01-01", "changed")]["fields"] == ["dates"]
    added = changes[("tax-credit-a-or-b", CHANGE, "added")]["text"]
    assert "新增条件" in added["zh-CN"] and "added" in added["en"]
    code, out, _ = _run(capsys, "policy", "diff", str(old), str(new))
    assert code == 0
    assert "Benefit expedited-permit: criterion tax-credit-a-or-b (version 2026-01-01): dates changed." in out
    assert "事项 expedited-permit：删除条件 credit-commitment-on-file（版本 2026-01-01）。" in out


def test_diff_reads_signed_bundles_and_names_rule_and_text_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = copy_policy(tmp_path / "old")
    new = copy_policy(tmp_path / "new")

    def edit(document: Document) -> None:
        grade = criterion(document, "tax-credit-a-or-b")
        grade["rule"] = {"in": [{"var": "facts.tax_credit_grade"}, ["A"]]}
        grade["title"]["en"] = "Tax credit grade A"
    edit_benefit(new, "expedited-permit", edit)
    bundles = []
    for name, folder in (("old", old), ("new", new)):
        out = tmp_path / f"{name}.json"
        code = main(["bundle", "sign", "--policy", str(folder), "--key", str(AUTHORITY_PRIVATE_PEM), "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        bundles.append(out)
    capsys.readouterr()
    code, out, _ = _run(capsys, "policy", "diff", str(bundles[0]), str(bundles[1]), "--json")
    assert code == 0
    [change] = json.loads(out)["changes"]
    assert change["criterion"] == "tax-credit-a-or-b" and change["fields"] == ["rule", "texts"]


def test_diff_of_the_same_policy_says_no_differences(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    code, out, _ = _run(capsys, "policy", "diff", str(folder), str(folder))
    assert code == 0 and "No differences." in out and "没有差异。" in out


def test_diff_of_something_else_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]", encoding="utf-8")
    code, out, err = _run(capsys, "policy", "diff", str(junk), str(copy_policy(tmp_path)))
    assert code == 3 and out == "" and "neither a policy folder nor a bundle" in err


def _benefits(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    parser = argparse.ArgumentParser(prog="kiosk")
    benefits_command.register(parser.add_subparsers())
    args = parser.parse_args(["benefits", *argv])
    assert args.run(args) == 0
    return capsys.readouterr().out


def test_the_transparency_listing_shows_in_force_since_and_announced_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = _changed_policy(tmp_path)
    code, _, err = _run(capsys, "policy", "test", "--policy", str(folder))
    assert code == 0, err
    before = _benefits(capsys, "--policy", str(folder), "--locale", "en", "--on", "2026-06-01")
    assert "(in force since 2026-01-01, in force until 2026-12-31)" in before
    assert f"  * From {CHANGE}: {CHANGE_TEXT['en']}" in before
    zh = _benefits(capsys, "--policy", str(folder), "--on", "2026-06-01")
    assert f"  * 自{CHANGE}起：{CHANGE_TEXT['zh-CN']}" in zh
    after = _benefits(capsys, "--policy", str(folder), "--locale", "en", "--on", "2027-01-01")
    # On the day itself the listing shows the new version, and nothing is announced any more.
    assert f"(in force since {CHANGE})" in after and "* From" not in after
