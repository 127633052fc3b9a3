"""Composition root: from a KioskConfig to the parts a session needs.

`kiosk check`, `kiosk run` and `kiosk demo` all build their session from here, so the command
line and the touch screen decide in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kiosk.client import BackendClient, OnlineChecker
from kiosk.config import KioskConfig
from kiosk.core.benefits import Catalog
from kiosk.core.credentials import CredentialSettings, Presentation, TrustStore, read_presentation
from kiosk.flow import Checker, SessionFlow, Timeouts
from kiosk.policy_source import load_catalog


@dataclass
class KioskServices:
    config: KioskConfig
    catalog: Catalog
    credential_settings: CredentialSettings
    checker: Checker
    client: BackendClient | None

    def presentation_reader(self, clock: Callable[[], datetime] | None = None) -> Callable[[bytes | str], Presentation]:
        now = clock or (lambda: datetime.now(UTC))
        settings = self.credential_settings
        return lambda raw: read_presentation(raw, settings, now=now())

    def new_flow(self, *, timeouts: Timeouts | None = None) -> SessionFlow:
        return SessionFlow(self.catalog, self.presentation_reader(), self.checker, timeouts=timeouts)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def build_services(config: KioskConfig) -> KioskServices:
    catalog = load_catalog()
    trust = TrustStore.from_files(config.trust_files) if config.trust_files else TrustStore()
    settings = CredentialSettings(prefix=config.credential_prefix, trust=trust)
    token = config.device_token() or ""
    client = BackendClient(config.backend_url, token, config.device_id)
    return KioskServices(
        config=config,
        catalog=catalog,
        credential_settings=settings,
        checker=OnlineChecker(client),
        client=client,
    )
