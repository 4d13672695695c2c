"""Shipped data: the Bank of Russia's key-rate history and the dated rules of penalties and the
due date (docs/billing-law.md cites each). A change of the law or a new rate is a new migration
like this one: rows, not code."""

import datetime
from decimal import Decimal

from django.db import migrations

KEY_RATE_SOURCE = (
    "Банк России, «Ключевая ставка Банка России» (cbr.ru/hd_base/KeyRate); с 01.01.2016 "
    "ставка рефинансирования равна ключевой (Указание Банка России от 11.12.2015 № 3894-У)"
)

# (the day from which the rate applies, % per year)
KEY_RATES = [
    ("2016-01-01", "11.00"), ("2016-06-14", "10.50"), ("2016-09-19", "10.00"),
    ("2017-03-27", "9.75"), ("2017-05-02", "9.25"), ("2017-06-19", "9.00"),
    ("2017-09-18", "8.50"), ("2017-10-30", "8.25"), ("2017-12-18", "7.75"),
    ("2018-02-12", "7.50"), ("2018-03-26", "7.25"), ("2018-09-17", "7.50"),
    ("2018-12-17", "7.75"), ("2019-06-17", "7.50"), ("2019-07-29", "7.25"),
    ("2019-09-09", "7.00"), ("2019-10-28", "6.50"), ("2019-12-16", "6.25"),
    ("2020-02-10", "6.00"), ("2020-04-27", "5.50"), ("2020-06-22", "4.50"),
    ("2020-07-27", "4.25"), ("2021-03-22", "4.50"), ("2021-04-26", "5.00"),
    ("2021-06-15", "5.50"), ("2021-07-26", "6.50"), ("2021-09-13", "6.75"),
    ("2021-10-25", "7.50"), ("2021-12-20", "8.50"), ("2022-02-14", "9.50"),
    ("2022-02-28", "20.00"), ("2022-04-11", "17.00"), ("2022-05-04", "14.00"),
    ("2022-05-27", "11.00"), ("2022-06-14", "9.50"), ("2022-07-25", "8.00"),
    ("2022-09-19", "7.50"), ("2023-07-24", "8.50"), ("2023-08-15", "12.00"),
    ("2023-09-18", "13.00"), ("2023-10-30", "15.00"), ("2023-12-18", "16.00"),
    ("2024-07-29", "18.00"), ("2024-09-16", "19.00"), ("2024-10-28", "21.00"),
    ("2025-06-09", "20.00"), ("2025-07-28", "18.00"), ("2025-09-15", "17.00"),
    ("2025-10-27", "16.50"), ("2025-12-22", "16.00"), ("2026-02-16", "15.50"),
]  # fmt: skip

# kind, first day, last day, value, for debts arisen before, source
RULES = [
    (
        "moratorium", "2020-04-06", "2020-12-31", None, None,
        "Постановление Правительства РФ от 02.04.2020 № 424, п. 5: взыскание неустойки за "
        "несвоевременную или неполную оплату жилого помещения и коммунальных услуг "
        "приостановлено до 01.01.2021; в силу со дня опубликования — 06.04.2020",
    ),
    (
        "moratorium", "2022-04-01", "2022-10-01", None, "2022-04-01",
        "Постановление Правительства РФ от 28.03.2022 № 497, п. 1, 4: мораторий с "
        "01.04.2022 на 6 месяцев; Федеральный закон от 26.10.2002 № 127-ФЗ, ст. 9.1 п. 3, "
        "ст. 63 п. 1 абз. 10: неустойка не начисляется по требованиям, возникшим до моратория",
    ),
    (
        "rate_cap", "2022-02-28", "2024-12-31", "9.50", None,
        "Постановление Правительства РФ от 26.03.2022 № 474, п. 5 (в ред. постановлений, "
        "продливших срок до 01.01.2025): меньшая из ключевых ставок на 27.02.2022 (9,5 %) и на "
        "день фактической оплаты; распространяется на отношения с 28.02.2022",
    ),
    (
        "rate_cap", "2025-01-01", "2026-12-31", "9.50", None,
        "Постановление Правительства РФ от 18.03.2025 № 329: тот же порядок до 01.01.2027; "
        "распространяется на правоотношения, возникшие с 01.01.2025",
    ),
    (
        "due_day", "2026-02-01", None, "15", None,
        "ЖК РФ ст. 155 ч. 1 в ред. Федерального закона от 24.06.2025 № 177-ФЗ (в силу с "
        "01.03.2026): до 15-го числа месяца, следующего за истекшим, иной срок договором не "
        "устанавливается; письмо Минстроя России от 20.02.2026 № 9202-ДН/04: применяется уже "
        "к платёжным документам за февраль 2026 года",
    ),
]  # fmt: skip


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


def ship(apps, schema_editor):
    KeyRate = apps.get_model("billing", "KeyRate")
    PenaltyRule = apps.get_model("billing", "PenaltyRule")
    KeyRate.objects.bulk_create(
        KeyRate(
            organization=None, valid_from=_date(day), rate=Decimal(rate), source=KEY_RATE_SOURCE
        )
        for day, rate in KEY_RATES
    )
    PenaltyRule.objects.bulk_create(
        PenaltyRule(
            kind=kind,
            first_day=_date(first),
            last_day=_date(last),
            value=Decimal(value) if value else None,
            arisen_before=_date(before),
            source=source,
        )  # fmt: skip
        for kind, first, last, value, before, source in RULES
    )


def unship(apps, schema_editor):
    apps.get_model("billing", "KeyRate").objects.filter(organization__isnull=True).delete()
    apps.get_model("billing", "PenaltyRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_shipped_key_rates_and_penalty_rules")]

    operations = [migrations.RunPython(ship, unship)]
