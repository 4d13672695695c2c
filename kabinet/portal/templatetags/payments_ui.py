"""Template helpers of the payment pages."""

from decimal import Decimal

from django import template

from kabinet.payments import providers

register = template.Library()


@register.simple_tag
def online_payment_enabled() -> bool:
    """Whether a payment gateway is configured (else no «Оплатить» anywhere)."""
    return providers.is_enabled()


@register.simple_tag
def capital_repair_payable(account) -> bool:
    """Whether the account's capital repair contribution can be paid online to its payee."""
    from kabinet.payments.services import capital_repair_payee

    return capital_repair_payee(account) is not None


CHART_HEIGHT = Decimal(120)
SLOT = 48  # the width of one month in the chart
MONTH_ABBREVIATIONS = ("янв", "фев", "мар", "апр", "май", "июн",
                       "июл", "авг", "сен", "окт", "ноя", "дек")  # fmt: skip


@register.inclusion_tag("portal/payments/includes/ledger_chart.html")
def ledger_chart(ledger):
    """Charged and paid for each month of the ledger, as bars of a server-drawn SVG."""
    top = max([month.accrued for month in ledger.months]
              + [month.paid for month in ledger.months] + [Decimal(1)])  # fmt: skip

    def height(value):
        return (max(value, 0) / top * CHART_HEIGHT).quantize(Decimal("0.1"))

    months = []
    for index, month in enumerate(ledger.months):
        accrued, paid = height(month.accrued), height(month.paid)
        months.append(
            {
                "x": index * SLOT,
                "month": month,
                "label": MONTH_ABBREVIATIONS[month.month.month - 1],
                "accrued": accrued,
                "accrued_top": CHART_HEIGHT - accrued,
                "paid": paid,
                "paid_top": CHART_HEIGHT - paid,
            }
        )
    width = SLOT * len(months)
    return {"months": months, "width": width, "height": CHART_HEIGHT,
            "view_box": f"-4 -6 {width + 8} {CHART_HEIGHT + 28}"}  # fmt: skip
