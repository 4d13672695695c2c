"""Inputs in rows under column headers — a list's editable columns (``list_editable``) and a
tabular inline — named for assistive technology.

Django's admin draws such inputs without a ``<label>`` (the column header stands above them),
so a screen reader announces a bare «edit field» (axe-core: «label», WCAG 2.1 1.3.1 and
4.1.2). Each input is named by its column and, on a stored row, by the row's record:
«Порядок (Начисления)»; the «Удалить» box of a row the same way.
"""

from django.forms.models import BaseInlineFormSet, BaseModelFormSet


class LabelledRows:
    def add_fields(self, form, index):
        super().add_fields(form, index)
        record = str(form.instance) if form.instance.pk is not None else ""
        for field in form.fields.values():
            if field.widget.is_hidden or not field.label:
                continue
            name = f"{field.label} ({record})" if record else str(field.label)
            field.widget.attrs.setdefault("aria-label", name)


class LabelledModelFormSet(LabelledRows, BaseModelFormSet):
    """The formset of a list's editable columns."""


class LabelledInlineFormSet(LabelledRows, BaseInlineFormSet):
    """The formset of a tabular inline."""
