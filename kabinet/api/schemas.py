"""What the API answers and accepts, described for the OpenAPI schema (in Russian)."""

import datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class AccountOut(Schema):
    id: int
    number: str = Field(description="Номер лицевого счёта")
    address: str = Field(description="Адрес помещения")
    organization: str = Field(description="Управляющая организация")
    balance: Decimal = Field(description="Долг (> 0) или переплата (< 0), руб.")


class ServiceLineOut(Schema):
    service_id: int = Field(description="Код услуги: по нему — «Как рассчитано» строки")
    service: str = Field(description="Услуга")
    unit: str = Field(description="Единица измерения")
    tariff: Decimal = Field(description="Тариф, руб.")
    volume: Decimal = Field(description="Объём")
    charged: Decimal = Field(description="Начислено, руб.")
    recalculation: Decimal = Field(description="Перерасчёт, руб.")
    total: Decimal = Field(description="Итого, руб.")


class AccountCardOut(AccountOut):
    capital_repair_balance: Decimal | None = Field(
        description="Долг по взносам на капремонт, если они на специальном счёте, руб."
    )
    month: datetime.date | None = Field(description="Месяц последних начислений (первое число)")
    services: list[ServiceLineOut] = Field(description="Таблица услуг за этот месяц")
    charged: Decimal = Field(description="Начислено за месяц, руб.")
    recalculation: Decimal = Field(description="Перерасчёты за месяц, руб.")
    total: Decimal = Field(description="Итого за месяц, руб.")


class MonthTotalsOut(Schema):
    month: datetime.date = Field(description="Месяц (первое число)")
    charged: Decimal = Field(description="Начислено, руб.")
    recalculation: Decimal = Field(description="Перерасчёты, руб.")
    penalties: Decimal = Field(description="Пени, руб.")
    total: Decimal = Field(description="Итого, руб.")


class ExplanationStepOut(Schema):
    text: str = Field(description="Шаг расчёта словами, с цифрами")
    amount: Decimal | None = Field(description="Сумма, которую даёт шаг, руб. (нет — не деньги)")


class HouseFiguresOut(Schema):
    resource: str = Field(description="Ресурс")
    house_volume: Decimal | None = Field(
        description="Объём по общедомовому прибору учёта (нет — ОДН по нормативу)"
    )
    individual: Decimal = Field(description="Сумма объёмов помещений дома")
    normative: Decimal | None = Field(description="Норматив на ОДН на 1 м²")
    common_area: Decimal | None = Field(description="Площадь общего имущества, м²")
    premises_area: Decimal = Field(description="Площадь всех помещений дома, м²")
    distribute_excess: bool = Field(description="Общее собрание решило распределять весь объём")
    charged: Decimal = Field(description="Объём ОДН, распределённый по помещениям")
    excess: Decimal = Field(description="Сверх норматива: жителям не предъявлено")


class ChargeExplanationOut(Schema):
    month: datetime.date = Field(description="Месяц (первое число)")
    service_id: int = Field(description="Код услуги")
    service: str = Field(description="Услуга")
    method: str = Field(description="Способ расчёта")
    basis: str = Field(description="Как определён объём, и правило")
    steps: list[ExplanationStepOut] = Field(
        description="Шаги от исходных данных к сумме: суммы шагов складываются в начисленное"
    )
    charged: Decimal = Field(description="Начислено, руб.")
    recalculation: Decimal = Field(description="Перерасчёт, руб.")
    total: Decimal = Field(description="Итого, руб.")
    inputs: dict | None = Field(
        description="Исходные данные, сохранённые расчётом (ключи — в docs/design.md, "
        "«Как рассчитано»); нет у строк, рассчитанных до их сохранения, и загруженных"
    )
    house_figures: HouseFiguresOut | None = Field(
        description="Показатели дома для ОДН, сохранённые расчётом"
    )


class MonthChargesOut(Schema):
    month: datetime.date = Field(description="Месяц (первое число)")
    services: list[ServiceLineOut] = Field(description="Таблица услуг за месяц")
    charged: Decimal = Field(description="Начислено за месяц, руб.")
    recalculation: Decimal = Field(description="Перерасчёты за месяц, руб.")
    total: Decimal = Field(description="Итого за месяц, руб.")


class WindowOut(Schema):
    month: datetime.date = Field(description="Месяц, за который принимаются показания")
    opens: datetime.date = Field(description="Первый день приёма")
    closes: datetime.date = Field(description="Последний день приёма")
    is_open: bool = Field(description="Принимаются ли показания сегодня")
    next_opening: datetime.date = Field(description="Когда приём откроется (сегодня, если открыт)")


class ReadingOut(Schema):
    month: datetime.date = Field(description="Месяц показания (первое число)")
    value: Decimal = Field(description="Показание")
    taken_on: datetime.date = Field(description="Дата снятия")
    source: str = Field(description="Источник: resident, staff, import, estimate…")
    is_estimate: bool = Field(description="Расчётное значение, а не показание счётчика")


class MeterOut(Schema):
    id: int
    resource: str = Field(description="Ресурс: cold_water, hot_water, electricity, heat, gas")
    resource_name: str = Field(description="Ресурс по-русски")
    serial_number: str = Field(description="Заводской номер")
    place: str = Field(description="Место установки")
    digits: int = Field(description="Знаков до запятой")
    verification_due: datetime.date = Field(description="Дата очередной поверки")
    last_reading: ReadingOut | None = Field(description="Последнее показание или начисление")
    current_reading: ReadingOut | None = Field(description="Показание за текущий месяц")


class MetersOut(Schema):
    window: WindowOut
    meters: list[MeterOut]


class ReadingIn(Schema):
    meter_id: int = Field(description="Счётчик (id из списка счётчиков)")
    value: str = Field(
        max_length=30, description="Показание, как в форме: «815», «815,27» или «815.270»"
    )
    confirm_unusual: bool = Field(
        default=False,
        description="Подтверждаю необычно большой расход (иначе такое показание вернётся "
        "с ошибкой вида unusual)",
    )


class ReadingsIn(Schema):
    readings: list[ReadingIn] = Field(max_length=50, description="Показания счётчиков")


class AcceptedReadingOut(Schema):
    meter_id: int
    month: datetime.date
    value: Decimal


class ReadingsAcceptedOut(Schema):
    readings: list[AcceptedReadingOut]
