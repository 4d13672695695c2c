"""The form of a meter reading, shared by the resident's page and the staff's."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from kabinet.metering.checks import ReadingCheck, parse_value


class ReadingValueField(forms.CharField):
    """A reading as people type it: 815, 815,27 or 815.270."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_value(value)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None


@dataclass
class MeterPanel:
    """A meter on a page with the form: its card, its field, and what the check said."""

    card: object  # metering.selectors.MeterCard
    field: forms.BoundField
    confirm: forms.BoundField
    warning: str
    below_previous: bool


class MeterReadingsForm(forms.Form):
    """One field per meter (left blank: skipped). A value whose consumption looked unusual
    comes back with a hidden field holding it: submitting the same value again confirms it."""

    def __init__(self, meters, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.meters = list(meters)
        self.warnings: dict[int, str] = {}
        self.below_previous: set[int] = set()  # meters whose value was below the last reading
        for meter in self.meters:
            self.fields[self.value_name(meter)] = ReadingValueField(
                label=f"{meter.get_resource_display().capitalize()}, № {meter.serial_number}",
                required=False,
            )
            self.fields[self.confirm_name(meter)] = forms.CharField(
                required=False, widget=forms.HiddenInput
            )

    @staticmethod
    def value_name(meter) -> str:
        return f"meter_{meter.pk}"

    @staticmethod
    def confirm_name(meter) -> str:
        return f"confirm_{meter.pk}"

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and not self.errors and not self.values():
            raise forms.ValidationError("Введите показания хотя бы одного счётчика.")
        return cleaned

    def values(self) -> dict:
        """{meter: value} for the meters filled in."""
        values = {meter: self.cleaned_data.get(self.value_name(meter)) for meter in self.meters}
        return {meter: value for meter, value in values.items() if value is not None}

    def confirmed(self) -> dict[int, Decimal]:
        """{meter pk: the value confirmed} for the unusual values the person confirmed."""
        confirmed = {}
        for meter in self.meters:
            try:
                confirmed[meter.pk] = parse_value(self.cleaned_data.get(self.confirm_name(meter)))
            except ValueError:
                continue
        return confirmed

    def refuse(self, checks: list[ReadingCheck]) -> None:
        """Show why readings were not accepted: an error at the field, or a warning and the
        value kept for confirmation."""
        self.data = self.data.copy()
        for check in checks:
            if check.error:
                self.add_error(self.value_name(check.meter), check.error)
                if check.previous is not None and check.value < check.previous.value:
                    self.below_previous.add(check.meter.pk)
            else:
                self.warnings[check.meter.pk] = check.warning
                self.data[self.confirm_name(check.meter)] = f"{check.value.normalize():f}"

    def panels(self, cards) -> list[MeterPanel]:
        return [
            MeterPanel(
                card=card,
                field=self[self.value_name(card.meter)],
                confirm=self[self.confirm_name(card.meter)],
                warning=self.warnings.get(card.meter.pk, ""),
                below_previous=card.meter.pk in self.below_previous,
            )
            for card in cards
        ]
