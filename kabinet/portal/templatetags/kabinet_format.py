"""Template filters that write figures the Russian way (see kabinet.formats)."""

from django import template

from kabinet import formats

register = template.Library()


@register.filter
def money(value):
    """``6889.37`` → ``6 889,37``."""
    return "" if value is None else formats.format_money(value)


@register.filter
def rubles(value):
    """``6889.37`` → ``6 889,37 ₽``."""
    return "" if value is None else formats.format_rubles(value)


@register.filter
def number(value, places=None):
    return "" if value is None else formats.format_number(value, places)


@register.filter
def month(value):
    """``date(2026, 10, 1)`` → ``октябрь 2026``."""
    return "" if value is None else formats.month_name(value)


@register.filter
def bootstrap_widget(field):
    """Render a bound field's widget with Bootstrap's classes (and the error state)."""
    css = "form-select" if field.widget_type == "select" else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
