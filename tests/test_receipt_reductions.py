"""The payment document's reductions for poor quality and executor's fines (ЖК РФ ст. 157 ч. 6,
Правила № 354 п. 155(1)) in columns of their own, staff entering a fine, «Справочная
информация»'s normatives, house volumes and areas, and the whole form fitting A4's columns."""

import dataclasses
import re
from decimal import Decimal as D

import pypdfium2
import pytest
from django.test import Client
from django.urls import reverse
from reportlab.pdfbase.pdfmetrics import stringWidth

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.closing import close_period
from kabinet.billing.lines import BillingError
from kabinet.billing.models import Recalculation, RecalculationKind
from kabinet.billing.recalculations import add_recalculation, recalculation_amounts
from kabinet.billing.run import run_billing
from kabinet.housing.models import PersonalAccount
from kabinet.pdf_fonts import BOLD, REGULAR, register_fonts
from kabinet.receipts.layout import receipt_sections, services_grid
from kabinet.receipts.pdf import (
    TABLE_FONT,
    WIDTH,
    fitted_cells,
    receipt_pdf,
    table_font,
)
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
    AccountLinkFactory,
)
from tests.test_payment_document import house_of_two, html_footer, pdf_text

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"
QUALITY_COLUMN, FINE_COLUMN = "Снижение за качество, ₽", "Штрафы исполнителя, ₽"


def fine_data(upkeep, previous, **changes):
    return {
        "account": "100", "service": upkeep.pk, "corrected_period": previous.pk,
        "kind": RecalculationKind.FINE, "overcharge": "123,46",
        "reason": "Заявление № 12: ОДН начислены дважды", **changes,
    }  # fmt: skip


def test_staff_record_an_executors_fine_of_half_the_overcharge_audited(
    client, accountant, upkeep, previous, period, recalculable
):
    url = reverse("backoffice:recalculations")
    refused = client.post(url, {**fine_data(upkeep, previous, overcharge=""), "preview": "1"})
    assert "overcharge" in refused.context["form"].errors
    shown = client.post(url, {**fine_data(upkeep, previous), "preview": "Рассчитать"})
    assert shown.context["preview"] == D("-61.73")  # 123,46 × 50 %
    shown_amount = re.search(r'name="shown_amount" value="([^"]+)"', shown.text)[1]
    client.post(url, {**fine_data(upkeep, previous), "save": "Сохранить",
                      "shown_amount": shown_amount})  # fmt: skip
    fine = Recalculation.objects.get()
    assert (fine.kind, fine.amount, fine.created_by) == (RecalculationKind.FINE, D("-61.73"),
                                                         accountant)  # fmt: skip
    entry = AuditEntry.objects.get(action=AuditAction.RECALCULATION_ADDED)
    assert (entry.amount, entry.actor, entry.organization) == (D("-61.73"), accountant,
                                                              period.organization)  # fmt: skip


@pytest.mark.parametrize("overcharge", [None, D("0"), D("-5.00")])
def test_a_fine_needs_an_overcharge(upkeep, previous, period, recalculable, overcharge):
    with pytest.raises(BillingError, match="необоснованно увеличена"):
        recalculation_amounts(recalculable, upkeep, previous, RecalculationKind.FINE,
                              overcharge=overcharge)  # fmt: skip


def test_a_fine_rounds_half_a_kopeck_up(upkeep, previous, period, recalculable):
    [month] = recalculation_amounts(recalculable, upkeep, previous, RecalculationKind.FINE,
                                    overcharge=D("0.01"))  # fmt: skip
    assert month.amount == D("-0.01")  # 0,005 → 0,01 (half up)


def test_reductions_and_fines_get_columns_of_their_own_on_the_page_and_in_the_pdf(
    upkeep, previous, period, recalculable
):
    account = recalculable  # 1 000,00 for upkeep in the closed previous month
    add_recalculation(account, upkeep, previous, RecalculationKind.QUALITY, "Акт № 7: уборка",
                      percent=D("15"))  # fmt: skip
    add_recalculation(account, upkeep, previous, RecalculationKind.FINE, "Заявление № 12",
                      overcharge=D("123.46"))  # fmt: skip
    add_recalculation(account, upkeep, previous, RecalculationKind.OTHER, "Доначисление",
                      amount=D("10.00"))  # fmt: skip
    run_billing(period)  # 50 m² × 20,00 = 1 000,00
    close_period(period)
    account = PersonalAccount.objects.select_related("organization", "premise__house").get(
        pk=account.pk
    )
    receipt = receipt_data(account, period)
    grid = services_grid(receipt)
    labels = [column.label for column in grid.columns]
    row = dict(zip(labels, grid.rows[0], strict=True))
    footer = dict(zip(labels, grid.footer, strict=True))
    expected = {"Перерасчёт, ₽": "10,00", QUALITY_COLUMN: "-150,00", FINE_COLUMN: "-61,73",
                "Итого, ₽": "798,27"}  # fmt: skip
    for label, value in expected.items():
        assert (row[label], footer[label]) == (value, value), label
    assert (
        labels.index("Перерасчёт, ₽")
        < labels.index(QUALITY_COLUMN)
        < labels.index(FINE_COLUMN)
        < labels.index("Итого, ₽")
    )

    client = Client()
    client.force_login(AccountLinkFactory(account=account).user)
    month = period.month
    page = client.get(reverse("portal:receipt", args=[account.pk, month.year, f"{month:%m}"]))
    header, cells = html_footer(page.content.decode())
    assert dict(zip(header, cells, strict=True)) == {
        **dict(zip(labels, [cell.replace(NBSP, " ") for cell in grid.footer], strict=True))
    }
    text = pdf_text(receipt_pdf(receipt))
    joined = text.replace("\ufffe", "")  # pdfium's mark of a word broken with a hyphen
    for header in ("Штрафы", "исполнителя, ₽", "Снижение", "качество, ₽"):
        assert header in joined, header
    assert "10,00 -150,00 -61,73 798,27" in text  # the «Итого» row under its columns


