"""GET /v1/bundle (ETag, If-None-Match), /v1/health and /v1/openapi.json over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from demo.issuer import DEMO_KEYS_DIR
from kiosk.common.policy_folder import load_catalog
from kiosk.core.bundle import authority_key_id
from kiosk.core.bundle_signing import verify_bundle
from tests.support.backend import AUTH, assert_problem, assert_security_headers, client, demo

__all__ = ["client", "demo"]  # fixtures

DEMO_AUTHORITY_PUBLIC_KEY = DEMO_KEYS_DIR / "authority-ed25519-DEMO-public.pem"


def test_the_bundle_is_signed_and_carries_a_strong_etag(client: httpx.Client) -> None:
    response = client.get("/v1/bundle", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    public = load_pem_public_key(DEMO_AUTHORITY_PUBLIC_KEY.read_bytes())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    bundle = verify_bundle(response.content, {authority_key_id(public): public})
    assert etag == f'"{bundle.digest}"'
    assert [b.id for b in bundle.catalog.benefits] == [b.id for b in load_catalog().benefits]
    again = client.get("/v1/bundle", headers=AUTH)
    assert again.headers["etag"] == etag and again.content == response.content


@pytest.mark.parametrize(
    "template", ["{etag}", "W/{etag}", '"other", {etag}', "*"], ids=["exact", "weak", "list", "star"]
)
def test_a_matching_if_none_match_gets_304_without_a_body(client: httpx.Client, template: str) -> None:
    etag = client.get("/v1/bundle", headers=AUTH).headers["etag"]
    response = client.get("/v1/bundle", headers={**AUTH, "If-None-Match": template.format(etag=etag)})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert_security_headers(response)


@pytest.mark.parametrize("value", ['"0000"', "", "garbage", 'W/"x"'])
def test_a_stale_if_none_match_gets_the_bundle(client: httpx.Client, value: str) -> None:
    response = client.get("/v1/bundle", headers={**AUTH, "If-None-Match": value})
    assert response.status_code == 200
    assert response.content


def test_if_none_match_does_not_bypass_authentication(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/bundle", headers={"If-None-Match": "*"}), 401)


def test_health_needs_no_token_and_names_the_policy_version(client: httpx.Client) -> None:
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "policy_version": load_catalog().version}
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response)


def test_the_openapi_document_is_served_without_a_token(client: httpx.Client) -> None:
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/v1/eligibility",
        "/v1/simulate",
        "/v1/bundle",
        "/v1/health",
        "/v1/openapi.json",
        "/v1/heartbeat",  # the fleet is on in demo mode (backend/fleet/)
    }
    assert_security_headers(response)
