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
def quantity(value):
    """Tariffs and volumes: ``13.1000`` → ``13,10``, ``5.273000`` → ``5,273``."""
    return "" if value is None else formats.format_quantity(value)


@register.filter
def reading(value):
    """Readings, volumes, consumption: ``815.27`` → ``815,270``, ``0.633283`` → ``0,633``."""
    return "" if value is None else formats.format_reading(value)


@register.filter
def unit(value):
    """``куб м`` → ``м³``, ``кВтч`` → ``кВт·ч``."""
    return formats.unit_name(value)


@register.filter
def money_or_dash(value):
    """``0`` → ``—`` (as in a recalculation column), else like ``money``."""
    return "—" if not value else formats.format_money(value)


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


@register.filter
def absolute(value):
    return abs(value)


@register.simple_tag
def visible_fields(form, names=""):
    """The form's visible fields, or only those named (``"paid_on,amount"``), in that order."""
    if not names:
        return form.visible_fields()
    return [form[name] for name in names.split(",")]
