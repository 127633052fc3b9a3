"""`kiosk check` end to end: the real CLI in a subprocess, the real backend on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.records import DEMO_TOKEN, DemoSubject
from tests.support.backend import demo_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[DemoSubject]]]:
    with demo_server(tmp_path_factory.mktemp("check"), rate_per_second=None) as running:
        yield running


def kiosk(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    clean["XINYI_CONFIG"] = ""  # never pick up a config file from the machine
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        input=stdin.decode() if stdin else None,
        env={**clean, **(env or {})},
        cwd=REPO,
        timeout=60,
    )


def check(url: str, benefit: str, payload: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return kiosk("check", "--benefit", benefit, "--scan", payload, "--backend", url, "--token", DEMO_TOKEN, *extra)


def subject_for(subjects: list[DemoSubject], scheme: str, benefit: str, outcome: str) -> DemoSubject:
    for subject in subjects:
        if subject.scheme == scheme and subject.expected.get(benefit) == outcome:
            return subject
    raise AssertionError(f"the demo data has no {scheme} subject with {outcome} for {benefit}")


@pytest.mark.parametrize("outcome", ["eligible", "not_eligible", "undetermined"])
@pytest.mark.parametrize(("benefit", "scheme"), [("expedited-permit", "uscc"), ("volunteer-transit", "ric")])
def test_every_outcome_in_json(demo: tuple[str, list[DemoSubject]], benefit: str, scheme: str, outcome: str) -> None:
    url, subjects = demo
    subject = subject_for(subjects, scheme, benefit, outcome)
    result = check(url, benefit, subject.value, "--json", "--locale", "en")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["outcome"] == outcome
    assert decision["mode"] == "online"
    assert decision["benefit"] == benefit
    assert set(decision) == {
        "decision_id",
        "benefit",
        "outcome",
        "criteria",
        "policy_version",
        "decided_at",
        "valid_until",
        "mode",
        "receipt",
    }
    assert decision["receipt"].startswith("XKR:"), "kiosk check --json prints the service's receipt"
    for criterion in decision["criteria"]:
        assert criterion["reason"]
        if criterion["status"] != "passed":
            assert criterion["remedy"], "a criterion that did not pass must say what to do"


def test_plain_output_in_chinese_and_english(demo: tuple[str, list[DemoSubject]]) -> None:
    url, subjects = demo
    subject = subject_for(subjects, "uscc", "expedited-permit", "not_eligible")
    zh = check(url, "expedited-permit", subject.value, "--locale", "zh-CN")
    en = check(url, "expedited-permit", subject.value, "--locale", "en")
    assert zh.returncode == en.returncode == 0
    assert zh.stdout.startswith("结果: 不符合条件")
    assert "× 不满足" in zh.stdout and "可以这样做" in zh.stdout
    assert en.stdout.startswith("Outcome: Not eligible")
    assert "× Not met" in en.stdout and "What you can do" in en.stdout
    assert "staffed counter" in en.stdout  # the route to a human review
    assert subject.value not in zh.stdout + en.stdout, "the code itself is never echoed"


def test_a_signed_credential_is_checked_online(demo: tuple[str, list[DemoSubject]], tmp_path: Path) -> None:
    url, subjects = demo
    subject = subject_for(subjects, "uscc", "expedited-permit", "eligible")
    minted = subprocess.run(
        [sys.executable, "-m", "backend.cli", "mint", "--subject", subject.value, "--out", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert minted.returncode == 0, minted.stderr
    payload = (tmp_path / "c.txt").read_text(encoding="utf-8").strip()
    trust = str(REPO / "demo" / "keys" / "issuer-ed25519-DEMO-public.pem")
    config = tmp_path / "kiosk.toml"
    config.write_text(f'trust_files = ["{trust}"]\n', encoding="utf-8")
    result = check(url, "expedited-permit", payload, "--json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "eligible"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ("91110000600037341N", "check"),  # wrong check digit
        ("hello world", ""),
        ("XK1:NOT-BASE45~~", ""),
    ],
)
def test_an_invalid_code_exits_3_with_one_line(demo: tuple[str, list[DemoSubject]], payload: str, needle: str) -> None:
    result = check(demo[0], "expedited-permit", payload, "--locale", "en")
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert needle in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_personal_code_for_a_business_benefit_is_refused(demo: tuple[str, list[DemoSubject]]) -> None:
    url, subjects = demo
    person = next(s for s in subjects if s.scheme == "ric")
    result = check(url, "expedited-permit", person.value, "--locale", "en")
    assert result.returncode == 3
    assert "Unified Social Credit Code" in result.stderr


def test_no_backend_and_no_offline_path_exits_4() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(f"http://127.0.0.1:{port}", "expedited-permit", "91110000600037341L", "--locale", "en")
    assert result.returncode == 4
    assert "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--benefit", "no-such-benefit", "--scan", "x", "--backend", "http://127.0.0.1:9"],
        ["check", "--benefit", "expedited-permit", "--scan", "x", "--locale", "fr"],
        ["check", "--scan", "x"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = kiosk(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_wrong_token_is_not_a_decision(demo: tuple[str, list[DemoSubject]]) -> None:
    result = kiosk(
        "check",
        "--benefit",
        "expedited-permit",
        "--scan",
        "91110000600037341L",
        "--backend",
        demo[0],
        "--token",
        "wrong",
    )
    assert result.returncode == 4
    assert "授权" in result.stderr  # default locale zh-CN: "not authorised"


AUTHORITY = REPO / "demo" / "keys" / "authority-ed25519-DEMO-public.pem"
ISSUER = REPO / "demo" / "keys" / "issuer-ed25519-DEMO-public.pem"


def mint(value: str, out: Path) -> str:
    minted = subprocess.run(
        [sys.executable, "-m", "backend.cli", "mint", "--subject", value, "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert minted.returncode == 0, minted.stderr
    return out.with_suffix(".txt").read_text(encoding="utf-8").strip()


def test_offline_checks_decide_from_the_synced_bundle(demo: tuple[str, list[DemoSubject]], tmp_path: Path) -> None:
    url, subjects = demo
    data = tmp_path / "data"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'authority_keys = ["{AUTHORITY}"]\ndata_dir = "{data}"\n', encoding="utf-8")
    synced = kiosk("sync", "--backend", url, "--token", DEMO_TOKEN, "--config", str(config))
    assert synced.returncode == 0, synced.stderr
    subject = subject_for(subjects, "uscc", "expedited-permit", "not_eligible")
    payload = mint(subject.value, tmp_path / "cred")

    offline = check(url, "expedited-permit", payload, "--json", "--offline", "--config", str(config))
    assert offline.returncode == 0, offline.stderr
    decided = json.loads(offline.stdout)
    assert decided["mode"] == "offline" and decided["outcome"] == "not_eligible"
    online = check(url, "expedited-permit", payload, "--json", "--config", str(config))
    # Same facts, same decision; only "as of" differs (the record's date vs the credential's).
    strip = [{k: v for k, v in c.items() if k != "as_of"} for c in decided["criteria"]]
    assert [{k: v for k, v in c.items() if k != "as_of"} for c in json.loads(online.stdout)["criteria"]] == strip

    # A backend that has gone away: the same check finishes offline from the cache.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    fallback = check(dead, "expedited-permit", payload, "--json", "--config", str(config))
    assert fallback.returncode == 0, fallback.stderr
    assert json.loads(fallback.stdout)["mode"] == "offline"

    # A bare business code carries no facts: offline it can only say "can't tell", and why.
    bare = check(url, "expedited-permit", subject.value, "--offline", "--locale", "en", "--config", str(config))
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.startswith("Outcome: Cannot tell yet")


def test_offline_without_a_synced_bundle_exits_4(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'authority_keys = ["{AUTHORITY}"]\ndata_dir = "{tmp_path / "empty"}"\n', encoding="utf-8")
    result = kiosk("check", "--benefit", "expedited-permit", "--scan", "91110000600037341L", "--offline",
                   "--config", str(config), "--locale", "en")
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
