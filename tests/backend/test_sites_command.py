"""`kiosk-backend policy test` and `bundle sign` refuse a policy whose site presets are wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.cli import main
from kiosk.core.bundle_signing import verify_bundle
from tests.support.bundle import AUTHORITY_PRIVATE_PEM, authorities
from tests.support.policy_edit import copy_policy


def _write_sites(folder: Path, sites: Any) -> None:
    (folder / "sites.json").write_text(json.dumps(sites, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("sites", "words"),
    [
        ([{"id": "hall", "benefits": ["no-such-benefit"]}], "names 'no-such-benefit', which is not a benefit"),
        ([{"id": "hall", "benefits": ["expedited-permit", "expedited-permit"]}], "names 'expedited-permit' twice"),
        (
            [{"id": "hall", "benefits": ["expedited-permit"]}, {"id": "hall", "benefits": ["bid-bond-waiver"]}],
            "is used by another site",
        ),
        ([{"id": "hall", "benefits": ["expedited-permit"], "locale": "zh-TW"}], "must be one of zh-CN, en"),
    ],
)
def test_bad_sites_are_one_line_and_nothing_is_signed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sites: Any, words: str
) -> None:
    folder = copy_policy(tmp_path)
    _write_sites(folder, sites)
    assert main(["policy", "test", "--policy", str(folder)]) == 3
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "sites.json" in lines[0] and "site 'hall'" in lines[0] and words in lines[0]
    out = tmp_path / "bundle.json"
    code = main(["bundle", "sign", "--policy", str(folder), "--key", str(AUTHORITY_PRIVATE_PEM), "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 3 and words in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_sites_outside_sites_json_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_policy(tmp_path)
    head = json.loads((folder / "policy.json").read_text(encoding="utf-8"))
    head["sites"] = []
    (folder / "policy.json").write_text(json.dumps(head), encoding="utf-8")
    assert main(["policy", "test", "--policy", str(folder)]) == 3
    assert "belong in sites.json" in capsys.readouterr().err


def test_good_sites_are_signed_into_the_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_policy(tmp_path)
    _write_sites(folder, [{"id": "hall", "benefits": ["sme-loan-referral", "expedited-permit"], "view": "elder"}])
    out = tmp_path / "bundle.json"
    code = main(["bundle", "sign", "--policy", str(folder), "--key", str(AUTHORITY_PRIVATE_PEM), "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    site = verify_bundle(out.read_bytes(), authorities()).catalog.site("hall")
    assert site is not None and site.benefits == ("sme-loan-referral", "expedited-permit") and site.elder_view


def test_policy_diff_names_sites_added_removed_and_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = copy_policy(tmp_path / "old")
    new = copy_policy(tmp_path / "new")
    sites = json.loads((old / "sites.json").read_text(encoding="utf-8"))
    changed = [
        dict(sites[0], view="standard", benefits=["volunteer-transit"]),
        {"id": "new-hall", "benefits": ["bid-bond-waiver"]},
    ]
    _write_sites(new, changed)
    assert main(["policy", "diff", str(old), str(new), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    site_changes = {c["site"]: c for c in report["changes"] if "site" in c}
    assert site_changes["demo-rental-counter"]["change"] == "changed"
    assert site_changes["demo-rental-counter"]["fields"] == ["offer", "start"]
    assert site_changes["demo-business-hall"]["change"] == "removed"
    assert site_changes["new-hall"]["text"] == {"zh-CN": "新增站点 new-hall。", "en": "Site new-hall added."}
    assert main(["policy", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "Site demo-rental-counter: benefits offered, how sessions start changed." in out
    assert main(["policy", "diff", str(old), str(old)]) == 0
    assert "No differences." in capsys.readouterr().out
