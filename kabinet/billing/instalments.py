"""Instalment plans (рассрочка платы, Правила предоставления коммунальных услуг, утв.
Постановлением Правительства РФ от 06.05.2011 № 354, п. 72): a utility's charge of one month
paid in equal shares over up to 12 months, with interest on what is not yet due.

How the money moves (docs/billing-law.md, «Instalment plans»): in the plan's first month — the
month whose charge it spreads — the run charges the service in full as usual, and the
«Рассрочка платы» line takes the plan's amount off and adds back its first share; every later
month of the plan that line is the month's share, and «Проценты за рассрочку» the interest. All
are charge lines, so the ledger (closing = opening + charges + recalculations + penalties −
payments) holds unchanged, and what is not yet due is in no month's debt: the penalties never
count it. The shares add up to the amount exactly (``schedule``).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q

from kabinet.billing.law import penalty_law
from kabinet.billing.lines import Line
from kabinet.billing.models import (
    NOT_INSTALLABLE,
    CalculationMethod,
    Charge,
    InstalmentPlan,
    Service,
)
from kabinet.billing.shipped_law import INSTALMENT_MARGIN, INSTALMENT_RATE_CAPS
from kabinet.formats import format_money, format_number, month_name
from kabinet.money import KOPECK, ZERO, round_money
from kabinet.months import add_months

# Interest per month: the yearly rate over 12 months (% → share).
MONTHS_IN_YEAR = Decimal(12)
HUNDRED = Decimal(100)
EXCESS = Decimal("1.25")  # п. 72: a charge «превышающ[ий] более чем на 25 процентов»
SERVICE_NAMES = {
    CalculationMethod.INSTALMENT: "Рассрочка платы",
    CalculationMethod.INSTALMENT_INTEREST: "Проценты за рассрочку",
}


@dataclass(frozen=True)
class InstalmentMonth:
    """One month of a plan: its share of the amount, the interest and what is left after it."""

    number: int  # 1 … months
    month: datetime.date
    share: Decimal
    interest: Decimal
    remaining: Decimal  # of the amount, not yet due after this month's share

    @property
    def to_pay(self) -> Decimal:
        """What the plan asks of this month's payment document: the share and its interest."""
        return self.share + self.interest


def schedule(
    amount: Decimal, months: int, rate: Decimal, first_month: datetime.date
) -> tuple[InstalmentMonth, ...]:
    """The plan month by month. Equal shares of ``amount`` cut to the kopeck, the last one
    taking what the cutting left, so the shares add up to the amount exactly and none is
    negative. The interest of a month is ``rate`` / 12 of what was not yet due during the month
    before it (the amount less the shares due so far), rounded half up to the kopeck; the first
    month has none — its share is due with the month's own bill, and nothing was deferred yet.

    Правила № 354 п. 72 fixes the rate's cap, not how interest accrues; this is the ordinary
    monthly accrual on the outstanding balance (docs/billing-law.md says so)."""
    share = (amount / months).quantize(KOPECK, ROUND_DOWN)
    monthly_rate = rate / HUNDRED / MONTHS_IN_YEAR
    rows, left = [], amount
    for number in range(1, months + 1):
        interest = ZERO if number == 1 else round_money(left * monthly_rate)
        this_share = share if number < months else left
        left -= this_share
        rows.append(
            InstalmentMonth(number, add_months(first_month, number - 1), this_share, interest, left)
        )
    return tuple(rows)


def plan_schedule(plan: InstalmentPlan) -> tuple[InstalmentMonth, ...]:
    return schedule(plan.amount, plan.months, plan.rate, plan.period.month)


def month_of(plan: InstalmentPlan, month: datetime.date) -> InstalmentMonth | None:
    """The plan's row of ``month`` (None outside the plan)."""
    for row in plan_schedule(plan):
        if row.month == month:
            return row
    return None


def max_rate(organization, day: datetime.date) -> Decimal | None:
    """The highest interest a plan granted on ``day`` may bear (Правила № 354 п. 72: the key
    rate in force that day, the organisation's own rates included, + 3 %; in 2022 the cap of
    Постановление № 763). None before the first known key rate."""
    for first, last, value, _source in INSTALMENT_RATE_CAPS:
        if datetime.date.fromisoformat(first) <= day <= datetime.date.fromisoformat(last):
            return Decimal(value)
    key_rate = penalty_law(organization).key_rate(day)
    return None if key_rate is None else key_rate + Decimal(INSTALMENT_MARGIN)


