"""`kiosk benefits`: the transparency listing, as a person and as a program read it."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.commands import benefits as benefits_command
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # The command's own parser, registered the way kiosk/cli.py registers every command.
    parser = argparse.ArgumentParser(prog="kiosk")
    benefits_command.register(parser.add_subparsers())
    args = parser.parse_args(["benefits", *argv])
    code = args.run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_plain_listing_shows_every_benefit_criterion_basis_and_source(
    capsys: pytest.CaptureFixture[str], locale: str
) -> None:
    code, out, err = _run(capsys, "--locale", locale)
    assert code == 0 and err == ""
    catalog = load_catalog()
    for benefit in catalog.benefits:
        assert f"[{benefit.id}]" in out
        for text in (benefit.title, benefit.summary, benefit.legal_basis, benefit.authority):
            assert text.get(locale) in out
        for criterion in benefit.criteria:
            assert criterion.title.get(locale) in out
            assert criterion.source.get(locale) in out
    # Remedy templates speak of the applicant's own values; with no applicant none is left raw.
    assert "{" not in out and "}" not in out
    if locale == "en":
        assert "Credit China" in out and "NDRC Order No. 36" in out
    else:
        assert "国家发展改革委令第36号" in out and "：" in out


def test_default_locale_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys)
    assert code == 0 and "信易批" in out and "Expedited permit" not in out


def test_json_is_the_catalog_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document == load_catalog().to_json()
    first = document["benefits"][0]["criteria"][0]
    assert set(first["title"]) == {"zh-CN", "en"} and "rule" in first and "source" in first


def test_policy_folder_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    for path in (folder / "benefits").glob("*.json"):
        if path.name != "library-deposit-free.json":
            path.unlink()
    (folder / "sites.json").unlink()  # its sites name the benefits just removed
    code, out, _ = _run(capsys, "--json", "--policy", str(folder))
    assert code == 0
    assert [b["id"] for b in json.loads(out)["benefits"]] == ["library-deposit-free"]


def test_a_faulty_policy_is_one_line_on_stderr_and_exit_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "policy"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    path = folder / "benefits" / "volunteer-transit.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["criteria"][0]["source"] = "nobody"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = _run(capsys, "--policy", str(folder))
    assert code == 3 and out == ""
    assert err.count("\n") == 1
    assert str(path) in err and "volunteer-transit" in err and "criteria[0].source" in err


def test_a_missing_policy_folder_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "--policy", str(tmp_path / "absent"))
    assert code == 3 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_an_unknown_locale_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--locale", "fr")
    assert code == 2 and out == "" and "zh-CN" in err


def test_a_closed_pipe_is_no_traceback() -> None:
    # `kiosk benefits --json | head -1`: the reader goes away after one line.
    script = (
        "import argparse, sys\n"
        "from kiosk.commands import benefits\n"
        "p = argparse.ArgumentParser(); benefits.register(p.add_subparsers())\n"
        "a = p.parse_args(['benefits', '--json'])\n"
        "sys.exit(a.run(a))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().strip() == b"{"
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait(timeout=60)
    assert b"Traceback" not in err
    assert code == 0


def test_through_the_kiosk_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "benefits", "--json", "--locale", "en"],
        capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert len(json.loads(done.stdout)["benefits"]) == len(load_catalog().benefits)
