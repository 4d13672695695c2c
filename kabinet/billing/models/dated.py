"""Dated rows: a value of law or of a price that holds for a range of dates, so that a change
is a new row (docs/design.md, «Rules of law as data»)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


class DatedRow(models.Model):
    """Holds from ``valid_from`` to ``valid_to`` (both inclusive; no end — until a later row).
    The database refuses an end before the start; ``clean`` says so on the form. A subclass
    with constraints of its own lists ``*DatedRow.Meta.constraints`` among them; one that
    counts in months redefines the two fields' labels and rounds the dates in ``clean``."""

    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
        ]

    def clean(self):
        super().clean()
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Окончание действия раньше его начала."})
