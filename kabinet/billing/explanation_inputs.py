"""«Как рассчитано»: the steps from a line's stored inputs (``Charge.inputs``, keys in
``billing.explanation``) to its volume, and from its house's stored common-house figures
(``HouseFigures``) to its common-house share. Every figure is one the run stored; each step
ends in the figure the next one starts from, so that a resident can redo them by hand."""

import datetime
from decimal import Decimal

from kabinet.billing.models import Charge, ChargeBasis, HouseFigures
from kabinet.formats import format_number, format_quantity, format_reading, month_name

SHOWN_PLACES = Decimal("0.00000001")  # an unrounded ratio (heat per m²) as shown


def _n(value) -> str:
    """A stored figure with the places it has (``54.30`` → ``54,3``; ``5.273000`` → ``5,273``)."""
    return format_number(Decimal(value))


def _q(value, unit: str) -> str:
    """A volume or a normative: at least two places, all that matter."""
    return f"{format_quantity(Decimal(value))} {unit}".strip()


def _day(text: str) -> str:
    return f"{datetime.date.fromisoformat(text):%d.%m.%Y}"


def _area(inputs: dict) -> str:
    """The account's area (the premise's × its share), in words."""
    area, share = Decimal(inputs["area"]), Decimal(inputs.get("share", "1"))
    if share == 1:
        return f"{format_quantity(area)} м²"
    return (
        f"{format_quantity(area)} м² × доля в помещении {_n(share)} = "
        f"{format_quantity(area * share)} м²"
    )


def _meter_step(meter: dict, unit: str) -> str:
    number = f"Прибор учёта № {meter['serial']}" if meter.get("serial") else "Прибор учёта"
    previous, current = Decimal(meter["previous"]), Decimal(meter["current"])
    used = Decimal(meter["used"])
    readings = (
        f"показания за {month_name(datetime.date.fromisoformat(meter['from']))} — "
        f"{format_reading(previous)}, за {month_name(datetime.date.fromisoformat(meter['to']))} — "
        f"{format_reading(current)}"
    )
    difference = f"{format_reading(current)} − {format_reading(previous)} = {_q(used, unit)}"
    if used != current - previous:
        difference = f"{_q(used, unit)} (счётчик прошёл через ноль)"
    if meter["how"] == "average":
        return (
            f"{number}: показаний за месяц нет — среднемесячный расход (Правила № 354 п. 59) "
            f"по последним показаниям: {readings}; расход {difference} за {meter['months']} "
            f"мес.: {_q(used, unit)} / {meter['months']} = {_q(meter['volume'], unit)} в месяц"
        )
    text = f"{number}: {readings}; расход {difference}"
    taken_off = Decimal(meter.get("taken_off") or 0)
    if taken_off:
        text += (
            f"; за месяцы между показаниями уже начислено по среднему (нормативу) "
            f"{_q(taken_off, unit)}, остаётся {_q(used, unit)} − {_q(taken_off, unit)} = "
            f"{_q(meter['volume'], unit)} (Правила № 354 п. 61)"
        )
    return text


def _persons(inputs: dict) -> str:
    persons, registered = inputs["persons"], inputs.get("registered", inputs["persons"])
    if registered:
        return f"{persons} чел. (зарегистрировано)"
    return f"{persons} чел. (собственники: никто не зарегистрирован, Правила № 354 п. 56(2))"


