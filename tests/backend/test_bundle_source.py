"""backend/bundle_source.py: what GET /v1/bundle serves — signed, cached, re-signed before expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend import bundle_source
from backend.auth import DeviceCredential
from backend.settings import Settings
from demo.issuer import demo_backend_keys
from kiosk.core.bundle_signing import verify_bundle
from tests.support.bundle import authorities


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    bundle_source._cache.clear()
    return Settings(
        db_path=tmp_path / "x.sqlite3", devices=(DeviceCredential.from_token("kiosk-demo", "t"),),
        **demo_backend_keys(),  # type: ignore[arg-type]
    )


def test_serves_the_signed_policy_with_its_digest_as_etag(settings: Settings) -> None:
    body, etag = bundle_source.load_bundle(settings)
    bundle = verify_bundle(body, authorities())
    assert etag == f'"{bundle.digest}"'
    assert len(bundle.trust_keys) == 2 and not bundle.revoked
    assert bundle_source.load_bundle(settings) == (body, etag)  # cached, not re-signed per request


def test_re_signs_a_newer_version_once_half_the_validity_has_passed(settings: Settings) -> None:
    body, _ = bundle_source.load_bundle(settings)
    first = verify_bundle(body, authorities())
    cached = bundle_source._cache[bundle_source.cache_key(settings)]
    aged = datetime.now(UTC) - cached.valid_for / 2 - timedelta(seconds=1)
    bundle_source._cache[bundle_source.cache_key(settings)] = bundle_source.SignedBundle(
        cached.body, cached.etag, aged, cached.valid_for
    )
    newer = verify_bundle(bundle_source.load_bundle(settings)[0], authorities())
    assert bundle_source._cache[bundle_source.cache_key(settings)].issued_at > aged  # signed again
    assert newer.version >= first.version and newer.expires_at >= first.expires_at
    assert newer.is_expired(datetime.now(UTC)) is False


def test_revocation_file_hashes_ids_and_refuses_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "revoked.txt"
    path.write_text("ABCDEF0123  # upper case ids are folded\nsha256:" + "0" * 64 + "\n", encoding="utf-8")
    hashes = bundle_source.read_revocations(path)
    assert len(hashes) == 2 and "abcdef0123" not in "".join(hashes)
    path.write_text("sha256:xyz\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        bundle_source.read_revocations(path)


def test_the_configured_next_authority_key_is_announced_in_the_bundle(
    settings: Settings, tmp_path: Path
) -> None:
    from dataclasses import replace

    from backend.cli import main as backend_main
    from backend.settings import BackendConfigError

    assert backend_main(["keys", "new", "--kind", "authority", "--out", str(tmp_path / "next")]) == 0
    announcing = replace(settings, authority_next_key=tmp_path / "next-public.pem")
    bundle = verify_bundle(bundle_source.load_bundle(announcing)[0], authorities())
    assert bundle.next_authority_kid is not None
    assert bundle.next_authority_kid != bundle.authority_kid
    # The current key named as its own successor, or an issuer key, is refused by setting name.
    assert backend_main(["keys", "new", "--kind", "issuer", "--out", str(tmp_path / "issuer")]) == 0
    for wrong in (settings.authority_key, tmp_path / "issuer-public.pem"):
        with pytest.raises(BackendConfigError, match="authority_next_key"):
            bundle_source.load_bundle(replace(settings, authority_next_key=wrong))
