from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_delete, post_migrate, post_save


def _install_shipped_law(sender, using, **kwargs):
    """The law's rows after every ``migrate`` and after a flush (which Django follows with the
    same signal, as transactional tests do): billing/shipped_law.py."""
    from kabinet.billing.models import IncreasingCoefficient, KeyRate, PenaltyRule, PenaltyScale
    from kabinet.billing.shipped_law import (
        install_shipped_coefficients,
        install_shipped_law,
        install_shipped_scales,
    )

    tables = connections[using].introspection.table_names()
    if PenaltyRule._meta.db_table in tables:  # not when migrated back before the law's tables
        install_shipped_law(KeyRate, PenaltyRule)
    if IncreasingCoefficient._meta.db_table in tables:
        install_shipped_coefficients(IncreasingCoefficient)
    if PenaltyScale._meta.db_table in tables:
        install_shipped_scales(PenaltyScale)


class BillingConfig(AppConfig):
    name = "kabinet.billing"
    verbose_name = "Начисления"

    def ready(self):
        from kabinet.billing import partitions
        from kabinet.billing.models import Period

        post_migrate.connect(_install_shipped_law, sender=self)
        post_migrate.connect(partitions.drop_orphans, sender=self, dispatch_uid="partitions")
        # each period's charge lines a partition of their own (PostgreSQL)
        post_save.connect(partitions.period_saved, sender=Period, dispatch_uid="period-partition")
        post_delete.connect(partitions.period_deleted, sender=Period, dispatch_uid="period-part")
