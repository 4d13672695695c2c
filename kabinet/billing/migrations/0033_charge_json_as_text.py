"""A charge line's ``inputs`` and ``tariff_spans`` kept by PostgreSQL as ``json``, not ``jsonb``
(``TextJSONField``): a billing run COPYs them on each of a month's lines and nothing queries
inside them, so ``jsonb``'s parsing into its binary form was a third of the server's work
on a part's COPY (bench/README.md «3.12.2026 (evening)»).

The change of type rewrites every period's partition, in the migration's transaction (on the
benchmark's world of three months of 1 000 000 accounts, some 21 million lines: see
deploy/README.md). SQLite stores JSON as text either way: there the migration changes only
Django's state, so that it does not rebuild the table (which would drop 0031's index)."""

from django.db import migrations

import kabinet.billing.models.periods

COLUMNS = ("inputs", "tariff_spans")


def retype(to: str):
    def change(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                "ALTER TABLE billing_charge "
                + ", ".join(
                    f"ALTER COLUMN {column} TYPE {to} USING {column}::{to}" for column in COLUMNS
                )
            )

    return change


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0032_penalty_period_without_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="charge",
                    name="inputs",
                    field=kabinet.billing.models.periods.TextJSONField(
                        blank=True, null=True, verbose_name="исходные данные расчёта"
                    ),
                ),
                migrations.AlterField(
                    model_name="charge",
                    name="tariff_spans",
                    field=kabinet.billing.models.periods.TextJSONField(
                        blank=True,
                        help_text="Тариф изменился в течение месяца: части по каждому "
                        "утверждённому тарифу (тариф, с, по, дней, объём, сумма); «тариф» "
                        "строки — действующий в конце.",
                        null=True,
                        verbose_name="по тарифам",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(retype("json"), retype("jsonb"), elidable=False),
            ],
        ),
    ]
