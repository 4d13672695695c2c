"""Section 5 of the form, «Расчёт суммы к оплате с учётом рассрочки платежа» (Приказ
Минстроя России от 26.01.2018 № 43/пр)."""

from kabinet.formats import format_money, format_number, month_name
from kabinet.receipts.layout.grid import Column, Grid, Section
from kabinet.receipts.selectors import Receipt

INSTALMENTS_TITLE = "Расчёт суммы к оплате с учётом рассрочки платежа"


def instalments_section(receipt: Receipt) -> Section:
    """Section 5 of the form (Приказ Минстроя России № 43/пр, «Расчёт суммы к оплате с учётом
    рассрочки платежа»), for each plan with a month in this one: the spread amount, this
    month's share, the rate and the month's interest, the share with its interest, and what is
    left to pay in later months (Правила № 354 п. 72; docs/payment-document.md)."""
    rows = receipt.instalments
    grid = Grid(
        caption="",
        columns=(
            Column("Услуга, месяц\nначисления", 0.2, numeric=False, wrap=True),
            Column("Сумма\nрассрочки, ₽", 0.12),
            Column("Платёж", 0.08),
            Column("Платёж по\nрассрочке, ₽", 0.12),
            Column("Проценты,\n% годовых", 0.1),
            Column("Проценты\nза месяц, ₽", 0.11),
            Column("Итого к оплате\nс процентами, ₽", 0.14),
            Column("Остаток\nрассрочки, ₽", 0.13),
        ),
        rows=tuple(
            (
                f"{row.service}\nза {month_name(row.charged_month)}",
                format_money(row.amount),
                f"{row.number} из {row.months}",
                format_money(row.share),
                format_number(row.rate),
                format_money(row.interest),
                format_money(row.to_pay),
                format_money(row.remaining),
            )
            for row in rows
        ),
    )
    notes = tuple(
        f"Из платы за {month_name(row.charged_month)} по услуге «{row.service}» "
        f"{format_money(row.deferred)} ₽ вносится в рассрочку на {row.months} мес. (строка "
        "«Рассрочка платы» в расчёте): к оплате в этом месяце — первый платёж."
        for row in rows
        if row.deferred
    )
    return Section("instalments", INSTALMENTS_TITLE, (grid,), notes)
