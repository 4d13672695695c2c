"""«Как рассчитано»: a stored charge line told in words, with the figures the billing run
stored for it (``Charge``), so that a resident can check the amount by hand. Nothing is
recomputed here: each step quotes a stored figure, and the steps add up to the stored amounts
because the run built them that way (``billing.run._put_line``, ``_add_coefficient``,
``billing.common_share``).

The inputs behind the volume are those the run stored on the line (``Charge.inputs``; lines
from before, imports and the benchmarks have none and are told from the columns alone), and
the house's common-house figures once per house (``HouseFigures``). ``Charge.inputs`` keys,
each present only where it applies (decimals as strings):

- ``area``, ``share`` — the premise's area, m², and the account's share of it (every line;
  no ``share``: the whole premise);
- ``from``, ``to``, ``days``, ``month_days`` — a month the account was open only partly:
  a volume not by meters is the month's × ``days`` / ``month_days``;
- ``persons``, ``registered`` — the persons a normative per person is charged for and, where
  they differ, those registered (none: the owners, Правила № 354 п. 56(2)); ``normative`` —
  per person, or per m² for a service by the normative per m²;
- ``meters`` — each meter: ``serial``, ``how`` (reading, average), the two readings ``from``/
  ``previous`` and ``to``/``current``, the ``months`` between them, the consumption ``used``,
  what the months between were charged by estimate (``taken_off``) and its ``volume``;
- ``heating`` — ``factor`` (by the normative: the periodicity coefficient; else the house's
  heat per m²), ``by_normative``, ``normative``, ``own`` (the premise's own heat meters);
- ``water`` — wastewater's volume: the month's cold and hot water.

The rules quoted are those the run applies: Правила № 354 (Постановление Правительства РФ от
06.05.2011 № 354) п. 42 and приложение № 2 (meters, normatives, the increasing coefficient),
п. 44 (the common-house share), п. 56(2) (the owners when nobody is registered), п. 59 (the
average while readings are missing), п. 69 «в» (a tariff changed within the month); ЖК РФ
ст. 158 ч. 1 (maintenance by the premise's area)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from kabinet.billing.explanation_inputs import common_steps, volume_steps
from kabinet.billing.models import Charge, ChargeBasis, HouseFigures
from kabinet.billing.models.law import WASTEWATER
from kabinet.billing.models.services import (
    INSTALMENT_METHODS,
    PENALTY_METHODS,
    CalculationMethod,
)
from kabinet.formats import format_quantity, format_rubles, month_name, unit_name
from kabinet.money import ZERO

# The appeal topic a dispute of a charge goes under (one of appeals.services.DEFAULT_TOPICS).
DISPUTE_TOPIC = "Начисления"

# How the volume was found, in words (ChargeBasis → the rule).
BASIS_WORDS = {
    ChargeBasis.READING: "по показаниям индивидуального прибора учёта: расход за месяц — "
    "разница между показаниями этого и прошлого месяца (Правила № 354 п. 42, "
    "приложение № 2)",
    ChargeBasis.AVERAGE: "по среднемесячному расходу прибора учёта: показания за месяц не "
    "переданы, объём взят как среднее за прошлые месяцы (Правила № 354 п. 59); после передачи "
    "показаний он будет пересчитан",
    ChargeBasis.NORMATIVE: "по нормативу потребления: норматив на человека × число "
    "проживающих (зарегистрированных) — прибора учёта нет или его показания нельзя применить "
    "(Правила № 354 п. 42, приложение № 2)",
    ChargeBasis.AREA: "по площади помещения, м² (ЖК РФ ст. 158 ч. 1; для отопления — "
    "Правила № 354, приложение № 2)",
    ChargeBasis.FIXED: "фиксированная плата на лицевой счёт за месяц",
    ChargeBasis.IMPORT: "загружено из расчёта поставщика услуги",
}
# Lines whose amount comes from another page than the services table.
ELSEWHERE = {
    **dict.fromkeys(PENALTY_METHODS, "Пени начислены на долг, не оплаченный в срок: расчёт по "
                    "дням — на странице «Пени» (ЖК РФ ст. 155 ч. 14 и 14.1)."),
    **dict.fromkeys(INSTALMENT_METHODS, "Платёж по рассрочке платы (Правила № 354 п. 72): "
                    "сумма и проценты — в карточке лицевого счёта."),
}  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One line of the explanation: what was done, and the amount it gives (if money)."""

    text: str
    amount: Decimal | None = None


@dataclass
class Explanation:
    """A charge line, how its volume was found, and the steps from it to the amount."""

    service: str
    month: datetime.date
    method: str
    basis: str
    steps: list[Step] = field(default_factory=list)
    charged: Decimal = ZERO
    recalculation: Decimal = ZERO
    total: Decimal = ZERO


def _volume(value: Decimal, unit: str) -> str:
    """A volume with all the places the run kept, so that volume × tariff can be checked."""
    return f"{format_quantity(value)} {unit}".strip()


def _tariff(value: Decimal, unit: str) -> str:
    return f"{format_quantity(value)} ₽" + (f"/{unit}" if unit else "")


