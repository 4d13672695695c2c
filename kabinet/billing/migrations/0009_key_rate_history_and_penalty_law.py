"""Shipped data: the Bank of Russia's key-rate history and the dated rules of penalties and the
due date, as listed in kabinet/billing/shipped_law.py (docs/billing-law.md cites each). Later
changes of those rows need no migration: every ``migrate`` installs them (billing.apps)."""

from django.db import migrations

from kabinet.billing.shipped_law import install_shipped_law


def ship(apps, schema_editor):
    install_shipped_law(apps.get_model("billing", "KeyRate"), apps.get_model("billing", "PenaltyRule"))


def unship(apps, schema_editor):
    apps.get_model("billing", "KeyRate").objects.filter(organization__isnull=True).delete()
    apps.get_model("billing", "PenaltyRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_shipped_key_rates_and_penalty_rules")]

    operations = [migrations.RunPython(ship, unship)]
