"""The print page of the payment document as Chromium prints it: on A4 (narrower than the
phone breakpoint) its tables stay tables and the «Итого» row's totals stay under their own
columns, as in the PDF (issue 17)."""

import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from kabinet.billing.models import Charge, Recalculation
from tests.factories import AccountLinkFactory
from tests.test_payment_document import house_of_two, receipt_page

pytestmark = pytest.mark.django_db
A4_CONTENT_WIDTH = 718  # 210 mm less the print style's 10 mm margins, in CSS pixels


def with_inline_styles(page_html: str) -> str:
    """The page with its style sheets inlined: the browser is given the page without a server."""

    def inline(match):
        return f"<style>{open(finders.find(match.group(1)), encoding='utf-8').read()}</style>"

    return re.sub(r'<link rel="stylesheet" href="/static/([^"]+)">', inline, page_html)


def receipt_with_recalculation():
    """Two flats with a common-house share; the first's month has a recalculation, so that
    the «Итого» row has empty cells (unit, volumes, tariff) before its sums."""
    account, period = house_of_two()
    Recalculation.objects.bulk_create([
        Recalculation(period=period, corrected_period=period, account=account,
                      service=account.charges.get().service, amount=Decimal("-10.00"),
                      reason="Ошибочные показания")
    ])  # fmt: skip
    Charge._base_manager.filter(account=account).update(
        recalculation=Decimal("-10.00"), total=Decimal("290.00")
    )
    client = Client()
    client.force_login(AccountLinkFactory(account=account).user)
    return with_inline_styles(receipt_page(client, account))


COLUMN_EDGES = """() => [...document.querySelectorAll('.kb-receipt-table')]
  .filter(table => table.tFoot)
  .map(table => {
    const edges = cell => {
      const box = cell.getBoundingClientRect();
      return [Math.round(box.left), Math.round(box.right)];
    };
    return {
      header: [...table.tHead.rows[0].cells].map(cell => [cell.textContent, ...edges(cell)]),
      footer: [...table.tFoot.rows[0].cells].map(cell => [cell.textContent, ...edges(cell)]),
    };
  })"""


@pytest.mark.parametrize(("media", "width"), [("print", A4_CONTENT_WIDTH), ("screen", 1280)])
def test_the_totals_stay_under_their_columns(page, media, width):
    html = receipt_with_recalculation()
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(media=media)
    page.set_content(html)
    tables = page.evaluate(COLUMN_EDGES)
    assert tables, "the services table has an «Итого» row"
    for table in tables:
        header, footer = table["header"], table["footer"]
        assert len(footer) == len(header)
        for (label, left, right), (total, under_left, under_right) in zip(
            header, footer, strict=True
        ):
            assert (under_left, under_right) == (left, right), (label, total)
    services = dict(
        (label, total)
        for (label, *_), (total, *_) in zip(tables[0]["header"], tables[0]["footer"], strict=True)
    )
    assert services["Итого, ₽"].replace("\u00a0", " ") == "290,00"
    assert services["Перерасчёт, ₽"] == "-10,00"
