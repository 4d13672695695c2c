from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_shipped_law(sender, using, **kwargs):
    from kabinet.billing.models import KeyRate, PenaltyRule
    from kabinet.billing.shipped_law import install_shipped_law

    tables = connections[using].introspection.table_names()
    if PenaltyRule._meta.db_table in tables:  # not when migrated back before the law's tables
        install_shipped_law(KeyRate, PenaltyRule)


class BillingConfig(AppConfig):
    name = "kabinet.billing"
    verbose_name = "Начисления"

    def ready(self):
        post_migrate.connect(_install_shipped_law, sender=self)
