"""Importing an open period's charges from a CSV or XLSX file (from another billing system).

Columns: «ЛС», «Услуга» (the organisation's service name), «Тариф», «Объём», «Начислено» and,
optionally, «Перерасчёт». Every row is checked first; one bad row and nothing is imported. A
good file replaces all the period's charge lines, as a run does: the same file imported twice
changes nothing the second time. The recalculations entered for the period in the back office
are added to the lines, as a run adds them, and the penalty detail of an earlier run goes with
the lines it explained.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.billing.bulk import insert_period_rows
from kabinet.billing.lines import CHARGE_FIELDS, BillingError
from kabinet.billing.models import (
    TARIFF_FIELD,
    VOLUME_FIELD,
    Charge,
    ChargeBasis,
    Penalty,
    Period,
    Recalculation,
    Service,
)
from kabinet.billing.run import charged_in, record_replaced_lines
from kabinet.formats import format_money, month_name
from kabinet.housing.models import PersonalAccount
from kabinet.money import MONEY_FIELD, ZERO, parse_amount, round_money
from kabinet.tabular import RowError, read_table

COLUMNS = {
    "account": ("ЛС", "лицевой счет", "лицевой счёт", "номер ЛС"),
    "service": ("Услуга",),
    "tariff": ("Тариф",),
    "volume": ("Объём", "объем"),
    "charged": ("Начислено",),
    "recalculation": ("Перерасчёт", "перерасчет"),
}
OPTIONAL_COLUMNS = ("recalculation",)
PROGRESS_EVERY = 2000  # rows between two progress reports


@dataclass(frozen=True)
class NumberRule:
    title: str
    column: dict  # the model field's max_digits and decimal_places
    signed: bool = True


TARIFF = NumberRule("тариф", TARIFF_FIELD, signed=False)
VOLUME = NumberRule("объём", VOLUME_FIELD)
MONEY = NumberRule("начислено", MONEY_FIELD)
RECALCULATION = NumberRule("перерасчёт", MONEY_FIELD)


@dataclass
class Row:
    account: int
    service: int
    tariff: Decimal
    volume: Decimal
    charged: Decimal
    recalculation: Decimal


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    lines: int = 0
    accounts: int = 0
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO

    def summary(self) -> dict[str, int | str]:
        return {
            "Лицевых счетов": self.accounts,
            "Строк начислений": self.lines,
            "Начислено, ₽": format_money(self.charged),
            "Перерасчёты, ₽": format_money(self.recalculation),
            "Итого начислено, ₽": format_money(self.charged + self.recalculation),
        }


def read_import(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of an import file; ``TableError`` if the file itself cannot be read."""
    return list(read_table(data, COLUMNS, optional=OPTIONAL_COLUMNS))


def parse_number(text: str, rule: NumberRule) -> Decimal:
    """A figure as people and spreadsheets write it: ``1 234,56``, ``1234.56``, ``-12,5``,
    ``1E+3``, that fits its column; ``ValueError`` with a Russian message naming the column
    otherwise."""
    try:
        return parse_amount(text, **rule.column, signed=rule.signed, exponent=True)
    except ValueError as error:
        raise ValueError(f"{rule.title} {error}") from None


def import_charges(
    table: list[tuple[int, dict[str, str]]],
    period: Period,
    *,
    progress: Callable[[int, int], None] | None = None,
    user=None,
    ip: str | None = None,
) -> ImportResult:
    """Replace ``period``'s charge lines with the rows of ``read_import``: all of them, or
    nothing when ``ImportResult.errors`` names bad rows. ``progress(done, failed)`` hears of
    the checking as it goes. A closed period is refused (``BillingError``). The audit log
    keeps an import that changed the lines (``user`` started it from ``ip``)."""
    progress = progress or (lambda done, failed: None)
    result = ImportResult()
    with transaction.atomic():
        period = Period.objects.select_for_update().select_related("organization").get(pk=period.pk)
        if period.is_closed:
            raise BillingError(f"Период {month_name(period.month)} закрыт: он не меняется.")
        rows = _parse_rows(table, period.organization, result, progress)
        progress(len(table), len(result.errors))
        if not result.errors:
            before = charged_in(period)
            _write(period, rows, result)
            after = (result.lines, result.charged + result.recalculation)
            record_replaced_lines(
                AuditAction.CHARGES_IMPORT, period, before, after, user=user, ip=ip
            )
    return result


