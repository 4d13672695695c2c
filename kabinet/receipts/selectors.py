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
from kabinet.receipts.capital_repair import CapitalRepairPart, capital_repair_part
from kabinet.receipts.house_reference import HouseReference, MeterRow, house_reference, meter_rows
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


def receipt_data(
    account,
    period: Period,
    payee: Payee | None = None,
    shared: dict | None = None,
    *,
    frozen: bool = False,
) -> Receipt:
    """Everything the payment document of ``account`` for the closed ``period`` shows.

    ``account`` should come with ``premise__house`` and ``organization`` loaded; a mass run
    passes the organisation's ``payee`` once and a dict in ``shared`` that keeps what the
    period's receipts have in common (each house's figures, the period's ИПД) for the next.
    ``frozen``: the money summary as the closing stored it (``AccountBalance``: what an issued
    document shows, unmoved by a payment recorded later with a date in the month), else — and
    for a month closed before balances were stored — the ledger as it stands."""
    if not period.is_closed or period.organization_id != account.organization_id:
        raise ValueError("A receipt is made for a closed period of the account's organisation.")
    month = period.month
    ledger_month = _month_money(account, period, frozen)
    all_lines = tuple(
        ReceiptLine(*row)
        for row in Charge.objects.filter(account=account, period=period)
        .exclude(service__method__in=PENALTY_METHODS)
        .order_by("service__position", "service__name")
        .values_list(*LINE_FIELDS)  # plain values: a mass run makes thousands of these
    )
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
        pay_by=due_date(account.organization, month),
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
        readings=meter_rows(Reading.objects.filter(meter__account=account), month),
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
