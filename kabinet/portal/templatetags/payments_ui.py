"""Template helpers of the payment pages."""

from django import template

from kabinet.payments import providers
from kabinet.portal import charts

register = template.Library()


@register.simple_tag
def online_payment_enabled() -> bool:
    """Whether a payment gateway is configured (else no «Оплатить» anywhere)."""
    return providers.is_enabled()


@register.inclusion_tag("portal/payments/includes/ledger_chart.html")
def ledger_chart(ledger):
    """Charged and paid for each month of the ledger, as bars of a server-drawn SVG."""
    return {"chart": charts.ledger_chart(ledger)}