def volume_steps(charge: Charge, unit: str) -> list[str]:
    """How the line's volume was found, from its stored inputs, ending in the stored volume."""
    inputs = charge.inputs
    steps = []
    area_text = _area(inputs)
    # by meters (or the water's volumes, which were scaled already): never by the days
    partial = "days" in inputs and not ("meters" in inputs or "water" in inputs)
    fraction = f" × {inputs['days']}/{inputs['month_days']}" if partial else ""
    if partial:
        steps.append(
            f"Лицевой счёт действовал не весь месяц: с {_day(inputs['from'])} по "
            f"{_day(inputs['to'])} — {inputs['days']} дн. из {inputs['month_days']}; объём "
            "за месяц умножается на эту долю (Правила № 354 п. 42, приложение № 2)"
        )
    volume = _q(charge.volume, unit)
    if "meters" in inputs:
        meters = inputs["meters"]
        steps += [_meter_step(meter, unit) for meter in meters]
        if len(meters) > 1:
            parts = " + ".join(_q(meter["volume"], unit) for meter in meters)
            steps.append(f"Объём помещения по приборам: {parts} = {volume}")
    elif "water" in inputs:
        steps.append(
            "Объём водоотведения — сумма объёмов холодной и горячей воды за месяц "
            f"(Правила № 354 п. 42): {_q(inputs['water'], unit)}"
        )
    elif "heating" in inputs:
        heating = inputs["heating"]
        factor = Decimal(heating["factor"])
        if heating["by_normative"]:
            text = (
                f"Норматив {_q(heating['normative'], unit)} на 1 м² × площадь {area_text} × "
                f"коэффициент периодичности {_n(factor.quantize(SHOWN_PLACES))}"
            )
        else:
            text = (
                f"Площадь {area_text} × расход тепла дома на 1 м² площади помещений "
                f"{_n(factor.quantize(SHOWN_PLACES))} {unit}"
            )
        if heating.get("own"):
            text += f" + по приборам учёта помещения {_q(heating['own'], unit)}"
        steps.append(f"{text}{fraction} = {volume} (Правила № 354, приложение № 2)")
    elif "persons" in inputs:
        steps.append(
            f"Норматив {_q(inputs['normative'], unit)} на человека в месяц × "
            f"{_persons(inputs)}{fraction} = {volume}"
        )
    elif "normative" in inputs:
        steps.append(
            f"Норматив {_q(inputs['normative'], unit)} на 1 м² × площадь {area_text}{fraction}"
            f" = {volume}"
        )
    elif charge.basis == ChargeBasis.AREA:
        steps.append(
            f"Площадь помещения {area_text}" + (f"{fraction} = {volume}" if partial else "")
        )
    elif charge.basis == ChargeBasis.FIXED and partial:
        steps.append(f"Доля месяца: {inputs['days']}/{inputs['month_days']} = {_n(charge.volume)}")
    return steps


def common_steps(charge: Charge, figures: HouseFigures, unit: str) -> list[str]:
    """How the house's common-house volume was found and the line's part of it (Правила
    № 354 п. 44; ЖК РФ ст. 156 ч. 9.2), from the house's stored figures."""
    steps = []
    cap = (
        figures.normative * figures.common_area
        if figures.normative is not None and figures.common_area is not None
        else None
    )
    cap_text = (
        f"норматив на ОДН {_q(figures.normative, unit)} на 1 м² × площадь общего имущества "
        f"{format_quantity(figures.common_area)} м² = {_q(cap, unit)}"
        if cap is not None
        else ""
    )
    if figures.house_volume is None:
        steps.append(f"Общедомовой прибор учёта не показал расход за месяц: объём ОДН — {cap_text}")
    else:
        difference = max(figures.house_volume - figures.individual, Decimal(0))
        steps.append(
            f"Дом за месяц по общедомовому прибору учёта: {_q(figures.house_volume, unit)}; "
            f"все помещения по своим объёмам: {_q(figures.individual, unit)}; на общедомовые "
            f"нужды {_q(figures.house_volume, unit)} − {_q(figures.individual, unit)} = "
            f"{_q(difference, unit)}"
        )
        if cap is not None and figures.distribute_excess:
            steps.append(
                "Общее собрание решило распределять весь объём ОДН, без ограничения нормативом"
            )
        elif cap is not None:
            text = f"Не больше чем {cap_text}"
            if figures.excess:
                text += (
                    f"; сверх него {_q(figures.excess, unit)} жителям не предъявляется — "
                    "расход управляющей организации"
                )
            steps.append(f"{text}; распределяется {_q(figures.charged, unit)}")
    area_text = _area(charge.inputs)
    steps.append(
        f"Доля помещения: {_q(figures.charged, unit)} × площадь помещения {area_text} / "
        f"площадь всех помещений дома {format_quantity(figures.premises_area)} м² = "
        f"{_q(charge.common_volume, unit)}"
    )
    return steps
