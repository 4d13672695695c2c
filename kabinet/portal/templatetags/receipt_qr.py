"""The payment QR code of a section's second payee (capital repair) drawn on the print page."""

from django import template
from django.utils.safestring import mark_safe

from kabinet.receipts.qr import payment_qr

register = template.Library()


@register.filter
def payment_qr_svg(payload: str | None) -> str:
    """The symbol as inline SVG (segno writes only its paths: nothing of the payload's text is
    in the markup); empty without a payload."""
    if not payload:
        return ""
    return mark_safe(payment_qr(payload).svg_inline(scale=4, omitsize=True))
