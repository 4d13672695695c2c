"""A charge line's unique key leads with the account — (account, service, period), was (period,
account, service) — and the lines lose their (account, period) index, which the key now serves.

On PostgreSQL each period's lines are a partition of their own (0030), so the period was the
same in every entry of the key's index: a constant first column that every comparison of the
index's build went past, and that no query could use to narrow a partition. A billing run
builds these indexes for all of a period's lines as it switches them in (``billing.partitions``):
at 1 000 000 accounts (7 200 000 lines) the key's index took 6.8 s to build and the (account,
period) index 3.1 s; the key by account takes 5.0 s, and serves every query by account
(bench/README.md «3.12.2026 (afternoon)»).

SQLite keeps its lines in one table, where the period does narrow a query (a period's lines, its
sums): there alone, an index on (period, account) keeps what the key's old order gave. It is not
in the model's Meta, which would build it on PostgreSQL's partitions too."""

from django.db import migrations, models

SQLITE_INDEX = "billing_charge_period_account"


def index_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX {SQLITE_INDEX} ON billing_charge (period_id, account_id)"
        )


def drop_index_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SQLITE_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0030_charge_partitioned_by_period"),
        ("housing", "0008_data_version"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="charge", name="charge_line_unique"),
        migrations.RemoveIndex(model_name="charge", name="billing_cha_account_8adc4c_idx"),
        migrations.AddConstraint(
            model_name="charge",
            constraint=models.UniqueConstraint(
                fields=("account", "service", "period"), name="charge_line_unique"
            ),
        ),
        migrations.RunPython(index_on_sqlite, drop_index_on_sqlite, elidable=False),
    ]
