"""What the billing workflows share: the error staff are shown, a period's lines as the run
computes them in memory (``run``, ``penalties``), the columns of a stored charge line and the
houses that collect capital repair contributions."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from kabinet.billing import calculation as calc
from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing.models import (
    CapitalRepairFund,
)
from kabinet.money import ZERO

CHARGE_FIELDS = [
    "period", "account", "service", "tariff", "volume", "basis", "common_volume", "charged",
    "common_charged", "recalculation", "total",
]  # fmt: skip


class BillingError(Exception):
    """Staff asked for something the period's state does not allow; the message says why."""


@dataclass(slots=True)
class Line:
    account: int
    service: int
    tariff: Decimal
    volume: Decimal
    basis: str
    common_volume: Decimal = ZERO
    common_charged: Decimal = ZERO
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO
    coefficient: Decimal | None = None
    coefficient_charged: Decimal = ZERO  # part of ``charged``
    split: tuple[calc.SplitLine, ...] = ()  # by tariff where one changed within the month
    days: int = 0  # the line's days, where split
    inputs: str | None = None  # ``Charge.inputs`` as JSON text (billing.explanation)

    @property
    def total(self) -> Decimal:
        return self.charged + self.recalculation


@dataclass
class Calculation:
    """A period's lines computed in memory (not yet written)."""

    lines: dict[tuple[int, int], Line] = field(default_factory=dict)
    penalties: dict[int, list[pcalc.PenaltyLine]] = field(default_factory=dict)
    # ЖК РФ ст. 155 ч. 14.1: the penalty on capital repair contributions, a stream of its own
    capital_repair_penalties: dict[int, list[pcalc.PenaltyLine]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    accounts: int = 0
    # (house, resource) → the common-house volume above the normative that no one was charged
    # (Правила № 354 п. 44: the УК bears it)
    common_excess: dict[tuple[int, str], Decimal] = field(default_factory=dict)
    # the houses' common-house figures (``HouseFigures`` rows, unsaved), per house and resource
    house_figures: list = field(default_factory=list)


@dataclass
class RunSummary:
    """What a run computed, added up over its parts (``Calculation``s, which it does not keep:
    a run's memory is one part's)."""

    accounts: int = 0
    lines: int = 0
    penalty_lines: int = 0
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO
    problems: list[str] = field(default_factory=list)  # each once, in the order found
    # (house, resource) → the common-house volume above the normative (``Calculation``'s)
    common_excess: dict[tuple[int, str], Decimal] = field(default_factory=dict)

    def add(self, result: Calculation) -> None:
        self.accounts += result.accounts
        self.lines += len(result.lines)
        self.penalty_lines += sum(
            len(lines)
            for stream in (result.penalties, result.capital_repair_penalties)
            for lines in stream.values()
        )
        for line in result.lines.values():
            self.charged += line.charged
            self.recalculation += line.recalculation
        self._add_problems(result.problems)
        self.common_excess.update(result.common_excess)

    def add_stored(self, stored: dict) -> None:
        """Add a part's summary as ``as_stored`` kept it."""
        self.accounts += stored["accounts"]
        self.lines += stored["lines"]
        self.penalty_lines += stored["penalty_lines"]
        self.charged += Decimal(stored["charged"])
        self.recalculation += Decimal(stored["recalculation"])
        self._add_problems(stored["problems"])
        for house, resource, volume in stored["common_excess"]:
            self.common_excess[house, resource] = Decimal(volume)

    def as_stored(self) -> dict:
        """This summary as JSON (``BillingRunPart.summary``)."""
        return {
            "accounts": self.accounts,
            "lines": self.lines,
            "penalty_lines": self.penalty_lines,
            "charged": str(self.charged),
            "recalculation": str(self.recalculation),
            "problems": self.problems,
            "common_excess": [
                [house, resource, str(volume)]
                for (house, resource), volume in self.common_excess.items()
            ],
        }

    @property
    def total(self) -> Decimal:
        return self.charged + self.recalculation

    def _add_problems(self, problems) -> None:
        # Each part reads the organisation's services and tariffs: a service without a
        # tariff is found by every part, and said once.
        known = set(self.problems)
        self.problems.extend(problem for problem in dict.fromkeys(problems) if problem not in known)


def capital_repair_houses(organization, houses=None) -> frozenset[int]:
    """The organisation's houses (or those of ``houses``) that collect capital repair
    contributions through it."""
    funds = CapitalRepairFund.objects.filter(house__organization=organization)
    if houses is not None:
        funds = funds.filter(house__in=houses)
    return frozenset(funds.values_list("house", flat=True))


@dataclass(frozen=True)
class AccountRow:
    """An account as the run reads it: one row of one query, no model instance."""

    pk: int
    house: int
    premise: int
    area: Decimal
    ownership: str
    share: Decimal
    residents: int
    owners: int
    opened_on: datetime.date | None
    closed_on: datetime.date | None


def at_tariffs(line: Line, volume: Decimal) -> Decimal:
    """What ``volume`` costs at the line's tariffs, unrounded (each tariff for its days)."""
    if not line.split:
        return line.tariff * volume
    return sum((part.tariff * volume * part.days / line.days for part in line.split), ZERO)
