"""The federal increasing coefficients to the normative (Правила № 354 п. 42, formula 4 of
приложение № 2), as listed in kabinet/billing/shipped_law.py; docs/billing-law.md, «Volumes»,
says where each value was read. Later changes need no migration: every ``migrate`` installs
them (billing.apps)."""

from django.db import migrations

from kabinet.billing.shipped_law import install_shipped_coefficients


def ship(apps, schema_editor):
    install_shipped_coefficients(apps.get_model("billing", "IncreasingCoefficient"))


def unship(apps, schema_editor):
    coefficient = apps.get_model("billing", "IncreasingCoefficient")
    coefficient.objects.filter(organization=None).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_increasing_coefficient")]
    operations = [migrations.RunPython(ship, unship)]
