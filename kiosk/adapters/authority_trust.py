"""Which authority keys may sign the bundles this kiosk accepts: the configured ones, then
whatever a key rollover taught it (kiosk/core/bundle.py, "Key rollover").

State, kept in the store as two fixed device-state keys (public keys only):

* ``authority_current_key``: absent until a rollover completes; then the one key that signs.
* ``authority_next_key``: the next key the latest accepted bundle announced, if any.

Accepted signers = (the current key, or the configured keys before any rollover) + the next
key. After a bundle signed by the next key is accepted, that key is the only current one: the
configured keys (perhaps the very key being retired because it leaked) sign nothing more. An
announcement counts only inside a bundle that verified and was accepted, so only a key the
kiosk already trusts can name the next one; a bundle that stops announcing withdraws it.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.store import Store
from kiosk.common.lazy_logging import lazy_logger
from kiosk.core.bundle import (
    BundleError,
    PolicyBundle,
    authority_key_id,
)
from kiosk.core.bundle_signing import (
    authority_public_key_from_text,
    authority_public_key_text,
)

log = lazy_logger("kiosk.adapters.authority_trust")  # logging is imported at the first record (lazy_logging.py)

CURRENT_KEY = "authority_current_key"
NEXT_KEY = "authority_next_key"
AuthorityKeys = Mapping[str, ed25519.Ed25519PublicKey]


class AuthorityTrust:
    def __init__(self, configured: AuthorityKeys, store: Store) -> None:
        self.configured = dict(configured)
        self.store = store

    def keys(self) -> dict[str, ed25519.Ed25519PublicKey]:
        """Key id -> key, for verify_bundle: who may sign the next bundle."""
        current = self._stored(CURRENT_KEY)
        chosen = {authority_key_id(current): current} if current is not None else dict(self.configured)
        announced = self._stored(NEXT_KEY)
        if announced is not None:
            chosen[authority_key_id(announced)] = announced
        return chosen

    @property
    def rolled_over(self) -> bool:
        return self._stored(CURRENT_KEY) is not None

    def learn(self, bundle: PolicyBundle) -> bool:
        """Record what an accepted (or the held, verified) `bundle` says; True if saved."""
        state: dict[str, object] = {}
        announced = self._stored(NEXT_KEY)
        if announced is not None and bundle.authority_kid == authority_key_id(announced):
            state[CURRENT_KEY] = authority_public_key_text(announced)
            log.info("authority key rollover complete: now trusting only key %s", bundle.authority_kid)
        if bundle.authority_kid not in self.keys() and CURRENT_KEY not in state:
            return False  # not signed by a key we trust: it teaches nothing
        following = bundle.next_authority
        state[NEXT_KEY] = authority_public_key_text(following) if following is not None else None
        if following is not None and (announced is None or authority_key_id(announced) != bundle.next_authority_kid):
            log.info("authority announced its next key %s", bundle.next_authority_kid)
        return self.store.set_states(state)

    def _stored(self, name: str) -> ed25519.Ed25519PublicKey | None:
        text = self.store.get_state(name)
        if text is None:
            return None
        try:
            return authority_public_key_from_text(text)
        except BundleError:
            return None  # the store validates on write; a bad value means no learned key
