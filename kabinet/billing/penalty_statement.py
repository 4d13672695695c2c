"""«Расчёт пени» of one personal account: the penalty on its real history up to a chosen day,
as a document for a court claim (the staff page, PDF, XLSX) — and the legal basis of every line,
read from the dated law rows (``KeyRate``, ``PenaltyRule``) rather than written here.

The figures are the engine's (``penalty_calculation.penalty_lines``) over the whole history, cut
at month ends like the monthly billing run stores them: where the run's rate of the unpaid debt
(the key rate on its month's last day) equals the rate on the chosen day, every line agrees with the
stored one to the kopeck. Otherwise the statement follows ЖК РФ ст. 155 ч. 14: the rate on the
day of payment, for debt still unpaid the rate on the day of the calculation."""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from kabinet.billing import penalty_calculation as pcalc
from kabinet.billing import penalty_rules
from kabinet.billing.debts import capital_repair_history, penalty_history
from kabinet.billing.law import penalty_law
from kabinet.billing.models import (
    CapitalRepairDueDay,
    CapitalRepairFund,
    CapitalRepairFundKind,
    KeyRate,
    PenaltyBasis,
    PenaltyRule,
    PenaltyRuleKind,
    PenaltyScale,
)
from kabinet.billing.penalties import regional_due_dates
from kabinet.formats import format_number
from kabinet.money import ZERO

STATUTE = (
    "ЖК РФ ст. 155 ч. 14: лица, несвоевременно и (или) не полностью внёсшие плату за жилое "
    "помещение и коммунальные услуги, уплачивают пени в размере 1/300 ставки рефинансирования "
    "(ключевой ставки) Банка России, действующей на день фактической оплаты, от не выплаченной в "
    "срок суммы за каждый день просрочки начиная с 31-го дня, следующего за днём наступления "
    "установленного срока оплаты, по 90-й день; начиная с 91-го дня — 1/130 ставки"
)
CAPITAL_REPAIR_STATUTE = (
    "ЖК РФ ст. 155 ч. 14.1: собственники помещений, несвоевременно и (или) не полностью "
    "уплатившие взносы на капитальный ремонт, уплачивают пени в размере 1/300 ставки "
    "рефинансирования (ключевой ставки) Банка России, действующей на день фактической оплаты, от "
    "не выплаченной в срок суммы за каждый день просрочки начиная со следующего дня после "
    "наступления установленного срока оплаты по день фактической оплаты включительно"
)
DUE_DATE = (
    "Срок оплаты: ЖК РФ ст. 155 ч. 1 — до {day}-го числа месяца, следующего за истекшим "
    "(договор управления); срок, выпавший на нерабочий день, переносится на ближайший "
    "рабочий день (ГК РФ ст. 193)"
)
METHOD = (
    "Оплата погашает долг за месяц, который она называет, остаток и оплата без месяца — самый "
    "ранний долг (ГК РФ ст. 319.1); день оплаты — день просрочки; неоплаченный долг — по "
    "ставке на день расчёта. Пени строки = долг × дней × ставка ÷ 100 × доля ставки "
    "(1/300, 1/130), с округлением до копейки"
)


# ч. 14.1's rules as the table names them (the moratoria read as ч. 14's do)
CAPITAL_REPAIR_LABELS = {
    penalty_rules.KEY_RATE: "ключевая ставка (ЖК РФ ст. 155 ч. 14.1)",
    penalty_rules.RATE_CAP: "ч. 14.1, ставка не выше предельной (ПП РФ № 474, № 329)",
}


@dataclass(frozen=True)
class Basis:
    """One act the calculation applies, numbered for the table's references."""

    number: int
    text: str


@dataclass(frozen=True)
class StatementLine:
    """A range of days of one month's debt with the same debt, rate, fraction and rule."""

    debt_month: datetime.date
    due: datetime.date
    first: datetime.date
    last: datetime.date
    debt: Decimal
    rate: Decimal
    fraction: int
    rule: str
    amount: Decimal
    basis: int | None  # the number of the rate's (or moratorium's) source in the bases
    capital_repair: bool = False  # a line of ч. 14.1 (contributions), not of ч. 14

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def first_overdue_day(self) -> int:
        return (self.first - self.due).days

    @property
    def rule_label(self) -> str:
        if self.capital_repair and self.rule in CAPITAL_REPAIR_LABELS:
            return CAPITAL_REPAIR_LABELS[self.rule]
        return dict(PenaltyBasis.choices).get(self.rule, self.rule)

    @property
    def is_moratorium(self) -> bool:
        return self.rule == penalty_rules.MORATORIUM


