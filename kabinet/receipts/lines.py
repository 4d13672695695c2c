"""The rows of the payment document's main table (Приказ Минстроя России от 26.01.2018
№ 43/пр, «Расчёт размера платы за содержание и ремонт жилого помещения и коммунальные
услуги») and its recalculations, as the billing run stored them."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from kabinet.billing.models import RecalculationKind
from kabinet.money import ZERO


@dataclass(frozen=True)
class ReceiptLine:
    """A service's row: individual and common-house (ОДН) volumes and charges."""

    service: str
    unit: str
    tariff: Decimal
    volume: Decimal
    common_volume: Decimal
    charged: Decimal  # individual + ОДН
    common_charged: Decimal
    recalculation: Decimal
    total: Decimal
    service_id: int
    supplier: str  # who supplies it when not the organisation itself ("" — the organisation)
    resource: str  # metering.Resource of a metered service, else ""
    method: str
    normative: Decimal | None
    coefficient: Decimal | None  # the increasing coefficient (Правила № 354 п. 42)
    coefficient_charged: Decimal  # of ``charged``: the excess the coefficient adds
    tariff_spans: list[dict] | None  # the parts by tariff where it changed within the month
    # Of ``recalculation``: the month's reductions for poor quality (Правила № 354 раздел IX,
    # recalculations of kind «quality») and the executor's fines (ЖК РФ ст. 157 ч. 6, kind
    # «fine»), each in a column of its own; the rest is ``other_recalculation``.
    quality_reduction: Decimal = ZERO
    executor_fine: Decimal = ZERO

    @property
    def individual_charged(self) -> Decimal:
        return self.charged - self.common_charged

    @property
    def other_recalculation(self) -> Decimal:
        return self.recalculation - self.quality_reduction - self.executor_fine


# Charge columns in the order of ReceiptLine's fields.
LINE_FIELDS = (
    "service__name",
    "service__unit",
    "tariff",
    "volume",
    "common_volume",
    "charged",
    "common_charged",
    "recalculation",
    "total",
    "service_id",
    "service__supplier",
    "service__resource",
    "service__method",
    "service__normative",
    "coefficient",
    "coefficient_charged",
    "tariff_spans",
)


@dataclass(frozen=True)
class RecalculationRow:
    service: str
    corrected_month: datetime.date
    reason: str
    amount: Decimal


def with_reductions(lines, recalculations) -> tuple[ReceiptLine, ...]:
    """The lines with their month's reductions for poor quality and executor's fines (the
    recalculations of those kinds charged in the month), which the form shows apart."""
    parts = defaultdict(lambda: [ZERO, ZERO])
    for row in recalculations:
        if row.kind == RecalculationKind.QUALITY:
            parts[row.service_id][0] += row.amount
        elif row.kind == RecalculationKind.FINE:
            parts[row.service_id][1] += row.amount
    if not parts:
        return lines
    return tuple(
        replace(line, quality_reduction=parts[line.service_id][0],
                executor_fine=parts[line.service_id][1])
        if line.service_id in parts
        else line
        for line in lines
    )  # fmt: skip