def _parse_rows(table, organization, result, progress) -> list[Row]:
    accounts = dict(
        PersonalAccount.objects.filter(organization=organization).values_list("number", "pk")
    )
    services = _service_names(organization)
    rows, first_line_of = [], {}
    for done, (line, cells) in enumerate(table, start=1):
        problems = []
        number = cells["account"].strip()
        account = accounts.get(number)
        if account is None:
            problems.append(f"лицевой счёт № {number or '(пусто)'} не найден")
        name = " ".join(cells["service"].split())
        service = services.get(name.casefold())
        if service is None:
            problems.append(f"услуги «{name or '(пусто)'}» нет у организации")
        tariff = _number(cells["tariff"], TARIFF, problems)
        volume = _number(cells["volume"], VOLUME, problems)
        charged = _number(cells["charged"], MONEY, problems, required=True)
        recalculation = _number(cells["recalculation"], RECALCULATION, problems)
        if account is not None and service is not None:
            if (account, service) in first_line_of:
                problems.append(
                    f"ЛС № {number} и услуга «{name}» уже есть в строке "
                    f"{first_line_of[account, service]}"
                )
            first_line_of.setdefault((account, service), line)
        if problems:
            result.errors.append(RowError(line, "; ".join(problems) + "."))
        else:
            rows.append(Row(account, service, tariff, volume, charged, recalculation))
        if done % PROGRESS_EVERY == 0:
            progress(done, len(result.errors))
    return rows


def _service_names(organization) -> dict[str, int]:
    """Service names (compared without regard to case and spacing) → service."""
    names = {}
    for pk, name in Service.objects.filter(organization=organization).values_list("pk", "name"):
        names.setdefault(" ".join(name.split()).casefold(), pk)
    return names


def _number(text: str, rule: NumberRule, problems: list[str], required=False) -> Decimal:
    """The cell's figure; a blank cell is zero unless ``required``. A bad one adds its
    reason to ``problems`` (and counts as zero, the row being refused anyway)."""
    if not text.strip():
        if required:
            problems.append(f"нет суммы «{rule.title.capitalize()}»")
        return ZERO
    try:
        return parse_number(text, rule)
    except ValueError as error:
        problems.append(str(error))
        return ZERO


def _write(period: Period, rows: list[Row], result: ImportResult) -> None:
    lines = {(row.account, row.service): row for row in rows}
    for account, service, amount in (
        Recalculation.objects.filter(period=period)
        .values("account", "service")
        .annotate(amount=Sum("amount"))
        .values_list("account", "service", "amount")
    ):
        row = lines.get((account, service))
        if row is None:
            row = lines[account, service] = Row(account, service, ZERO, ZERO, ZERO, ZERO)
        row.recalculation += round_money(amount)
    Charge.objects.filter(period=period).delete()
    Penalty.objects.filter(period=period).delete()
    values = (
        (period.pk, row.account, row.service, row.tariff, row.volume, ChargeBasis.IMPORT,
         ZERO, row.charged, ZERO, row.recalculation, row.charged + row.recalculation)
        for row in lines.values()
    )  # fmt: skip
    insert_period_rows(period, Charge, CHARGE_FIELDS, values)
    period.calculated_at = timezone.now()
    period.save(update_fields=["calculated_at"])
    result.lines = len(lines)
    result.accounts = len({account for account, _ in lines})
    result.charged = sum((row.charged for row in lines.values()), ZERO)
    result.recalculation = sum((row.recalculation for row in lines.values()), ZERO)
