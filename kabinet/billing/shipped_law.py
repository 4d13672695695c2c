"""The law as shipped data: the Bank of Russia's key-rate history (and the refinancing rate
before it), the editions of the penalty's scale, the dated rules of penalties and the due date,
and the federal increasing coefficients to the normative (docs/billing-law.md cites each).

A change of the law or a new key rate is a new row here, not new code. ``install_shipped_law``
runs after every ``migrate`` (and after a test's database flush, which Django follows with the
same signal), adding missing rows and correcting changed ones; rows staff added for their
organisation are never touched.
"""

import datetime
from decimal import Decimal

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

# ЖК РФ ст. 155 ч. 14 named the refinancing rate until it became equal to the key rate on
# 01.01.2016: the rate in force before that (the day from which it applies, % per year, source).
REFINANCING_RATES = [
    (
        "2012-09-14", "8.25",
        "Указание Банка России от 13.09.2012 № 2873-У «О размере ставки рефинансирования Банка "
        "России»: 8,25 % годовых начиная с 14.09.2012 (по 31.12.2015: с 01.01.2016 ставка "
        "рефинансирования равна ключевой, Указание Банка России от 11.12.2015 № 3894-У)",
    ),
]  # fmt: skip


def shipped_rates() -> list[tuple[str, str, str]]:
    """Every shipped rate: (the day from which it applies, % per year, source)."""
    return [*REFINANCING_RATES, *((day, rate, KEY_RATE_SOURCE) for day, rate in KEY_RATES)]


# ЖК РФ ст. 155 ч. 14 by edition, for the penalty days first day – last day: days of delay
# without penalty, 1/N of the rate, the day of delay from which 1/M applies, M, source
# (docs/billing-law.md, «The scale of ч. 14 by date»).
SCALES = [
    (
        "2005-03-01", "2015-12-31", 0, 300, None, None,
        "ЖК РФ ст. 155 ч. 14 в редакции до Федерального закона от 03.11.2015 № 307-ФЗ: пени в "
        "размере 1/300 ставки рефинансирования ЦБ РФ, действующей на момент оплаты, от не "
        "выплаченных в срок сумм за каждый день просрочки начиная со следующего дня после "
        "наступления установленного срока оплаты по день фактической выплаты включительно "
        "(ЖК РФ введён в действие с 01.03.2005 Федеральным законом от 29.12.2004 № 189-ФЗ)",
    ),
    (
        "2016-01-01", None, 30, 300, 91, 130,
        "ЖК РФ ст. 155 ч. 14 в ред. Федерального закона от 03.11.2015 № 307-ФЗ (в силу с "
        "01.01.2016): 1/300 ставки за каждый день просрочки начиная с 31-го дня, следующего "
        "за днём наступления установленного срока оплаты, по 90-й день; начиная с 91-го дня "
        "— 1/130 ставки",
    ),
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
    (
        "document_day", "2026-02-01", None, "5", None,
        "ЖК РФ ст. 155 ч. 2 п. 1 в ред. Федерального закона от 24.06.2025 № 177-ФЗ (в силу с "
        "01.03.2026): платёжные документы, в том числе в электронной форме, представляются не "
        "позднее пятого числа месяца, следующего за истекшим, иной срок договором не "
        "устанавливается; письмо Минстроя России от 20.02.2026 № 9202-ДН/04: уже за февраль "
        "2026 года; нерабочий день — ГК РФ ст. 193",
    ),
]  # fmt: skip


# Правила № 354 п. 72: the interest of an instalment plan is at most the Bank of Russia's key
# rate on the day the plan is granted, increased by 3 % (the margin, % per year).
INSTALMENT_MARGIN = "3"
# Grants on first day – last day: the interest is at most ``value`` % a year, whatever the key
# rate (first day, last day, value, source).
INSTALMENT_RATE_CAPS = [
    (
        "2022-02-28", "2022-12-31", "9.50",
        "Постановление Правительства РФ от 28.04.2022 № 763 (изменения в п. 72 Правил № 354): "
        "в 2022 году проценты за рассрочку — исходя из ключевой ставки на 27.02.2022, 9,5 % "
        "годовых; распространяется на отношения с 28.02.2022",
    ),
]  # fmt: skip


