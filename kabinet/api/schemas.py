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
