"""The data of a payment document (платёжный документ) of one account for one closed period,
after the form of Приказ Минстроя России от 26.01.2018 № 43/пр, gathered as plain values so
that the HTML page, the PDF and the e-mail show the same figures.

The money summary comes from the ledger (``kabinet.billing.ledger``), so that the receipt
reconciles with it to the kopeck: to pay = debt at the start + charged + recalculations +
penalties − paid in the month. The sections have modules of their own: the lines
(``receipts.lines``), the capital repair contribution with its own payee
(``receipts.capital_repair``; the rest of the document is then the rest of the bill), the
house's reference (``receipts.house_reference``) and the instalment plans
(``receipts.instalments``)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from types import SimpleNamespace

from django.utils import timezone

from kabinet.billing.law import due_date
from kabinet.billing.ledger import account_ledger
from kabinet.billing.models import (
    PENALTY_METHODS,
    AccountBalance,
    CalculationMethod,
    Charge,
    Period,
    PeriodStatus,
    Recalculation,
)
from kabinet.formats import month_name
from kabinet.metering.models import Reading
from kabinet.money import ZERO
from kabinet.months import add_months
from kabinet.receipts.capital_repair import CapitalRepairPart, capital_repair_part
from kabinet.receipts.house_reference import (
    READING_ORDER,
    HouseReference,
    MeterRow,
    house_reference,
    meter_rows,
    rows_of_readings,
)
from kabinet.receipts.instalments import InstalmentRow, instalment_rows
from kabinet.receipts.lines import LINE_FIELDS, RecalculationRow, ReceiptLine, with_reductions
from kabinet.receipts.models import PaymentDocumentId
from kabinet.receipts.payees import Payee, payee_of, payment_code
from kabinet.receipts.suppliers import SupplierRow, line_suppliers


@dataclass(frozen=True)
class Receipt:
    account_number: str
    payer: str
    address: str
    area: Decimal
    residents: int
    payee: Payee
    month: datetime.date
    pay_by: datetime.date  # «Оплатить до»: billing.law.due_date
    lines: tuple[ReceiptLine, ...]
    recalculations: tuple[RecalculationRow, ...]
    readings: tuple[MeterRow, ...]
    opening: Decimal  # debt (+) or overpayment (−) at the start of the month
    charged: Decimal
    recalculation: Decimal
    penalties: Decimal
    paid: Decimal
    closing: Decimal
    house: HouseReference | None = None
    # ГИС ЖКХ's identifiers (Приказ № 43/пр, раздел 1): printed only when the system gave them.
    unified_account: str | None = None  # ЕЛС
    service_id: str | None = None  # идентификатор ЖКУ
    document_id: str | None = None  # ИПД of this account and month
    capital_repair: CapitalRepairPart | None = None  # the house collects contributions
    # Instalment plans with a month in this one (Правила № 354 п. 72; № 43/пр, раздел 5).
    instalments: tuple[InstalmentRow, ...] = ()
    # The lines' suppliers other than the payee, with their requisites (Правила № 354 п. 69).
    suppliers: tuple[SupplierRow, ...] = ()
    # The issued document's number, time of issue and version (``receipts.issuing``), printed
    # on it; ``None`` while the data is only shown (the «Начисления» page).
    number: str | None = None
    issued_at: datetime.datetime | None = None
    version: int = 1  # above 1: a corrected document issued in place of the earlier ones

    @property
    def document_line(self) -> str | None:
        """«Документ № … от …» as the issued document prints it, with «исправленный» on a
        corrected one."""
        if self.number is None or self.issued_at is None:
            return None
        line = f"Документ № {self.number} от {timezone.localtime(self.issued_at):%d.%m.%Y}"
        return f"{line}, исправленный" if self.version > 1 else line

    @property
    def accrued(self) -> Decimal:
        return self.charged + self.recalculation + self.penalties

    @property
    def to_pay(self) -> Decimal:
        return max(self.closing, ZERO)

    @property
    def has_common_share(self) -> bool:
        return any(line.common_volume or line.common_charged for line in self.lines)

    @property
    def lines_charged(self) -> Decimal:
        return sum((line.charged for line in self.lines), ZERO)

    @property
    def lines_recalculation(self) -> Decimal:
        return sum((line.recalculation for line in self.lines), ZERO)

    @property
    def lines_total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def purpose(self) -> str:
        return f"Оплата ЖКУ за {month_name(self.month)}, ЛС {self.account_number}"

    @cached_property
    def qr_payload(self) -> str | None:
        """The ГОСТ Р 56042-2014 string of the payment code printed on the receipt; ``None``
        if the payee's requisites cannot make one (the receipt goes without the code)."""
        return payment_code(self.payee, self.account_number, self.to_pay, self.purpose,
                            self.month, self.document_id)  # fmt: skip


