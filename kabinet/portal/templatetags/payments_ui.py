"""Template helpers of the payment pages."""

from django import template

from kabinet.payments import services
from kabinet.portal import charts

register = template.Library()


@register.simple_tag
def online_payment_enabled() -> bool:
    """Whether a payment gateway is configured (else no «Оплатить» anywhere)."""
    return services.online_payment_enabled()


@register.simple_tag
def capital_repair_payable(account) -> bool:
    """Whether the account's capital repair contribution can be paid online to its payee."""
    from kabinet.payments.services import capital_repair_payee

    return capital_repair_payee(account) is not None


@register.inclusion_tag("portal/payments/includes/ledger_chart.html")
def ledger_chart(ledger):
    """Charged and paid for each month of the ledger, as bars of a server-drawn SVG."""
    return {"chart": charts.ledger_chart(ledger)}
