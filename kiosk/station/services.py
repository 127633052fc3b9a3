"""Composition root: from a KioskConfig to the parts a session needs.

`kiosk check`, `kiosk run` and `kiosk demo` all build their session from here, so the command
line and the touch screen decide in exactly the same way: online first, and offline from the
cached signed bundle when the backend cannot be reached (or always, for offline-only kiosks).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.adapters.store import Store
from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Catalog
from kiosk.core.bundle import PolicyBundle
from kiosk.core.credentials import CredentialError, Presentation, read_presentation
from kiosk.core.offline import OfflineUnavailable
from kiosk.session.flow import Checker, CheckTask, SessionFlow, Timeouts, in_event_loop
from kiosk.session.site import Site
from kiosk.station.config import KioskConfig
from kiosk.station.device_key import device_receipts
from kiosk.station.offline import OfflineParts, offline_parts, trust_store
from kiosk.station.site import resolve_site

# The backend gets the configured checking time less this, so an offline answer can still be
# given before the session's own checking timeout ends it (the config allows >= 5 s).
OFFLINE_RESERVE_SECONDS = 1.0


# The steps that judge a credential by the kiosk's clock.
_DATED_STEPS = frozenset({"expired", "not_yet_valid"})


def check_deadline(checking: float) -> float:
    """The backend's share of the checking time (half of it, if that is under two seconds)."""
    return max(checking - OFFLINE_RESERVE_SECONDS, checking / 2)

if TYPE_CHECKING:
    import httpx  # imported where a client is made (see adapters/backend_client.py)

    from kiosk.adapters.backend_client import BackendClient


@dataclass
class KioskServices:
    """The parts a session needs, made from one config (see build_services)."""

    config: KioskConfig
    catalog: Catalog
    checker: Checker
    client: BackendClient | None
    offline: OfflineParts
    site: Site

    def presentation_reader(self, clock: Callable[[], datetime] | None = None) -> Callable[[bytes | str], Presentation]:
        """Reads with the trust keys and revocations of the bundle current at each read.

        A signed code whose key the kiosk does not know, while it holds no policy bundle (never
        synced, or its data folder was damaged), says nothing about the code: the kiosk lacks
        the trust list. That is "cannot check right now", never blamed on the person's code;
        and so is a code "expired" or "not yet valid" by a clock the last sync found wrong.
        """
        now = clock or (lambda: datetime.now(UTC))

        def read(raw: bytes | str) -> Presentation:
            try:
                return read_presentation(raw, self.offline.credential_settings(), now=now())
            except CredentialError as error:
                if error.step == "unknown_key" and self.offline.sync.current is None:
                    raise OfflineUnavailable(
                        "no_bundle", "a signed code, and no policy bundle to know its key by"
                    ) from None
                if error.step in _DATED_STEPS and self.offline.sync.clock_known_wrong:
                    # "Expired" by a clock known to be wrong says nothing about the code.
                    raise OfflineUnavailable(
                        "clock_skew", "a signed code judged by a clock known to be wrong"
                    ) from None
                raise

        return read

    def new_flow(
        self, *, timeouts: Timeouts | None = None,
        start_check: Callable[[Coroutine[Any, Any, None]], CheckTask] = in_event_loop,
    ) -> SessionFlow:
        return SessionFlow(
            self.catalog, self.presentation_reader(), self.checker, timeouts=timeouts or self.config.timeouts,
            site=self.site, start_check=start_check,
        )

    def follow_policy(self, flow: SessionFlow) -> None:
        """Each newer bundle a sync brings replaces the flow's catalog and site preset (the
        flow applies them between two people)."""

        def apply(bundle: PolicyBundle) -> None:
            self.catalog = bundle.catalog
            self.site = resolve_site(self.config, bundle.catalog)
            flow.apply_policy(self.catalog, self.site)

        self.offline.sync.on_new_bundle(apply)

    async def aclose(self) -> None:
        await self.offline.sync.stop()
        if self.client is not None:
            await self.client.aclose()


def build_services(
    config: KioskConfig,
    *,
    offline_only: bool | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    online_wrapper: Callable[[Checker], Checker] | None = None,
    store: Store | None = None,
) -> KioskServices:
    """`online_wrapper` lets the demo put its "cut the network" switch around the online
    checker; `store` lets a caller share one store with the runtime's counters."""
    only_offline = config.offline_only if offline_only is None else offline_only
    token = config.device_token()
    client: BackendClient | None = None
    online: Checker | None = None
    if not only_offline:
        # Imported only for a kiosk that asks the backend: `kiosk check --offline` never does.
        from kiosk.adapters.backend_client import BackendClient, OnlineChecker

        client = BackendClient(
            config.backend_url, token or "", config.device_id, transport=transport,
            check_deadline=check_deadline(config.timeouts.checking),
        )
        online = OnlineChecker(client)
    trust = trust_store(config.trust_files)
    if online is not None and online_wrapper is not None:
        online = online_wrapper(online)
    parts = offline_parts(
        data_dir=config.data_dir,
        backend_url=config.backend_url,
        token=token,
        authority_key_files=config.authority_keys,
        online=online,
        offline_only=only_offline,
        max_age=timedelta(hours=config.max_bundle_age_hours),
        prefix=config.credential_prefix,
        trust=trust,
        transport=transport,
        store=store,
        receipts=device_receipts(config),
    )
    # The benefits on offer are the signed bundle's once the kiosk holds one; before its first
    # sync it offers the policy shipped with the software.
    bundle = parts.sync.current
    catalog = bundle.catalog if bundle is not None else load_catalog()
    return KioskServices(
        config=config, catalog=catalog, checker=parts.checker, client=client, offline=parts,
        site=resolve_site(config, catalog),
    )