def plan_errors(plan: InstalmentPlan) -> dict[str, str]:
    """What is wrong with a plan staff enter, by field (empty: nothing)."""
    errors = {}
    if not (plan.period_id and plan.account_id and plan.service_id):
        return errors
    organization = plan.period.organization
    if plan.account.organization_id != organization.pk:
        errors["account"] = "Лицевой счёт другой организации."
    if plan.service.organization_id != organization.pk:
        errors["service"] = "Услуга другой организации."
    elif plan.service.method in NOT_INSTALLABLE:
        errors["service"] = (
            "Рассрочка предоставляется по коммунальной услуге (Правила № 354 п. 72)."
        )
    if plan.rate is not None and plan.granted_on:
        cap = max_rate(organization, plan.granted_on)
        if cap is None:
            errors["granted_on"] = "На эту дату ключевая ставка неизвестна."
        elif plan.rate > cap:
            errors["rate"] = (
                f"Не выше {format_number(cap)} % годовых: ключевая ставка на "
                f"{plan.granted_on:%d.%m.%Y} + 3 % (Правила № 354 п. 72)."
            )
    if plan.amount is not None and "service" not in errors and "account" not in errors:
        line = Charge.objects.filter(
            period=plan.period_id, account=plan.account_id, service=plan.service_id
        ).first()
        if line is None:
            errors["amount"] = (
                f"За {month_name(plan.period.month)} услуга не начислена: сначала выполните расчёт."
            )
        elif plan.amount > line.total:
            errors["amount"] = f"Больше начисленного за месяц ({format_money(line.total)} ₽)."
    return errors


def instalment_services(organization) -> dict[str, Service]:
    """The organisation's services whose lines the plans charge, made when first needed."""
    found = {
        service.method: service
        for service in Service.objects.filter(
            organization=organization, method__in=list(SERVICE_NAMES)
        )
    }
    for method, name in SERVICE_NAMES.items():
        if method not in found:
            found[method] = Service.objects.create(
                organization=organization, name=name, method=method, position=900
            )
    return found


def plans_in(organization, month: datetime.date, account_ids=None) -> list[InstalmentPlan]:
    """The plans with a month in ``month``: granted within the 12 months up to it."""
    plans = InstalmentPlan.objects.filter(
        period__organization=organization,
        period__month__gt=add_months(month, -12),
        period__month__lte=month,
    ).select_related("period", "service")
    if account_ids is not None:
        plans = plans.filter(account__in=account_ids)
    return [plan for plan in plans if month_of(plan, month) is not None]


def add_instalments(period, result, account_ids=None) -> None:
    """The run's lines of the plans for ``period``: «Рассрочка платы» (the plan's amount taken
    off in its first month, each month's share added) and «Проценты за рассрочку»."""
    plans = plans_in(period.organization, period.month, account_ids)
    if not plans:
        return
    services = instalment_services(period.organization)
    spread = services[CalculationMethod.INSTALMENT].pk
    interest = services[CalculationMethod.INSTALMENT_INTEREST].pk
    for plan in plans:
        row = month_of(plan, period.month)
        deferred = plan.amount if row.number == 1 else ZERO
        _add(result, plan.account_id, spread, row.share - deferred)
        if row.interest:
            _add(result, plan.account_id, interest, row.interest)
        line = result.lines.get((plan.account_id, plan.service_id))
        if row.number == 1 and (line is None or line.total < plan.amount):
            result.problems.append(
                f"Рассрочка по ЛС {plan.account} («{plan.service}») больше начисленного за месяц."
            )


def _add(result, account: int, service: int, amount: Decimal) -> None:
    line = result.lines.get((account, service))
    if line is None:
        line = result.lines[account, service] = Line(account, service, ZERO, ZERO, "")
    line.charged += amount


@dataclass(frozen=True)
class Candidate:
    """A charge that entitles the resident to a plan: more than 25 % above the same month of
    the year before (Правила № 354 п. 72)."""

    account_id: int
    account: str
    service_id: int
    service: str
    charged: Decimal
    year_before: Decimal


def instalment_candidates(period) -> list[Candidate]:
    """``period``'s charges of utilities more than 25 % above the same service's charge of the
    same month a year before, on accounts without a plan for them yet — whom the organisation
    must offer a plan (the Ministry of Construction's reading of п. 72, news.mail.ru
    04.02.2026: «превышает на 25 % сумму аналогичного периода прошлого года»)."""
    year_before = add_months(period.month, -12)
    lines = Charge.objects.filter(period__organization=period.organization_id).exclude(
        service__method__in=NOT_INSTALLABLE
    )
    before = {
        (account, service): charged
        for account, service, charged in lines.filter(period__month=year_before).values_list(
            "account", "service", "charged"
        )
    }
    granted = set(InstalmentPlan.objects.filter(period=period).values_list("account", "service"))
    found = []
    for account, number, service, name, charged in (
        lines.filter(period=period)
        .filter(~Q(charged=0))
        .order_by("account__number", "service__position")
        .values_list("account", "account__number", "service", "service__name", "charged")
    ):
        last_year = before.get((account, service))
        entitled = last_year and last_year > 0 and charged > last_year * EXCESS
        if entitled and (account, service) not in granted:
            found.append(Candidate(account, number, service, name, charged, last_year))
    return found
