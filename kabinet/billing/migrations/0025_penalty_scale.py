"""The editions of ЖК РФ ст. 155 ч. 14 as dated rows (``PenaltyScale``) and the refinancing rate
that the edition before 2016 names, as listed with their sources in
kabinet/billing/shipped_law.py (``SCALES``, ``REFINANCING_RATES``; docs/billing-law.md, «The
scale of ч. 14 by date»). Later changes need no migration: every ``migrate`` installs them
(billing.apps)."""

import datetime

import django.core.validators
from django.db import migrations, models

from kabinet.billing.shipped_law import install_shipped_law, install_shipped_scales


def ship(apps, schema_editor):
    install_shipped_scales(apps.get_model("billing", "PenaltyScale"))
    install_shipped_law(apps.get_model("billing", "KeyRate"), apps.get_model("billing", "PenaltyRule"))


def unship(apps, schema_editor):
    apps.get_model("billing", "KeyRate").objects.filter(
        organization__isnull=True, valid_from__lt=datetime.date(2016, 1, 1)
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0024_dated_rows'),
    ]

    operations = [
        migrations.CreateModel(
            name='PenaltyScale',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('valid_from', models.DateField(verbose_name='действует с')),
                ('valid_to', models.DateField(blank=True, null=True, verbose_name='действует по')),
                ('free_days', models.PositiveSmallIntegerField(verbose_name='дней просрочки без пени')),
                ('fraction', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='доля ставки в день, 1/N')),
                ('step_day', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='с какого дня просрочки другая доля')),
                ('step_fraction', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1)], verbose_name='доля ставки с этого дня, 1/N')),
                ('source', models.CharField(max_length=500, verbose_name='основание (акт, дата, номер, пункт)')),
            ],
            options={
                'verbose_name': 'шкала пени (ЖК РФ ст. 155 ч. 14)',
                'verbose_name_plural': 'шкалы пени (ЖК РФ ст. 155 ч. 14)',
                'ordering': ['valid_from'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='billing_penaltyscale_dates_ordered'), models.UniqueConstraint(fields=('valid_from',), name='penalty_scale_from_unique'), models.CheckConstraint(condition=models.Q(('fraction__gte', 1)), name='penalty_scale_fraction'), models.CheckConstraint(condition=models.Q(models.Q(('step_day__isnull', True), ('step_fraction__isnull', True)), models.Q(('step_day__gt', models.F('free_days')), ('step_fraction__gte', 1)), _connector='OR'), name='penalty_scale_step_complete')],
            },
        ),
        migrations.RunPython(ship, unship),
    ]