COEFFICIENTS_FROM_2017 = (
    "Постановление Правительства РФ от 29.06.2016 № 603 (изменения в Правила № 354): "
    "повышающий коэффициент 1,5 с 01.01.2017"
)
COEFFICIENTS_PP_1871 = (
    "Постановление Правительства РФ от 25.11.2025 № 1871, в силу с 06.12.2025: "
    "для холодного водоснабжения — 3"
)
# Правила № 354 п. 42, formula 4 of приложение № 2: resource, first day, last day, value, source
COEFFICIENTS = [
    ("cold_water", "2017-01-01", "2025-12-05", "1.5", COEFFICIENTS_FROM_2017),
    ("cold_water", "2025-12-06", None, "3", COEFFICIENTS_PP_1871),
    ("hot_water", "2017-01-01", None, "1.5", COEFFICIENTS_FROM_2017),
    ("wastewater", "2017-01-01", None, "1.5", COEFFICIENTS_FROM_2017),
    ("electricity", "2017-01-01", None, "1.5", COEFFICIENTS_FROM_2017),
]


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


def install_shipped_law(key_rate_model, penalty_rule_model) -> None:
    """Make the shipped rows present and as written here (the models are passed in so that a
    migration may call it with its historical models)."""
    rates = {
        rate.valid_from: rate for rate in key_rate_model.objects.filter(organization__isnull=True)
    }
    for day, value, source in shipped_rates():
        valid_from, value = _date(day), Decimal(value)
        stored = rates.get(valid_from)
        if stored is None:
            key_rate_model.objects.create(
                organization=None, valid_from=valid_from, rate=value, source=source
            )
        elif (stored.rate, stored.source) != (value, source):
            stored.rate, stored.source = value, source
            stored.save(update_fields=["rate", "source"])
    rules = {(rule.kind, rule.first_day): rule for rule in penalty_rule_model.objects.all()}
    for kind, first, last, value, before, source in RULES:
        fields = {
            "last_day": _date(last),
            "value": Decimal(value) if value else None,
            "arisen_before": _date(before),
            "source": source,
        }
        stored = rules.get((kind, _date(first)))
        if stored is None:
            penalty_rule_model.objects.create(kind=kind, first_day=_date(first), **fields)
        elif any(getattr(stored, name) != wanted for name, wanted in fields.items()):
            for name, wanted in fields.items():
                setattr(stored, name, wanted)
            stored.save(update_fields=list(fields))


def install_shipped_coefficients(coefficient_model) -> None:
    """The federal increasing coefficients, present and as written here (organisations' own
    rows, which replace them for a resource, are never touched)."""
    stored = {
        (row.resource, row.valid_from): row
        for row in coefficient_model.objects.filter(organization__isnull=True)
    }
    for resource, first, last, value, source in COEFFICIENTS:
        fields = {"valid_to": _date(last), "value": Decimal(value), "source": source}
        row = stored.get((resource, _date(first)))
        if row is None:
            coefficient_model.objects.create(
                organization=None, resource=resource, valid_from=_date(first), **fields
            )
        elif any(getattr(row, name) != wanted for name, wanted in fields.items()):
            for name, wanted in fields.items():
                setattr(row, name, wanted)
            row.save(update_fields=list(fields))


def install_shipped_scales(scale_model) -> None:
    """The editions of ЖК РФ ст. 155 ч. 14 (``SCALES``), present and as written here."""
    stored = {row.valid_from: row for row in scale_model.objects.all()}
    for first, last, free_days, fraction, step_day, step_fraction, source in SCALES:
        fields = {
            "valid_to": _date(last), "free_days": free_days, "fraction": fraction,
            "step_day": step_day, "step_fraction": step_fraction, "source": source,
        }  # fmt: skip
        row = stored.get(_date(first))
        if row is None:
            scale_model.objects.create(valid_from=_date(first), **fields)
        elif any(getattr(row, name) != wanted for name, wanted in fields.items()):
            for name, wanted in fields.items():
                setattr(row, name, wanted)
            row.save(update_fields=list(fields))


def penalty_law(fixed_rate: Decimal | None = None):
    """The shipped law as ``law.penalty_law`` builds it from its rows, without a database: for
    tests and benchmarks of the penalty arithmetic alone (staff's own key rates left out)."""
    from kabinet.billing import penalty_rules

    def day(text):
        return datetime.date.fromisoformat(text) if text else None

    return penalty_rules.PenaltyLaw(
        key_rates=tuple((day(first), Decimal(rate)) for first, rate, _ in shipped_rates()),
        caps=tuple(penalty_rules.RateCap(day(first), day(last), Decimal(value))
                   for kind, first, last, value, _, _ in RULES if kind == "rate_cap"),
        moratoria=tuple(penalty_rules.Moratorium(day(first), day(last), day(before))
                        for kind, first, last, _, before, _ in RULES if kind == "moratorium"),
        scales=tuple(penalty_rules.Scale(day(first), day(last), *numbers)
                     for first, last, *numbers, _ in SCALES),
        fixed_rate=fixed_rate,
    )  # fmt: skip
