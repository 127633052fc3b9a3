"""What-if for counter staff: the decision made-up facts would get, and never anyone's record.

The form's fields are the facts the benefit's criteria in force on the chosen day read, typed
by the policy's FACTS.md (boolean, date, date or "none", whole number, one of a list). The
answer comes from the same engine as `kiosk-backend policy simulate`: POST /v1/simulate when
the backend answers, else `backend.simulation.Simulator` over the signed bundle's policy held
on the kiosk. A simulation takes facts only (no subject reference can be put in), and nothing
of it is kept: the form lives in the screen and is cleared when staff leave it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from kiosk.core.benefits import Benefit, Catalog
from kiosk.core.catalog import message
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.errors import KioskError
from kiosk.core.policy_dates import DateFieldError, parse_day
from kiosk.core.text import Locale, LocalText
from kiosk.session.checkers import can_finish_offline

if TYPE_CHECKING:
    from kiosk.common.facts_table import FactSpec

# A made-up count is small; an 18-digit number typed into a count field is someone's ID.
MAX_NUMBER = 9999
NONE_WORDS = frozenset({"none", "无", "无记录"})
UNKNOWN = None

OnlineSimulate = Callable[[str, Mapping[str, Any], date | None, Locale], Awaitable[Decision]]


class WhatIfError(KioskError):
    """A field the staff filled in cannot be used; ``field`` names it (the fact, or "on")."""

    def __init__(self, field: str, text: LocalText) -> None:
        super().__init__(f"{field}: {text.get('en')}", text)
        self.field = field


@dataclass(frozen=True, slots=True)
class FactField:
    """One line of the form: a fact, its type, and the criteria that read it."""

    name: str
    kind: str  # boolean | date | date_or_none | integer | choice
    choices: tuple[str, ...]
    read_by: tuple[LocalText, ...]

    @property
    def typed(self) -> bool:
        """Typed in (a date or a number) rather than picked from a few answers."""
        return self.kind in ("date", "date_or_none", "integer")


def fields_for(benefit: Benefit, specs: Mapping[str, FactSpec], day: date) -> list[FactField]:
    """The facts the benefit's criteria in force on ``day`` read, in the criteria's order.

    A fact FACTS.md does not declare is left out: a value of no known type would be refused.
    """
    readers: dict[str, list[LocalText]] = {}
    for criterion in benefit.criteria_on(day):
        for name in (*criterion.facts, *criterion.date_facts):
            readers.setdefault(name, [])
            if criterion.title not in readers[name]:
                readers[name].append(criterion.title)
    return [
        FactField(name, specs[name].kind, specs[name].choices, tuple(titles))
        for name, titles in readers.items()
        if name in specs
    ]


def parse_typed(field: FactField, text: str) -> Any:
    """A typed-in value: empty is "not known" (None); otherwise a date or a whole number."""
    value = text.strip()
    if not value:
        return UNKNOWN
    if field.kind == "integer":
        if not value.isdigit() or int(value) > MAX_NUMBER:
            raise WhatIfError(field.name, message("whatif.error.number", field=field.name, most=MAX_NUMBER))
        return int(value)
    if field.kind == "date_or_none" and value.lower() in NONE_WORDS:
        return "none"
    try:
        return parse_day(value).isoformat()
    except DateFieldError:
        key = "whatif.error.date_or_none" if field.kind == "date_or_none" else "whatif.error.date"
        raise WhatIfError(field.name, message(key, field=field.name)) from None


def parse_on(text: str) -> date:
    try:
        return parse_day(text.strip())
    except DateFieldError:
        raise WhatIfError("on", message("whatif.error.on")) from None


@dataclass(frozen=True, slots=True)
class WhatIfAnswer:
    decision: Decision
    online: bool


class WhatIf:
    """Runs one simulation: online when the backend answers, else offline on the kiosk."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        specs: Callable[[], Mapping[str, FactSpec]],
        online: OnlineSimulate | None = None,
    ) -> None:
        self._catalog = catalog
        self._read_specs = specs
        self._specs: Mapping[str, FactSpec] | None = None
        self._online = online

    @property
    def specs(self) -> Mapping[str, FactSpec]:
        """FACTS.md's types, read when staff first open the form (not at the kiosk's start)."""
        if self._specs is None:
            self._specs = self._read_specs()
        return self._specs

    @property
    def catalog(self) -> Catalog:
        return self._catalog()

    def offered(self, day: date) -> Sequence[Benefit]:
        return self.catalog.offered(day)

    def today(self) -> date:
        return self.catalog.day_of(datetime.now(UTC))

    def fields(self, benefit_id: str, day: date) -> list[FactField]:
        benefit = self.catalog.get(benefit_id)
        return fields_for(benefit, self.specs, day) if benefit is not None else []

    async def run(self, benefit_id: str, facts: Mapping[str, Any], on: date, locale: Locale) -> WhatIfAnswer:
        # Facts left "not known" are not sent: absent is what the rules read as unknown.
        given = {name: value for name, value in facts.items() if value is not UNKNOWN}
        # Imported when staff first run one: nothing of it is needed for the kiosk to start.
        from backend.simulation import SimulationError, Simulator

        simulator = Simulator(self.catalog, self.specs)
        try:
            simulator.check_facts(given)
        except SimulationError as error:
            raise WhatIfError(error.field, message("whatif.error.fact", field=error.field)) from None
        if self._online is not None:
            try:
                return WhatIfAnswer(await self._online(benefit_id, given, on, locale), online=True)
            except KioskError as error:
                if not can_finish_offline(error):
                    raise
        try:
            decision = simulator.run(benefit_id, given, on=on, locale=locale)
        except SimulationError as error:
            raise WhatIfError(error.field, message("whatif.error.not_in_force", day=on.isoformat())) from None
        return WhatIfAnswer(dataclasses.replace(decision, mode=Mode.OFFLINE), online=False)
