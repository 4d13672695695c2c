"""Template helpers of the payment pages."""

from django import template

from kabinet.payments import providers

register = template.Library()


@register.simple_tag
def online_payment_enabled() -> bool:
    """Whether a payment gateway is configured (else no «Оплатить» anywhere)."""
    return providers.is_enabled()
