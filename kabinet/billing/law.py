"""The dated rules of law that penalties and due dates follow, read from the database once per
calculation: the Bank of Russia's key rates, rate caps, moratoria, the statutory due day
(``PenaltyRule`` rows shipped by data migrations), the editions of the penalty's scale
(``PenaltyScale``), the payment document's deadline and the Russian production calendar.

The calendar comes from the ``holidays`` package (public holidays of ТК РФ ст. 112 and the
government's yearly transfers of days off); docs/billing-law.md says why and what it covers.
"""

import datetime
from decimal import Decimal
from functools import cache

import holidays

from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing import penalty_rules
from kabinet.billing.models import (
    CapitalRepairDueDay,
    CapitalRepairFundKind,
    KeyRate,
    PenaltyRule,
    PenaltyRuleKind,
    PenaltyScale,
)


@cache
def _russian_calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("RU")


def is_working_day(day: datetime.date) -> bool:
    """A working day of the Russian production calendar (weekends, public holidays and
    transferred days off are not; a Saturday made a working day is)."""
    return _russian_calendar().is_working_day(day)


def penalty_law(
    organization=None, *, fixed_rate: Decimal | None = None
) -> penalty_rules.PenaltyLaw:
    """The rules in force for ``organization`` (its own key rates added to the shipped ones;
    on the same date its own wins), or only the shipped ones."""
    rates = dict(
        KeyRate.objects.filter(organization__isnull=True).values_list("valid_from", "rate")
    )
    if organization is not None:
        rates.update(
            KeyRate.objects.filter(organization=organization).values_list("valid_from", "rate")
        )
    caps, moratoria, due_days = [], [], []
    for rule in PenaltyRule.objects.order_by("first_day"):
        if rule.kind == PenaltyRuleKind.RATE_CAP:
            caps.append(penalty_rules.RateCap(rule.first_day, rule.last_day, rule.value))
        elif rule.kind == PenaltyRuleKind.MORATORIUM:
            moratoria.append(
                penalty_rules.Moratorium(rule.first_day, rule.last_day, rule.arisen_before)
            )
        elif rule.kind == PenaltyRuleKind.DUE_DAY:
            due_days.append(penalty_rules.DueDay(rule.first_day, int(rule.value)))
    return penalty_rules.PenaltyLaw(
        key_rates=tuple(rates.items()),
        caps=tuple(caps),
        moratoria=tuple(moratoria),
        due_days=tuple(due_days),
        scales=penalty_scales(),
        working_day=is_working_day,
        fixed_rate=fixed_rate,
    )


def penalty_scales() -> tuple[penalty_rules.Scale, ...]:
    """The editions of ЖК РФ ст. 155 ч. 14 (``PenaltyScale`` rows, shipped)."""
    return tuple(
        penalty_rules.Scale(*row)
        for row in PenaltyScale.objects.order_by("valid_from").values_list(
            "valid_from", "valid_to", "free_days", "fraction", "step_day", "step_fraction"
        )
    )


def due_date(organization, billed_month: datetime.date) -> datetime.date:
    """The last day to pay for ``billed_month`` — the one date the penalties count from and
    the receipt's «Оплатить до» shows (ЖК РФ ст. 155 ч. 1, ГК РФ ст. 193)."""
    due_days = tuple(
        penalty_rules.DueDay(first_day, int(value))
        for first_day, value in PenaltyRule.objects.filter(
            kind=PenaltyRuleKind.DUE_DAY, first_day__lte=billed_month
        ).values_list("first_day", "value")
    )
    law = penalty_rules.PenaltyLaw(due_days=due_days, working_day=is_working_day)
    return pcalc.due_date(billed_month, organization.payment_due_day, law)


def document_deadline(billed_month: datetime.date) -> datetime.date | None:
    """The last day to deliver the payment document for ``billed_month`` to residents (ЖК РФ
    ст. 155 ч. 2 п. 1, moved by ГК РФ ст. 193), or ``None`` for a month before the rule: the
    date was then the contract's, which Kabinet does not keep."""
    document_days = tuple(
        penalty_rules.DueDay(first_day, int(value))
        for first_day, value in PenaltyRule.objects.filter(
            kind=PenaltyRuleKind.DOCUMENT_DAY, first_day__lte=billed_month
        ).values_list("first_day", "value")
    )
    law = penalty_rules.PenaltyLaw(document_days=document_days, working_day=is_working_day)
    return pcalc.document_deadline(billed_month, law)


def capital_repair_due_days(organization) -> tuple[pcalc.RegionalDueDay, ...]:
    """The region's own due dates for contributions to the regional operator, as the
    organisation's staff entered them (``CapitalRepairDueDay``)."""
    return tuple(
        pcalc.RegionalDueDay(first, last, day)
        for first, last, day in CapitalRepairDueDay.objects.filter(
            organization=organization
        ).values_list("valid_from", "valid_to", "day")
    )


def capital_repair_due_date(organization, fund, billed_month: datetime.date) -> datetime.date:
    """The last day to pay the capital repair contribution of ``billed_month`` for a house
    with ``fund``: the region's date where its law sets one for the regional operator's account
    (ЖК РФ ст. 171 ч. 1), else — and always for a special account (ч. 2) — the date of the
    rest of the bill (``due_date``)."""
    if fund is not None and fund.kind == CapitalRepairFundKind.REGIONAL_OPERATOR:
        law = penalty_rules.PenaltyLaw(working_day=is_working_day)
        regional = pcalc.regional_due_date(billed_month, capital_repair_due_days(organization), law)
        if regional is not None:
            return regional
    return due_date(organization, billed_month)
