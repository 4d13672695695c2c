"""Figures of the staff's billing pages (written the Russian way by kabinet.formats)."""

from django import template

from kabinet import formats

register = template.Library()


@register.filter
def percent(value):
    """A change in per cent: ``Decimal("20.0")`` → ``+20,0 %``, ``None`` → ``—``."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{formats.format_number(value, 1)}{formats.NBSP}%"


@register.filter
def signed_money(value):
    """A difference of money: ``+1 234,56``, ``-12,00``, ``0,00``; ``None`` → ``—``."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + formats.format_money(value)