def test_without_reductions_or_fines_their_columns_are_not_drawn():
    account, period = house_of_two()
    labels = [column.label for column in services_grid(receipt_data(account, period)).columns]
    assert QUALITY_COLUMN not in labels
    assert FINE_COLUMN not in labels
    assert "Перерасчёт, ₽" in labels


def reference_of(receipt):
    [section] = [s for s in receipt_sections(receipt) if s.key == "reference"]
    return section


def test_the_reference_shows_the_houses_whole_volume_and_no_absent_figures():
    account, period = house_of_two()
    receipt = receipt_data(account, period)
    section = reference_of(receipt)
    resources = section.grids[-1]
    labels = [column.label for column in resources.columns]
    row = dict(zip(labels, resources.rows[0], strict=True))
    assert row["Всего по дому"] == "9,073"  # 8,373 in the premises + 0,700 on ОДН
    assert row["Расход по ОДПУ"] == "9,073"
    assert "Норматив на ОДН, на м²" not in labels  # the house has no such normative
    assert section.notes == (
        "Площадь помещения: 54,00 м²; общая площадь жилых и нежилых помещений дома: 100,00 м².",
    )
    assert "общего имущества" not in pdf_text(receipt_pdf(receipt))


def test_the_reference_shows_the_common_needs_normative_and_area_when_the_house_has_them():
    account, period = house_of_two()
    receipt = receipt_data(account, period)
    house = dataclasses.replace(
        receipt.house,
        common_area=D("310.50"),
        resources=tuple(
            dataclasses.replace(row, common_normative=D("0.0325"))
            for row in receipt.house.resources
        ),
    )
    receipt = dataclasses.replace(receipt, house=house)
    section = reference_of(receipt)
    resources = section.grids[-1]
    row = dict(zip([c.label for c in resources.columns], resources.rows[0], strict=True))
    assert row["Норматив на ОДН, на м²"] == "0,0325"
    assert section.notes[0].endswith("площадь помещений общего имущества: 310,50 м².")
    text = re.sub(r"\s+", " ", pdf_text(receipt_pdf(receipt)))
    assert "площадь помещений общего имущества: 310,50 м²" in text
    assert "4,50 на чел. 0,0325" in text


def full_receipt():
    """An account with every column of the form: the common-house share, the coefficient, a
    tariff changed mid-month, a supplier, reductions, fines and large sums; a house with the
    common-needs normative and area."""
    spans = [
        {"tariff": "50.0000", "from": "2026-10-01", "to": "2026-10-15", "days": 15,
         "volume": "2.551452", "amount": "127.57"},
        {"tariff": "52.4000", "from": "2026-10-16", "to": "2026-10-31", "days": 16,
         "volume": "2.721548", "amount": "142.61"},
    ]  # fmt: skip
    account, period = house_of_two(
        {"coefficient": D("1.5"), "coefficient_charged": D("185.21"), "tariff_spans": spans},
        supplier='ООО «Ресурсоснабжающая организация "Водоканал-Сервис" Северного района»',
    )
    receipt = receipt_data(account, period)
    big = D("-12345.67")  # five digits before the comma: the widest sum the columns hold
    lines = tuple(
        dataclasses.replace(line, charged=D("98765.43"), recalculation=3 * big,
                            quality_reduction=big, executor_fine=big, total=D("61728.42"))
        for line in receipt.lines
    )  # fmt: skip
    house = dataclasses.replace(
        receipt.house,
        common_area=D("12345.67"),
        resources=tuple(
            dataclasses.replace(row, common_normative=D("0.0325"))
            for row in receipt.house.resources
        ),
    )
    return dataclasses.replace(receipt, lines=lines, house=house)


def test_every_cell_of_the_full_form_fits_its_column_on_a4():
    """reportlab does not clip a cell: a text wider than its column runs into the next one.
    Five-digit sums in every column of the form fit at the ordinary 7 pt (six-digit ones:
    tests/test_receipt_wide_sums.py)."""
    register_fonts()
    receipt = full_receipt()
    sections = receipt_sections(receipt)
    labels = [column.label for column in sections[0].grids[0].columns]
    assert {QUALITY_COLUMN, FINE_COLUMN, "Повыш. коэфф.", "Начислено ОДН, ₽"} <= set(labels)
    for section in sections:
        for grid in section.grids:
            assert sum(column.width for column in grid.columns) == pytest.approx(1)
            assert table_font(grid) == TABLE_FONT, (section.key, grid.caption)
            header, rows, footer, fits = fitted_cells(grid, TABLE_FONT)
            assert fits, (section.key, grid.caption)
            cells = [(header, BOLD, 6.5), *((row, REGULAR, 7) for row in rows)]
            cells += [(footer, BOLD, 7)] if grid.footer else []
            for texts, font, size in cells:
                for column, text in zip(grid.columns, texts, strict=True):
                    room = WIDTH * column.width - 2 * 2.5
                    for line in text.split("\n"):
                        assert stringWidth(line, font, size) <= room, (grid.caption, line)
    pdf = receipt_pdf(receipt)
    assert len(pypdfium2.PdfDocument(pdf)) == 1
