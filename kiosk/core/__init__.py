"""The domain core: what the rest of the kiosk and the backend may use. No I/O, nothing of the
project outside this package (an import-linter contract holds it to that).

The names below are the core's face; ``tests/test_public_api.py`` pins them, as httpx pins its
own. They are resolved on first use, so importing one small part (an error type from the
hardware drivers, say) does not load the credential verifier or the rule compiler.

* benefits and their criteria, parsed strictly from the policy: :class:`Catalog`, :class:`Benefit`,
  :class:`Criterion`, :func:`parse_catalog`, :class:`CatalogError`;
* the decision both backend and offline kiosk take: :func:`decide`, :class:`Decision`,
  :class:`CriterionResult`, :data:`Outcome`, :data:`Status`, :data:`Mode`, :func:`decision_from_json`;
* CertLogic: :func:`compile_expression`, :func:`evaluate`, :class:`RuleError`;
* the signed policy bundle: :class:`PolicyBundle`, :func:`verify_bundle`, :func:`sign_bundle`,
  :class:`BundleError`; offline decisions: :func:`decide_offline`, :class:`OfflineUnavailable`;
* what a person presents: :mod:`kiosk.core.credentials` (its own face);
* what a person takes away, the signed decision receipt: :mod:`kiosk.core.receipts` (its own face);
* words for people: :class:`LocalText`, :data:`Locale`, :func:`message`; :class:`KioskError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from kiosk.core.benefits import Benefit, Catalog, CatalogError, Criterion, parse_catalog
    from kiosk.core.bundle import BundleError, PolicyBundle
    from kiosk.core.bundle_signing import sign_bundle, verify_bundle
    from kiosk.core.catalog import message, translate
    from kiosk.core.decision import decide
    from kiosk.core.decision_records import (
        CriterionResult,
        Decision,
        DecisionFormatError,
        Mode,
        Outcome,
        Status,
        decision_from_json,
    )
    from kiosk.core.errors import KioskError
    from kiosk.core.offline import OfflineUnavailable, decide_offline
    from kiosk.core.rules import RuleError, compile_expression, evaluate
    from kiosk.core.text import DEFAULT_LOCALE, LOCALES, Locale, LocalText, parse_locale

_HOME = {
    "kiosk.core.benefits": ("Benefit", "Catalog", "CatalogError", "Criterion", "parse_catalog"),
    "kiosk.core.bundle": ("BundleError", "PolicyBundle"),
    "kiosk.core.bundle_signing": ("sign_bundle", "verify_bundle"),
    "kiosk.core.catalog": ("message", "translate"),
    "kiosk.core.decision": ("decide",),
    "kiosk.core.decision_records": (
        "CriterionResult", "Decision", "DecisionFormatError", "Mode", "Outcome", "Status", "decision_from_json",
    ),
    "kiosk.core.errors": ("KioskError",),
    "kiosk.core.offline": ("OfflineUnavailable", "decide_offline"),
    "kiosk.core.rules": ("RuleError", "compile_expression", "evaluate"),
    "kiosk.core.text": ("DEFAULT_LOCALE", "LOCALES", "Locale", "LocalText", "parse_locale"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Benefit",
    "BundleError",
    "Catalog",
    "CatalogError",
    "Criterion",
    "CriterionResult",
    "Decision",
    "DecisionFormatError",
    "KioskError",
    "LocalText",
    "Locale",
    "Mode",
    "OfflineUnavailable",
    "Outcome",
    "PolicyBundle",
    "RuleError",
    "Status",
    "compile_expression",
    "decide",
    "decide_offline",
    "decision_from_json",
    "evaluate",
    "message",
    "parse_catalog",
    "parse_locale",
    "sign_bundle",
    "translate",
    "verify_bundle",
]


__getattr__ = lazy_names(__name__, _MODULE_OF, globals())
