"""Section 3 of the form, the capital repair contribution (Приказ Минстроя России от
26.01.2018 № 43/пр), with its own payee's requisites, money summary and QR code."""

from kabinet.formats import format_money, format_rubles
from kabinet.money import ZERO
from kabinet.receipts.capital_repair import CapitalRepairPart
from kabinet.receipts.layout.grid import (
    Column,
    Grid,
    PaymentBlock,
    Section,
    money_or_dash,
    money_summary,
    quantity_or_dash,
)
from kabinet.receipts.selectors import Receipt

CAPITAL_REPAIR_TITLE = "Расчёт размера взноса на капитальный ремонт"


def _capital_repair_grid(part: CapitalRepairPart) -> Grid:
    return Grid(
        caption="",
        columns=(
            Column("Вид услуги", 0.3, numeric=False, wrap=True),
            Column("Ед. изм.", 0.08, numeric=False),
            Column("Площадь,\nм²", 0.11),
            Column("Тариф, ₽", 0.11),
            Column("Начислено, ₽", 0.14),
            Column("Перерасчёт, ₽", 0.13),
            Column("Итого, ₽", 0.13),
        ),
        rows=tuple(
            (
                line.service,
                line.unit or "—",
                quantity_or_dash(line.volume),
                quantity_or_dash(line.tariff),
                format_money(line.charged),
                money_or_dash(line.recalculation),
                format_money(line.total),
            )
            for line in part.lines
        ),
        footer=(
            "Итого",
            "",
            "",
            "",
            format_money(sum((line.charged for line in part.lines), ZERO)),
            money_or_dash(sum((line.recalculation for line in part.lines), ZERO)),
            format_money(sum((line.total for line in part.lines), ZERO)),
        ),
    )


def capital_repair_section(receipt: Receipt, part: CapitalRepairPart) -> Section:
    """The contribution's own section with its own payee and QR code: the form's section for
    capital repair (Приказ Минстроя России № 43/пр; see docs/payment-document.md); its
    penalty is ЖК РФ ст. 155 ч. 14.1's, kept apart from the rest of the bill's."""
    payee = part.payee
    payment = PaymentBlock(
        title="Платёжные реквизиты для взноса на капитальный ремонт",
        details=tuple(
            (label, value)
            for label, value in (
                (
                    "Получатель",
                    payee.name
                    + (f", ИНН {payee.inn}" if payee.inn else "")
                    + (f", КПП {payee.kpp}" if payee.kpp else ""),
                ),
                ("Фонд", part.fund_kind),
                ("Расчётный счёт", payee.settlement_account),
                ("Банк", payee.bank_name),
                ("БИК", payee.bik),
                ("Корр. счёт", payee.correspondent_account),
                ("Назначение", part.purpose),
            )
            if value
        ),
        summary=money_summary(
            opening=part.opening,
            charged=part.charged,
            recalculation=part.recalculation,
            penalties=part.penalties,
            paid=part.paid,
            to_pay=part.to_pay,
            penalties_label="Пени (ЖК РФ ст. 155 ч. 14.1)",
        ),
        qr_payload=part.qr_payload,
        to_pay=f"Итого к оплате: {format_rubles(part.to_pay)}",
        pay_by=f"Оплатить до {part.pay_by:%d.%m.%Y}",
    )
    grids = (_capital_repair_grid(part),) if part.lines else ()
    return Section("capital_repair", CAPITAL_REPAIR_TITLE, grids, payment=payment)
