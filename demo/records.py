"""The synthetic demo population: >= 50 businesses, >= 50 persons, and tokens that stand for some.

Everything is made up and recognisably so: labels say 演示 / Demo, every USCC and resident ID
number uses region code 99xxxx (no Chinese region has it, so no real entity or person can
match), and the check characters are right (GB 32100 / GB 11643 via python-stdnum). The same
seed gives the same subjects; fact dates are relative to the day they are made.

Facts come from the catalog (see demo_facts): per subject kind one all-passing set; then for
every criterion of every benefit one subject where that criterion fails and one where its fact
is missing; then seeded random mixes. Each subject's expected outcome per benefit is computed
with the same ``decide()`` the service uses, and `demo_subjects` refuses to return a
population that does not show every outcome of every benefit (on record and by token).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from backend.db import SeedSubject, create_database
from backend.subject_ref import IDENTIFIER_SCHEME_BY_KIND, accepts
from demo.facts import (
    DemoSeedError,
    candidate_values,
    failing_change,
    passing_facts,
)
from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Catalog, Criterion
from kiosk.core.credentials import ric, token, uscc
from kiosk.core.decision import decide
from kiosk.core.decision_records import Outcome

__all__ = [
    "DEMO_DEVICE_ID",
    "DEMO_TOKEN",
    "DemoSeedError",
    "DemoSubject",
    "demo_subjects",
    "seed_subjects",
    "write_demo_database",
]

DEMO_TOKEN = "demo-token"
DEMO_DEVICE_ID = "kiosk-demo"  # the kiosk's default device id (kiosk/config.py)
SEED = 20261125
MIN_SUBJECTS_PER_KIND = 50
KIND_LABELS = {"business": ("演示企业", "Demo Business"), "person": ("演示居民", "Demo Resident")}
_SYNTHETIC_REGION = "99"  # first two digits of the region code: no province uses 99


@dataclass(frozen=True, slots=True)
class DemoSubject:
    scheme: str
    value: str
    kind: str
    label: str
    facts: Mapping[str, Any]
    as_of: Mapping[str, str]
    expected: Mapping[str, str]  # benefit id -> outcome, for every benefit the scheme fits
    on_record: bool = True  # False: a valid reference the records do not hold
    record: int = field(default=0, repr=False)  # which record a token stands for

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "value": self.value,
            "kind": self.kind,
            "label": self.label,
            "on_record": self.on_record,
            "expected": dict(self.expected),
            "facts": dict(self.facts),
            "as_of": dict(self.as_of),
        }


def demo_subjects(catalog: Catalog | None = None, *, today: date | None = None) -> list[DemoSubject]:
    """Every demo subject: identifiers first (businesses, persons), then tokens, then two
    valid references that are on no record."""
    catalog = catalog or load_catalog()
    day = today or date.today()
    rng = random.Random(SEED)
    subjects: list[DemoSubject] = []
    for kind in ("business", "person"):
        subjects += _kind_subjects(catalog, kind, day, rng, first_record=len(subjects) + 1)
    subjects += _tokens(catalog, subjects, rng)
    subjects += _unrecorded(catalog, rng, {s.value for s in subjects})
    _verify_coverage(catalog, subjects)
    return subjects


def seed_subjects(subjects: Sequence[DemoSubject]) -> list[SeedSubject]:
    """The records to write: one per identifier subject, with its tokens as extra references."""
    tokens: dict[int, list[tuple[str, str]]] = {}
    for subject in subjects:
        if subject.scheme == "token":
            tokens.setdefault(subject.record, []).append(("token", subject.value))
    return [
        SeedSubject(
            kind=s.kind,
            label=s.label,
            refs=[(s.scheme, s.value), *tokens.get(s.record, [])],
            facts=s.facts,
            as_of=s.as_of,
        )
        for s in subjects
        if s.on_record and s.scheme != "token"
    ]


def write_demo_database(path: Path, catalog: Catalog | None = None) -> list[DemoSubject]:
    """Seed a fresh SQLite file with the demo population; returns the subjects written."""
    subjects = demo_subjects(catalog)
    create_database(path, seed_subjects(subjects))
    return subjects


def write_demo_postgres(url: str, catalog: Catalog | None = None) -> list[DemoSubject]:
    """The same population in a PostgreSQL database (its records replaced)."""
    from backend.pg.seed import create_records

    subjects = demo_subjects(catalog)
    create_records(url, seed_subjects(subjects))
    return subjects


def expected_outcomes(
    catalog: Catalog, kind: str, scheme: str, facts: Mapping[str, Any], as_of: Mapping[str, str]
) -> dict[str, str]:
    return {
        b.id: decide(b, facts, policy_version=catalog.version, locale="en", as_of=as_of).outcome.value
        for b in catalog.benefits
        if b.kind == kind and accepts(b, scheme)
    }


def _kind_subjects(
    catalog: Catalog, kind: str, today: date, rng: random.Random, first_record: int
) -> list[DemoSubject]:
    benefits = [b for b in catalog.benefits if b.kind == kind]
    criteria: list[Criterion] = [c for b in benefits for c in b.criteria]
    candidates = candidate_values(criteria, today)
    passing = passing_facts(criteria, candidates, today)
    variants: list[dict[str, Any]] = [dict(passing)]
    # What each built variant is meant to show, checked against decide() below.
    intended: list[dict[str, Outcome]] = [{b.id: Outcome.ELIGIBLE for b in benefits}]
    for criterion in criteria:
        variants.append({**passing, **failing_change(criterion, passing, candidates, today)})
        intended.append({b.id: Outcome.NOT_ELIGIBLE for b in benefits if criterion in b.criteria})
    for criterion in criteria:
        variants.append({k: v for k, v in passing.items() if k != criterion.facts[0]})
        intended.append({b.id: Outcome.UNDETERMINED for b in benefits if criterion in b.criteria})
    while len(variants) < MIN_SUBJECTS_PER_KIND + 2:
        mix = dict(passing)
        for criterion in rng.sample(criteria, k=min(len(criteria), rng.choice((1, 1, 2)))):
            mix.update(failing_change(criterion, passing, candidates, today))
        if criteria and rng.random() < 0.3:
            mix.pop(rng.choice(criteria).facts[0], None)
        variants.append(mix)
    sources = sorted({c.source_id for c in criteria})
    scheme = IDENTIFIER_SCHEME_BY_KIND[kind]
    subjects = []
    seen: set[str] = set()
    for number, facts in enumerate(variants, start=1):
        as_of = {s: (today - timedelta(days=rng.randint(1, 30))).isoformat() for s in sources}
        value = _unique(kind, rng, facts, seen)
        expected = expected_outcomes(catalog, kind, scheme, facts, as_of)
        meant = intended[number - 1] if number <= len(intended) else {}
        wrong = sorted(b for b, outcome in meant.items() if b in expected and expected[b] != outcome)
        if wrong:
            raise DemoSeedError(
                f"demo {kind} {number:02d} was built to be {meant[wrong[0]].value} for "
                f"{wrong[0]!r} but decide() says {expected[wrong[0]]}"
            )
        subjects.append(
            DemoSubject(
                scheme=scheme,
                value=value,
                kind=kind,
                label=_label(kind, number),
                facts=facts,
                as_of=as_of,
                expected=expected,
                record=first_record + number - 1,
            )
        )
    return subjects


def _tokens(catalog: Catalog, subjects: Sequence[DemoSubject], rng: random.Random) -> list[DemoSubject]:
    """A token for enough records that every benefit taking tokens shows every outcome."""
    chosen: list[DemoSubject] = []
    for benefit in catalog.benefits:
        if not accepts(benefit, "token"):
            continue
        for outcome in Outcome:
            if any(s.expected.get(benefit.id) == outcome.value for s in chosen):
                continue
            match = next(
                (s for s in subjects if s.kind == benefit.kind and s.expected.get(benefit.id) == outcome.value),
                None,
            )
            if match is not None and match not in chosen:
                chosen.append(match)
    for kind in ("business", "person"):  # a few more, so tokens are not all "special"
        chosen += [s for s in subjects if s.kind == kind and s not in chosen][:2]
    tokens = []
    for number, target in enumerate(chosen, start=1):
        value = token.validate(
            token.PREFIX + base64.urlsafe_b64encode(rng.randbytes(18)).rstrip(b"=").decode()
        )
        tokens.append(
            DemoSubject(
                scheme="token",
                value=value,
                kind=target.kind,
                label=f"演示令牌 {number:02d}（{target.label.split(' / ')[0]}）"
                f"/ Demo token {number:02d} ({target.label.split(' / ')[1]})",
                facts=target.facts,
                as_of=target.as_of,
                expected=expected_outcomes(catalog, target.kind, "token", target.facts, target.as_of),
                record=target.record,
            )
        )
    return tokens


def _unrecorded(catalog: Catalog, rng: random.Random, taken: set[str]) -> list[DemoSubject]:
    found = []
    for kind in ("business", "person"):
        scheme = IDENTIFIER_SCHEME_BY_KIND[kind]
        zh, en = KIND_LABELS[kind]
        found.append(
            DemoSubject(
                scheme=scheme,
                value=_unique(kind, rng, {}, taken),
                kind=kind,
                label=f"{zh}（无记录）/ {en} (not on record)",
                facts={},
                as_of={},
                expected={
                    b.id: Outcome.UNDETERMINED.value
                    for b in catalog.benefits
                    if b.kind == kind and accepts(b, scheme)
                },
                on_record=False,
            )
        )
    return found


def _verify_coverage(catalog: Catalog, subjects: Sequence[DemoSubject]) -> None:
    gaps = []
    for benefit in catalog.benefits:
        for scheme in ("uscc", "ric", "token"):
            if not accepts(benefit, scheme):
                continue
            shown = {
                s.expected.get(benefit.id) for s in subjects if s.scheme == scheme and s.on_record
            }
            gaps += [f"{benefit.id}/{scheme}/{o.value}" for o in Outcome if o.value not in shown]
    if gaps:
        raise DemoSeedError(f"demo subjects do not show these outcomes: {', '.join(gaps)}")


def _label(kind: str, number: int) -> str:
    zh, en = KIND_LABELS[kind]
    return f"{zh} {number:02d} / {en} {number:02d}"


def _unique(kind: str, rng: random.Random, facts: Mapping[str, Any], seen: set[str]) -> str:
    while True:
        value = _identifier(kind, rng, facts)
        if value not in seen:
            seen.add(value)
            return value


def _identifier(kind: str, rng: random.Random, facts: Mapping[str, Any]) -> str:
    return _uscc(rng) if kind == "business" else _ric(rng, facts)


def _uscc(rng: random.Random) -> str:
    # Registering authority 9 (market regulation), category 1 (enterprise), region 99xxxx,
    # organisation code: 8 digits and its own GB 11714 check character, then the USCC check.
    region = _SYNTHETIC_REGION + f"{rng.randrange(10_000):04d}"
    body = f"{rng.randrange(10**8):08d}"
    remainder = 11 - sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    organisation = body + {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = "91" + region + organisation
    return uscc.validate(first17 + uscc.calc_check_digit(first17))


def _ric(rng: random.Random, facts: Mapping[str, Any]) -> str:
    born = facts.get("date_of_birth", facts.get("birth_date"))
    if not (isinstance(born, str) and len(born) == 10):
        born = (date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 54))).isoformat()
    region = _SYNTHETIC_REGION + f"{rng.randrange(10_000):04d}"
    first17 = region + born.replace("-", "") + f"{rng.randrange(1000):03d}"
    return ric.validate(first17 + ric.calc_check_digit(first17 + "0"))
