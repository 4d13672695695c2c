"""Section 4 of the form, «Справочная информация» (Приказ Минстроя России от 26.01.2018
№ 43/пр): the meters' readings, the house's volumes and normatives, the area totals."""

from kabinet.formats import format_number, format_quantity
from kabinet.receipts.layout.grid import Column, Grid, Section, quantity_or_dash, scaled
from kabinet.receipts.selectors import Receipt

REFERENCE_TITLE = "Справочная информация"


def _reading(value) -> str:
    return "—" if value is None else format_number(value, 3)


METER_COLUMNS = (
    Column("Прибор учёта", 0.2, numeric=False),
    Column("Заводской №", 0.2, numeric=False),
    Column("Источник", 0.15, numeric=False),
    Column("Предыдущее", 0.15),
    Column("Текущее", 0.15),
    Column("Расход", 0.15),
)


def _meters_grid(caption: str, meters) -> Grid:
    return Grid(
        caption=caption,
        columns=METER_COLUMNS,
        rows=tuple(
            (
                row.resource.capitalize(),
                row.serial_number,
                row.source,
                _reading(row.previous),
                _reading(row.current),
                _reading(row.consumption),
            )
            for row in meters
        ),
    )


def _normative(row) -> str:
    if row.normative is None:
        return "—"
    return f"{format_quantity(row.normative)} на {'м²' if row.normative_per_area else 'чел.'}"


def _volume(value) -> str:
    return "—" if value is None else format_number(value, 3)


RESOURCE_COLUMNS = (
    # (column, cell, shown only when some row has a value in it)
    (Column("Вид услуги", 0.22, numeric=False, wrap=True), lambda row: row.service, None),
    (Column("Ед. изм.", 0.07, numeric=False), lambda row: row.unit or "—", None),
    (Column("Норматив\nпотребления", 0.13), _normative, None),
    (
        Column("Норматив\nна ОДН, на м²", 0.12),
        lambda row: quantity_or_dash(row.common_normative),
        lambda row: row.common_normative is not None,
    ),
    (Column("Расход по\nОДПУ", 0.12), lambda row: _volume(row.house_meter_volume), None),
    (
        Column("Объём в\nпомещениях", 0.12),
        lambda row: format_number(row.premises_volume, 3),
        None,
    ),
    (Column("Объём\nна ОДН", 0.11), lambda row: format_number(row.common_volume, 3), None),
    (Column("Всего\nпо дому", 0.11), lambda row: format_number(row.house_volume, 3), None),
)


def _resources_grid(resources) -> Grid:
    """Per utility: the normatives (individual; of common-house needs when the house has
    one), and the month's volumes of the house — by its meters, in its premises, on
    common-house needs, and the two together."""
    shown = [
        (column, cell)
        for column, cell, used in RESOURCE_COLUMNS
        if used is None or any(used(row) for row in resources)
    ]
    return Grid(
        caption="Объёмы коммунальных ресурсов по дому и нормативы потребления за месяц",
        columns=scaled([column for column, _ in shown]),
        rows=tuple(tuple(cell(row) for _, cell in shown) for row in resources),
    )


def _areas(receipt: Receipt) -> str:
    """The area totals the charges by area and the common-house shares come from."""
    parts = [f"Площадь помещения: {format_quantity(receipt.area)} м²"]
    house = receipt.house
    if house is not None:
        parts.append(
            f"общая площадь жилых и нежилых помещений дома: {format_quantity(house.total_area)} м²"
        )
        if house.common_area is not None:
            parts.append(
                f"площадь помещений общего имущества: {format_quantity(house.common_area)} м²"
            )
    return "; ".join(parts) + "."


def reference_section(receipt: Receipt) -> Section:
    """«Справочная информация»: the normatives, the meters' current readings and the house's
    volumes the charges come from — the list of the form's recommendations (Приказ Минстроя
    России № 924/пр, раздел V, пп. 24–26, kept by № 43/пр; see docs/payment-document.md)."""
    grids = []
    if receipt.readings:
        grids.append(_meters_grid("Показания индивидуальных приборов учёта", receipt.readings))
    house = receipt.house
    if house is not None:
        if house.house_meters:
            grids.append(
                _meters_grid("Показания общедомовых приборов учёта (ОДПУ)", house.house_meters)
            )
        if house.resources:
            grids.append(_resources_grid(house.resources))
    return Section("reference", REFERENCE_TITLE, tuple(grids), (_areas(receipt),))
