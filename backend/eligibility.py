"""POST /v1/eligibility, after authentication: check the request strictly, look the subject
up once, decide with the same ``decide()`` the kiosk uses offline.

A subject reference that is valid but on no record gets an ordinary decision, not a 404:
outcome ``undetermined``, every criterion ``unknown``, and a remedy that sends the applicant to
the authority holding the data to correct the record. Why not 404: a distinct status would make
"is this ID number on record?" a yes/no question answered by status code alone, show up as an
error path in kiosk logs and counters, and leave the applicant with an error screen instead of
something to do. What it does not hide: any eligible or not-eligible answer shows that a record
exists, which no answer can avoid; what protects records is that only authenticated devices
ask, each at a limited rate, and that the answer carries only the criteria of one benefit.
A token standing for a subject of the other kind (a person's token for a business benefit) is
answered the same way, so tokens reveal nothing about whom they stand for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.auth import DEVICE_ID_PATTERN
from backend.db import SubjectRecord
from backend.decision_bodies import DecisionBodies, encode
from backend.problems import (
    INVALID_REQUEST,
    INVALID_SUBJECT,
    MALFORMED_JSON,
    SCHEME_NOT_ACCEPTED,
    UNKNOWN_BENEFIT,
    ProblemError,
)
from backend.receipts import ReceiptIssuer
from backend.records_store import RecordsStore
from backend.subject_ref import SubjectRefError, accepts, canonical_value
from kiosk.common.strict_json import STRICT_JSON
from kiosk.core.benefits import Benefit, Catalog
from kiosk.core.catalog import message
from kiosk.core.credentials.schemes import SCHEME_NAMES
from kiosk.core.decision import decide
from kiosk.core.decision_records import CriterionResult, Decision
from kiosk.core.policy_dates import local_day
from kiosk.core.text import Locale

REQUEST_FIELDS = ("benefit", "subject", "locale", "device")
SUBJECT_FIELDS = ("scheme", "value")
SCHEMES = SCHEME_NAMES
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")
BENEFIT_ID_PATTERN = re.compile(r"[a-z0-9-]{1,64}")
MAX_SUBJECT_VALUE_CHARS = 4096
# A field name we did not ask for is named in the problem only when it looks like a name.
_SHOWABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")

NO_RECORD_REASON = message("backend.eligibility.no_record_reason")
NO_RECORD_REMEDY = message("backend.eligibility.no_record_remedy")


@dataclass(frozen=True, slots=True)
class EligibilityRequest:
    benefit: str
    scheme: str
    value: str
    locale: Locale
    device: str

    def __repr__(self) -> str:  # the value is a subject reference: never in a repr
        return f"EligibilityRequest({self.benefit}, {self.scheme}:…, {self.locale}, {self.device})"


def parse_request(body: bytes) -> EligibilityRequest:
    """The request body, checked against the schema; ProblemError (400/422) otherwise."""
    top = _object(decode_body(body), "(body)", REQUEST_FIELDS)
    subject = _object(top["subject"], "subject", SUBJECT_FIELDS)
    benefit = _string(top["benefit"], "benefit", BENEFIT_ID_PATTERN)
    scheme = subject["scheme"]
    if scheme not in SCHEMES:
        raise ProblemError(INVALID_REQUEST, f"must be one of {', '.join(SCHEMES)}", field="subject.scheme")
    value = subject["value"]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_SUBJECT_VALUE_CHARS:
        raise ProblemError(
            INVALID_REQUEST, f"must be a string of 1 to {MAX_SUBJECT_VALUE_CHARS} characters",
            field="subject.value",
        )
    locale = top["locale"]
    if locale not in LOCALES:
        raise ProblemError(INVALID_REQUEST, f"must be one of {', '.join(LOCALES)}", field="locale")
    device = _string(top["device"], "device", DEVICE_ID_PATTERN)
    return EligibilityRequest(benefit, scheme, value, locale, device)


def decode_body(body: bytes) -> Any:
    """One UTF-8 JSON document with no repeated key and no NaN; 400 problem otherwise."""
    try:
        return STRICT_JSON.decode(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProblemError(MALFORMED_JSON, "the body is not one UTF-8 JSON document") from None




def _object(value: Any, name: str, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(INVALID_REQUEST, "must be a JSON object", field=name)
    extra = [key for key in value if key not in fields]
    if extra:
        shown = [key for key in extra if _SHOWABLE_NAME.fullmatch(key)]
        prefix = "" if name == "(body)" else name + "."
        raise ProblemError(
            INVALID_REQUEST,
            f"unknown field(s) refused; allowed: {', '.join(fields)}",
            field=prefix + shown[0] if shown else name,
        )
    for key in fields:
        if key not in value:
            raise ProblemError(INVALID_REQUEST, "is required", field=key if name == "(body)" else f"{name}.{key}")
    return value


def _string(value: Any, name: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ProblemError(INVALID_REQUEST, f"must be a string matching {pattern.pattern}", field=name)
    return value


class EligibilityService:
    """Catalog and records, loaded once; `answer` is the whole of one decision.

    Every answer first lets the store catch up with imports (`RecordsStore.refresh`); when
    the data changed, every kept body (decision_bodies.py) is dropped, and the key of a kept
    body names the data generation it was built from.
    """

    def __init__(
        self,
        catalog: Catalog,
        store: RecordsStore,
        bodies: DecisionBodies | None = None,
        receipts: ReceiptIssuer | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.bodies = bodies
        # Signs every answer's receipt; kept answers sign theirs through `bodies`.
        self.receipts = receipts
        if bodies is not None:
            bodies.receipts = receipts
        self._benefits: Mapping[str, Benefit] = {b.id: b for b in catalog.benefits}

    def answer(self, request: EligibilityRequest, now: datetime | None = None) -> Decision:
        self._catch_up()
        moment = now or datetime.now(UTC)
        benefit, value, record = self._find(request, local_day(moment, self.catalog.time_zone))
        decision = self._decide(benefit, record, request.locale, moment)
        if self.receipts is None:
            return decision
        receipt = self.receipts.sign(decision, _reference(request.scheme, value), request.device)
        return replace(decision, receipt=receipt)

    def answer_body(self, request: EligibilityRequest, now: datetime | None = None) -> bytes:
        """The response body: exactly the JSON of ``answer(request).to_json()``."""
        moment = now or datetime.now(UTC)
        self._catch_up()
        # The policy's day, not UTC's: a version that starts at local midnight must not be
        # hidden behind an answer kept from the day before.
        day = local_day(moment, self.catalog.time_zone)
        key = (
            request.benefit, request.scheme, request.value, request.locale, day, self.store.generation,
        )
        if self.bodies is not None:
            kept = self.bodies.render(key, moment, request.device)
            if kept is not None:
                return kept
        benefit, value, record = self._find(request, day)
        decision = self._decide(benefit, record, request.locale, moment)
        reference = _reference(request.scheme, value)
        if self.bodies is None:
            if self.receipts is not None:
                decision = replace(decision, receipt=self.receipts.sign(decision, reference, request.device))
            return encode(decision.to_json())
        return self.bodies.keep(
            key, decision, timedelta(hours=benefit.valid_hours), moment, reference, request.device
        )

    def _catch_up(self) -> None:
        if self.store.refresh() and self.bodies is not None:
            self.bodies.clear()

    def _find(
        self, request: EligibilityRequest, day: date
    ) -> tuple[Benefit, str, SubjectRecord | None]:
        """The benefit, the canonical reference and its record (None: no record of this kind)."""
        benefit = self._benefits.get(request.benefit)
        if benefit is None:
            raise ProblemError(UNKNOWN_BENEFIT, "no benefit with this id in the catalog", field="benefit")
        if not benefit.in_force(day):
            raise ProblemError(UNKNOWN_BENEFIT, f"the benefit is not in force on {day}", field="benefit")
        if not accepts(benefit, request.scheme):
            detail = (
                "signed credentials are decided on the kiosk; send the subject reference the "
                "credential names"
                if request.scheme == "credential"
                else "this benefit does not take subjects given with this scheme"
            )
            raise ProblemError(SCHEME_NOT_ACCEPTED, detail, field="subject.scheme")
        try:
            value = canonical_value(request.scheme, request.value)
        except SubjectRefError as error:
            raise ProblemError(INVALID_SUBJECT, error.detail, field=error.field) from None
        record = self.store.lookup(request.scheme, value)
        if record is not None and record.kind != benefit.kind:
            record = None
        return benefit, value, record

    def _decide(
        self, benefit: Benefit, record: SubjectRecord | None, locale: Locale, moment: datetime
    ) -> Decision:
        if record is not None:
            return decide(
                benefit, record.facts, policy_version=self.catalog.version, locale=locale,
                as_of=record.as_of, now=moment,
            )
        decision = decide(benefit, {}, policy_version=self.catalog.version, locale=locale, now=moment)
        criteria = tuple(_no_record_criterion(c, locale) for c in decision.criteria)
        return replace(decision, criteria=criteria)


def _reference(scheme: str, canonical: str) -> bytes:
    """What a receipt's binding hashes (kiosk.core.receipts.binding.subject_reference), from a
    value _find already made canonical."""
    return f"{scheme}:{canonical}".encode()


def _no_record_criterion(result: CriterionResult, locale: Locale) -> CriterionResult:
    return replace(
        result,
        reason=NO_RECORD_REASON.get(locale).format(source=result.source),
        remedy=NO_RECORD_REMEDY.get(locale).format(source=result.source),
    )