def document_periods(account):
    """The closed months the account has charges for, newest first, as a queryset: the months
    it has (or will have, when first asked for) a payment document of."""
    return (
        Period.objects.filter(
            organization=account.organization_id,
            status=PeriodStatus.CLOSED,
            charges__account=account,
        )
        .distinct()
        .order_by("-month")
    )


def receipt_periods(account) -> list[Period]:
    """The closed months the account has charges for, newest first: what a resident may
    choose on «Начисления» and get a receipt for."""
    return list(document_periods(account))


def receipt_period(account, year: int, month: int) -> Period | None:
    """The closed period of that month if the account has charges in it, else ``None``."""
    if not 1 <= month <= 12 or not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return None
    return (
        Period.objects.filter(
            organization=account.organization_id,
            status=PeriodStatus.CLOSED,
            month=datetime.date(year, month, 1),
            charges__account=account,
        )
        .distinct()
        .first()
    )


@dataclass(frozen=True)
class ReceiptBatch:
    """What the documents of a batch of accounts read from the database, read for all of
    them at once (``receipt_batch``): per account, its stored money summary (``frozen``
    only), its lines and its meters' readings; and the period's «Оплатить до»."""

    period_id: int
    frozen: bool
    balances: dict[int, tuple]
    lines: dict[int, tuple]
    readings: dict[int, list]
    pay_by: datetime.date


def receipt_batch(accounts, period: Period, *, frozen: bool = False) -> ReceiptBatch:
    """Read the documents' data of ``accounts`` (one organisation's) in four queries instead
    of four per account: a mass issue gathers a batch of documents this way, and
    ``receipt_data(..., batch=…)`` gives each the same ``Receipt`` as without it."""
    ids = [account.pk for account in accounts]
    balances = {}
    if frozen:
        balances = {
            row[0]: row[1:]
            for row in AccountBalance.objects.filter(account__in=ids, period=period).values_list(
                "account", *MONEY_FIELDS
            )
        }
    lines = defaultdict(list)
    for account_id, *row in _lines(
        Charge.objects.filter(account__in=ids, period=period), "account"
    ):
        lines[account_id].append(ReceiptLine(*row))
    readings = defaultdict(list)
    for reading in (
        Reading.objects.filter(
            meter__account__in=ids, period__in=[add_months(period.month, -1), period.month]
        )
        .select_related("meter")
        .order_by("meter__account", *READING_ORDER)
    ):
        readings[reading.meter.account_id].append(reading)
    return ReceiptBatch(
        period_id=period.pk,
        frozen=frozen,
        balances=balances,
        lines={account_id: tuple(rows) for account_id, rows in lines.items()},
        readings=dict(readings),
        pay_by=due_date(period.organization, period.month),
    )


def _lines(charges, *first):
    """The charge lines of a document as plain values (``LINE_FIELDS``, after ``first``), in
    the services' order; penalties are in the money summary, not in the lines."""
    return (
        charges.exclude(service__method__in=PENALTY_METHODS)
        .order_by(*first, "service__position", "service__name")
        .values_list(*first, *LINE_FIELDS)  # plain values: a mass run makes thousands of these
    )


