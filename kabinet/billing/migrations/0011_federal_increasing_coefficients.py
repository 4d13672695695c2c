"""The federal increasing coefficients to the normative (Правила № 354 п. 42, formula 4 of
приложение № 2); docs/billing-law.md, «Volumes», says where each value was read."""

import datetime
from decimal import Decimal

from django.db import migrations

FROM_2017 = (
    "Постановление Правительства РФ от 29.06.2016 № 603 (изменения в Правила № 354): "
    "повышающий коэффициент 1,5 с 01.01.2017"
)
PP_1871 = (
    "Постановление Правительства РФ от 25.11.2025 № 1871, в силу с 06.12.2025: "
    "для холодного водоснабжения — 3"
)
ROWS = [
    ("cold_water", datetime.date(2017, 1, 1), datetime.date(2025, 12, 5), "1.5", FROM_2017),
    ("cold_water", datetime.date(2025, 12, 6), None, "3", PP_1871),
    ("hot_water", datetime.date(2017, 1, 1), None, "1.5", FROM_2017),
    ("wastewater", datetime.date(2017, 1, 1), None, "1.5", FROM_2017),
    ("electricity", datetime.date(2017, 1, 1), None, "1.5", FROM_2017),
]


def ship(apps, schema_editor):
    coefficient = apps.get_model("billing", "IncreasingCoefficient")
    for resource, first, last, value, source in ROWS:
        coefficient.objects.get_or_create(
            organization=None, resource=resource, valid_from=first,
            defaults={"valid_to": last, "value": Decimal(value), "source": source},
        )  # fmt: skip


def unship(apps, schema_editor):
    coefficient = apps.get_model("billing", "IncreasingCoefficient")
    coefficient.objects.filter(organization=None).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_increasing_coefficient")]
    operations = [migrations.RunPython(ship, unship)]