@dataclass(frozen=True)
class DebtMonth:
    month: datetime.date
    due: datetime.date
    lines: list[StatementLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass(frozen=True)
class PenaltyStatement:
    account: object
    organization: object
    to: datetime.date
    months: list[DebtMonth]
    bases: list[Basis]
    # «Расчёт пени» for a court claim: the ч. 14.1 penalty on capital repair contributions, a
    # block of its own with its own total (None: no such penalty up to ``to``)
    capital_repair: "PenaltyStatement | None" = None

    @property
    def total(self) -> Decimal:
        """This block's total (ч. 14's; the ч. 14.1 block's is ``capital_repair.total``)."""
        return sum((month.total for month in self.months), ZERO)

    @property
    def grand_total(self) -> Decimal:
        repair = self.capital_repair.total if self.capital_repair else ZERO
        return self.total + repair

    @property
    def first(self) -> datetime.date | None:
        """The first day of the table, both blocks (None: no penalty up to ``to``)."""
        firsts = [month.lines[0].first for month in self.months]
        if self.capital_repair and self.capital_repair.first:
            firsts.append(self.capital_repair.first)
        return min(firsts, default=None)

    @property
    def lines(self) -> list[StatementLine]:
        return [line for month in self.months for line in month.lines]


def penalty_statement(account, *, to: datetime.date) -> PenaltyStatement:
    """The penalty of ``account`` from its first day of delay to ``to`` (the day of the
    calculation) on the debts of its closed months and its payments up to ``to``: ЖК РФ
    ст. 155 ч. 14's on the principal debt and, as ``capital_repair``, ч. 14.1's on the
    contributions to capital repair (against the payments to their payee), with their bases
    numbered in one list."""
    organization = account.organization
    law = penalty_law(organization)
    debts, payments = penalty_history(account, to=to, law=law)
    sources = _Sources(organization, to, STATUTE)
    statement = statement_of(
        _engine_lines(debts, payments, to, law), account=account, to=to, sources=sources
    )
    debts, payments = capital_repair_history(account, to=to, law=law)
    regional_due_dates({account.pk: debts}, organization, law)
    repair_lines = _engine_lines(
        debts, payments, to, law, fraction_of=pcalc.capital_repair_fraction
    )
    if not repair_lines:
        return statement
    sources.add(CAPITAL_REPAIR_STATUTE)
    repair = statement_of(
        repair_lines, account=account, to=to, capital_repair=True, sources=sources
    )
    return replace(statement, capital_repair=repair, bases=sources.bases)


def _engine_lines(debts, payments, to, law, fraction_of=None) -> list:
    """The engine's lines from the first day after the earliest due date to ``to``, cut at
    month ends, by debt month."""
    lines = []
    if debts and law.key_rates:
        first = min(debt.due for debt in debts) + datetime.timedelta(days=1)
        if first <= to:
            lines = pcalc.penalty_lines(debts, ZERO, payments, first, to, law,
                                        fraction_of=fraction_of)  # fmt: skip
    return sorted(pcalc.cut_at_month_ends(lines), key=lambda line: (line.debt_month, line.first))


def statement_of(
    lines, *, account, to: datetime.date, capital_repair: bool = False, sources=None
) -> PenaltyStatement:
    """``lines`` (the engine's, or ``Penalty`` rows as the billing run stored them) grouped by
    debt month, each with the number of its legal basis; the bases listed as the law rows
    name them. With ``capital_repair`` the lines are ч. 14.1's (contributions to capital
    repair), and so are the statute and the rules named. ``sources``: the bases of another
    block of the same document, to go on numbering them."""
    organization = account.organization
    if sources is None:
        statute = CAPITAL_REPAIR_STATUTE if capital_repair else STATUTE
        sources = _Sources(organization, to, statute)
    lines = [replace(_line(line), capital_repair=capital_repair) for line in lines]
    if lines:
        months = sorted({line.debt_month for line in lines})
        sources.due_dates(organization, months)
        if capital_repair:
            sources.regional_due_dates(account, months)
        else:
            sources.earlier_scales(lines)
    months: dict[datetime.date, list[StatementLine]] = {}
    for line in lines:
        months.setdefault(line.debt_month, []).append(replace(line, basis=sources.basis_of(line)))
    return PenaltyStatement(
        account=account,
        organization=organization,
        to=to,
        months=[DebtMonth(month, rows[0].due, rows) for month, rows in sorted(months.items())],
        bases=sources.bases,
    )


def _line(line) -> StatementLine:
    if isinstance(line, pcalc.PenaltyLine):
        return StatementLine(line.debt_month, line.due, line.first, line.last, line.debt,
                             line.rate, line.fraction, line.rule, line.amount, None)  # fmt: skip
    return StatementLine(line.debt_month, line.due_date, line.date_from, line.date_to, line.debt,
                         line.rate, line.fraction, line.rule, line.amount, None)  # fmt: skip


class _Sources:
    """The bases of a calculation, numbered in the order the table first needs them: the
    statute first, then each key rate, cap and moratorium as their rows name them."""

    def __init__(self, organization, to: datetime.date, statute: str = STATUTE):
        self.to = to
        self.bases = [Basis(1, statute)]
        self._numbers: dict[object, int] = {}
        rates = {
            valid_from: (rate, source)
            for valid_from, rate, source in KeyRate.objects.filter(organization__isnull=True)
            .filter(valid_from__lte=to)
            .values_list("valid_from", "rate", "source")
        }
        rates.update(
            (valid_from, (rate, source or "установлена организацией"))
            for valid_from, rate, source in KeyRate.objects.filter(
                organization=organization, valid_from__lte=to
            ).values_list("valid_from", "rate", "source")
        )
        self._rates = sorted(rates.items())
        self._rules = list(PenaltyRule.objects.order_by("first_day"))

    def add(self, text: str) -> int:
        """A basis that no line refers to by number (a statute)."""
        return self._number(("text", text), text)

    def _number(self, key, text: str) -> int:
        if key not in self._numbers:
            self._numbers[key] = len(self.bases) + 1
            self.bases.append(Basis(self._numbers[key], text))
        return self._numbers[key]

    def basis_of(self, line: StatementLine) -> int | None:
        if line.rule == penalty_rules.MORATORIUM:
            rule = self._rule(PenaltyRuleKind.MORATORIUM, line.first)
        elif line.rule == penalty_rules.RATE_CAP:
            rule = self._rule(PenaltyRuleKind.RATE_CAP, line.first, value=line.rate)
        else:
            return self._key_rate(line)
        if rule is None:
            return None
        text = f"{rule.get_kind_display().capitalize()} {_days(rule)}: {rule.source}"
        return self._number(("rule", rule.pk), text)

    def _rule(self, kind, day, value=None) -> PenaltyRule | None:
        for rule in self._rules:
            covers = rule.first_day <= day and (rule.last_day is None or day <= rule.last_day)
            if rule.kind == kind and covers and (value is None or rule.value == value):
                return rule
        return None

    def _key_rate(self, line: StatementLine) -> int | None:
        """The key rate in force on a day of payment of the line's debt (the line's last day
        to the day of the calculation) with the line's rate: the latest such decision."""
        found = None
        for index, (valid_from, (rate, source)) in enumerate(self._rates):
            following = self._rates[index + 1][0] if index + 1 < len(self._rates) else None
            in_force_after = following is None or following > line.last
            if rate == line.rate and valid_from <= self.to and in_force_after:
                found = (valid_from, rate, source)
        if found is None:
            return None
        valid_from, rate, source = found
        name = (
            "Ключевая ставка"
            if valid_from >= penalty_rules.KEY_RATE_FROM
            else "Ставка рефинансирования"
        )
        text = (
            f"{name} Банка России {format_number(rate, 2)} % годовых "
            f"с {valid_from:%d.%m.%Y}: {source}"
        )
        return self._number(("rate", valid_from), text)

    def due_dates(self, organization, months: list[datetime.date]) -> None:
        """The due dates' basis: the organisation's day, and the statutory day's row where a
        month of the table falls under it."""
        fixed = [rule for rule in self._rules if rule.kind == PenaltyRuleKind.DUE_DAY]
        if any(not any(rule.first_day <= month for rule in fixed) for month in months):
            self._number("due", DUE_DATE.format(day=organization.payment_due_day))
        for rule in fixed:
            if any(rule.first_day <= month for month in months):
                text = f"Срок оплаты за месяцы с {rule.first_day:%m.%Y}: {rule.source}"
                self._number(("rule", rule.pk), text)
        self._number("method", METHOD)

    def earlier_scales(self, lines: list[StatementLine]) -> None:
        """An edition of ЖК РФ ст. 155 ч. 14 before the one the statute quotes (``STATUTE``:
        since 01.01.2016) where a line's days fall in its range: its own scale and source."""
        for scale in PenaltyScale.objects.filter(valid_to__isnull=False).order_by("valid_from"):
            if any(line.first <= scale.valid_to and scale.valid_from <= line.last
                   for line in lines):  # fmt: skip
                text = (
                    f"Размер пени за дни просрочки с {scale.valid_from:%d.%m.%Y} по "
                    f"{scale.valid_to:%d.%m.%Y}: {scale.source}"
                )
                self._number(("scale", scale.pk), text)

    def regional_due_dates(self, account, months: list[datetime.date]) -> None:
        """A region's due date of contributions to the regional operator (ЖК РФ ст. 171 ч. 1)
        where one of its rows covers a month of the table."""
        fund = CapitalRepairFund.objects.filter(house=account.premise.house_id).first()
        if fund is None or fund.kind != CapitalRepairFundKind.REGIONAL_OPERATOR:
            return
        for row in CapitalRepairDueDay.objects.filter(organization=account.organization):
            rule = pcalc.RegionalDueDay(row.valid_from, row.valid_to, row.day)
            if any(rule.covers(month) for month in months):
                text = (
                    f"Срок уплаты взносов на капитальный ремонт — до {row.day}-го числа "
                    f"следующего месяца (ЖК РФ ст. 171 ч. 1, закон субъекта РФ): {row.source}"
                )
                self._number(("regional", row.pk), text)


def _days(rule: PenaltyRule) -> str:
    if rule.last_day is None:
        return f"с {rule.first_day:%d.%m.%Y}"
    return f"с {rule.first_day:%d.%m.%Y} по {rule.last_day:%d.%m.%Y}"