def receipt_data(
    account,
    period: Period,
    payee: Payee | None = None,
    shared: dict | None = None,
    *,
    frozen: bool = False,
    batch: ReceiptBatch | None = None,
) -> Receipt:
    """Everything the payment document of ``account`` for the closed ``period`` shows.

    ``account`` should come with ``premise__house`` and ``organization`` loaded; a mass run
    passes the organisation's ``payee`` once and a dict in ``shared`` that keeps what the
    period's receipts have in common (each house's figures, the period's ИПД) for the next,
    and the ``batch`` (``receipt_batch``) the account is in, read for all its accounts.
    ``frozen``: the money summary as the closing stored it (``AccountBalance``: what an issued
    document shows, unmoved by a payment recorded later with a date in the month), else — and
    for a month closed before balances were stored — the ledger as it stands."""
    if not period.is_closed or period.organization_id != account.organization_id:
        raise ValueError("A receipt is made for a closed period of the account's organisation.")
    if batch is not None and (batch.period_id != period.pk or batch.frozen != frozen):
        raise ValueError("The batch was read for another period or money summary.")
    month = period.month
    if batch is None:
        ledger_month = _month_money(account, period, frozen)
        all_lines = tuple(
            ReceiptLine(*row)
            for row in _lines(Charge.objects.filter(account=account, period=period))
        )
        readings = meter_rows(Reading.objects.filter(meter__account=account), month)
        pay_by = due_date(account.organization, month)
    else:
        stored = batch.balances.get(account.pk)
        ledger_month = (
            SimpleNamespace(**dict(zip(MONEY_FIELDS, stored, strict=True)))
            if stored is not None
            else _month_money(account, period, frozen)
        )
        all_lines = batch.lines.get(account.pk, ())
        readings = rows_of_readings(batch.readings.get(account.pk, ()), month)
        pay_by = batch.pay_by
    repair = capital_repair_part(account, period, all_lines, shared)
    lines = tuple(line for line in all_lines if line.method != CalculationMethod.CAPITAL_REPAIR)
    if repair is None:
        lines = all_lines
        repair_figures = (ZERO,) * 5
    else:
        repair_figures = (repair.opening, repair.charged, repair.recalculation,
                          repair.penalties, repair.paid)  # fmt: skip
    # Recalculations are summed in their lines: most months have none, and need no query.
    recalculations = (
        list(
            Recalculation.objects.filter(account=account, period=period)
            .select_related("service", "corrected_period")
            .order_by("service__position", "corrected_period__month", "pk")
        )
        if any(line.recalculation for line in lines)
        else []
    )
    lines = with_reductions(lines, recalculations)
    premise = account.premise
    payee = payee or payee_of(account.organization)
    return Receipt(
        account_number=account.number,
        payer=account.holder_name,
        address=f"{premise.house.address}, {premise.short_label}",
        area=premise.area,
        residents=account.residents,
        payee=payee,
        month=month,
        pay_by=pay_by,
        lines=lines,
        recalculations=tuple(
            RecalculationRow(
                service=row.service.name,
                corrected_month=row.corrected_period.month,
                reason=row.reason,
                amount=row.amount,
            )
            for row in recalculations
        ),
        readings=readings,
        house=house_reference(premise.house_id, period, lines, shared),
        # the ledger's month less the capital repair section's: the rest of the bill
        opening=ledger_month.opening - repair_figures[0],
        charged=ledger_month.charged - repair_figures[1],
        recalculation=ledger_month.recalculation - repair_figures[2],
        penalties=ledger_month.penalties - repair_figures[3],
        paid=ledger_month.paid - repair_figures[4],
        closing=ledger_month.closing - (repair.closing if repair else ZERO),
        unified_account=account.unified_account,
        service_id=account.gis_service_id,
        document_id=_document_id(account, period, shared),
        capital_repair=repair,
        instalments=instalment_rows(account, month, shared),
        suppliers=line_suppliers(lines, account.organization_id, payee.name, shared),
    )


MONEY_FIELDS = ("opening", "charged", "recalculation", "penalties", "paid", "closing")


def _month_money(account, period: Period, frozen: bool) -> SimpleNamespace:
    """The month's money summary of the account: stored at closing (``frozen``), else — or
    without a stored one — from the ledger."""
    if frozen:
        stored = (
            AccountBalance.objects.filter(account=account, period=period)
            .values_list(*MONEY_FIELDS)
            .first()
        )
        if stored is not None:
            return SimpleNamespace(**dict(zip(MONEY_FIELDS, stored, strict=True)))
    month = account_ledger(account, period.month, period.month).months[0]
    return SimpleNamespace(**{name: getattr(month, name) for name in MONEY_FIELDS})


def _document_id(account, period, shared: dict | None) -> str | None:
    if shared is None:
        documents = PaymentDocumentId.objects.filter(account=account, period=period)
        return documents.values_list("value", flat=True).first()
    key = ("documents", period.pk)
    if key not in shared:
        documents = PaymentDocumentId.objects.filter(period=period)
        shared[key] = dict(documents.values_list("account", "value"))
    return shared[key].get(account.pk)