def _individual_steps(charge: Charge, unit: str, individual: Decimal) -> list[Step]:
    """The premise's own volume at the tariff: in one piece, or a piece per tariff by its days
    where the tariff changed within the month (Правила № 354 п. 69 «в»)."""
    if charge.tariff_spans:
        steps = [
            Step(
                f"с {datetime.date.fromisoformat(span['from']):%d.%m} по "
                f"{datetime.date.fromisoformat(span['to']):%d.%m} ({span['days']} дн.): "
                f"{_volume(Decimal(span['volume']), unit)} × "
                f"{_tariff(Decimal(span['tariff']), unit)}",
                Decimal(span["amount"]),
            )
            for span in charge.tariff_spans
        ]
        steps.append(Step("Плата за объём помещения — сумма частей по тарифам", individual))
        return steps
    if charge.basis == ChargeBasis.FIXED:
        text = f"Плата за месяц по тарифу {format_rubles(charge.tariff)}"
        if charge.volume != 1:  # a month the account was open only partly
            text += f" × {format_quantity(charge.volume)}, округлено до копейки"
        return [Step(text, individual)]
    return [
        Step(
            f"{_volume(charge.volume, unit)} × {_tariff(charge.tariff, unit)}, "
            "округлено до копейки",
            individual,
        )
    ]


def house_figures_of(charge: Charge) -> HouseFigures | None:
    """The common-house figures of the line's house, month and resource, as the run stored
    them (none before they were stored, or without a common share)."""
    if not (charge.common_volume or charge.common_charged):
        return None
    service = charge.service
    resource = WASTEWATER if service.method == CalculationMethod.WASTEWATER else service.resource
    return HouseFigures.objects.filter(
        period=charge.period_id, house=charge.account.premise.house_id, resource=resource
    ).first()


def explain_charge(charge: Charge, figures: HouseFigures | None = None) -> Explanation:
    """The stored line ``charge`` (with its service and period loaded) in words and figures;
    ``figures``: its house's common-house figures (read here when the line has a share)."""
    service = charge.service
    unit = unit_name(service.unit)
    explanation = Explanation(
        service=service.name,
        month=charge.period.month,
        method=CalculationMethod(service.method).label
        if service.method in CalculationMethod.values
        else service.method,
        basis=BASIS_WORDS.get(charge.basis, ""),
        charged=charge.charged,
        recalculation=charge.recalculation,
        total=charge.total,
    )
    steps = explanation.steps
    if service.method in ELSEWHERE:
        steps.append(Step(ELSEWHERE[service.method], charge.charged))
    else:
        individual = charge.charged - charge.common_charged - charge.coefficient_charged
        if charge.inputs:
            steps += [Step(text) for text in volume_steps(charge, unit)]
        elif charge.basis != ChargeBasis.FIXED:
            steps.append(Step(f"Объём помещения: {_volume(charge.volume, unit)}"))
        steps += _individual_steps(charge, unit, individual)
        if charge.coefficient is not None and charge.coefficient_charged:
            steps.append(
                Step(
                    f"Повышающий коэффициент {format_quantity(charge.coefficient)}: к плате по "
                    "нормативу добавлено её превышение, плата × (коэффициент − 1), округлено "
                    "до копейки (Правила № 354 п. 42, приложение № 2, формула 4)",
                    charge.coefficient_charged,
                )
            )
        if charge.common_volume or charge.common_charged:
            figures = figures or (house_figures_of(charge) if charge.inputs else None)
            if figures is not None:
                steps += [Step(text) for text in common_steps(charge, figures, unit)]
            steps.append(
                Step(
                    f"Общедомовые нужды (ОДН): доля помещения {_volume(charge.common_volume, unit)}"
                    f" — объём на содержание общего имущества дома, распределённый "
                    f"пропорционально площади помещения, × {_tariff(charge.tariff, unit)} "
                    "(Правила № 354 п. 44)",
                    charge.common_charged,
                )
            )
        parts = [individual, charge.coefficient_charged, charge.common_charged]
        if sum(1 for part in parts if part) > 1:
            sum_text = " + ".join(format_rubles(part) for part in parts if part)
            steps.append(Step(f"Начислено: {sum_text}", charge.charged))
    if charge.recalculation:
        steps.append(
            Step(
                "Перерасчёт (основания — в разделе «Перерасчёты» на странице «Начисления»)",
                charge.recalculation,
            )
        )
        steps.append(
            Step(
                f"Итого: {format_rubles(charge.charged)} + перерасчёт "
                f"{format_rubles(charge.recalculation)}",
                charge.total,
            )
        )
    return explanation


def dispute_text(account, explanation: Explanation) -> str:
    """The opening of an appeal about the line: account, month, line and its figures, so that
    the УК's staff see what is disputed without asking."""
    return (
        f"Прошу проверить начисление по лицевому счёту № {account.number} за "
        f"{month_name(explanation.month)}: «{explanation.service}», начислено "
        f"{format_rubles(explanation.charged)}, перерасчёт "
        f"{format_rubles(explanation.recalculation)}, итого {format_rubles(explanation.total)}.\n"
        "Не согласен(на), потому что: "
    )
