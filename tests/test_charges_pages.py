"""«Начисления» and the payment document (print page and PDF) of one account."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing.models import CalculationMethod, PeriodStatus, Recalculation
from tests.factories import ChargeFactory, PeriodFactory, ServiceFactory
from tests.test_account_pages import NBSP, text_of

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)


def charges_url(account, period=None):
    url = reverse("portal:account_charges", args=[account.pk])
    return f"{url}?period={period}" if period else url


def charge_in(account, month, **fields):
    period = PeriodFactory(organization=account.organization, month=month)
    return ChargeFactory(account=account, period=period, **fields)


def test_latest_closed_month_is_shown_by_default(resident, link):
    charge_in(link.account, datetime.date(2026, 9, 1), charged=Decimal("900.00"))
    charge_in(link.account, OCT, charged=Decimal("1042.20"))
    draft = PeriodFactory(organization=link.account.organization,
                          month=datetime.date(2026, 11, 1), status=PeriodStatus.OPEN)  # fmt: skip
    ChargeFactory(account=link.account, period=draft, charged=Decimal("777.77"))
    response = resident.get(charges_url(link.account))
    assert response.context["period"].month == OCT
    page = text_of(response)
    assert "Начисления за октябрь 2026" in page
    assert f"1{NBSP}042,20" in page
    assert "777,77" not in page
    options = re.findall(r'<option value="([\d-]+)"', response.text)
    assert options == ["2026-10", "2026-09"]


def test_period_is_chosen_by_the_query(resident, link):
    charge_in(link.account, datetime.date(2026, 9, 1), charged=Decimal("900.00"))
    charge_in(link.account, OCT, charged=Decimal("1042.20"))
    page = text_of(resident.get(charges_url(link.account, "2026-09")))
    assert "Начисления за сентябрь 2026" in page
    assert "Итого к оплате" in page


@pytest.mark.parametrize("value", ["2026-11", "2025-10", "2026-13", "октябрь", "2026-1-1"])
def test_unknown_or_unavailable_period_is_not_found(resident, link, value):
    charge_in(link.account, OCT)
    PeriodFactory(organization=link.account.organization, month=datetime.date(2026, 11, 1),
                  status=PeriodStatus.OPEN)  # fmt: skip
    assert resident.get(charges_url(link.account, value)).status_code == 404


def test_month_shows_common_share_recalculations_penalties_and_totals(resident, link):
    account = link.account
    water = ServiceFactory(organization=account.organization, name="Холодное водоснабжение")
    period = PeriodFactory(organization=account.organization, month=OCT)
    ChargeFactory(account=account, period=period, service=water, volume=Decimal("5.273"),
                  common_volume=Decimal("0.412"), charged=Decimal("291.07"),
                  common_charged=Decimal("21.09"), recalculation=Decimal("-123.45"))  # fmt: skip
    ChargeFactory(account=account, period=period, charged=Decimal("44.95"),
                  service__method=CalculationMethod.PENALTY)  # fmt: skip
    Recalculation.objects.bulk_create([Recalculation(  # a closed month's: loaded, not saved
        period=period, account=account, service=water, amount=Decimal("-123.45"),
        corrected_period=PeriodFactory(organization=account.organization,
                                       month=datetime.date(2026, 7, 1)),
        reason="Исправлены ошибочные показания счётчика ХВС",
    )])  # fmt: skip
    page = text_of(resident.get(charges_url(account)))
    for text in [
        "Холодное водоснабжение",
        "Объём ОДН",
        "0,412",
        "21,09",
        "Перерасчёты",
        "июль 2026",
        "Исправлены ошибочные показания счётчика ХВС",
        "-123,45",
        "Пени",
        "44,95",
        "212,57",  # 291,07 − 123,45 + 44,95 to pay
    ]:
        assert text in page, text


def test_the_common_share_volume_has_three_places_like_every_volume(resident, link):
    """Issue 17's rule: people read volumes with the meter's three places; the billing's six
    (0,633283 m³ of ОДН) stay in its sums — on «Начисления» and the payment document's
    services table alike."""
    account = link.account
    water = ServiceFactory(organization=account.organization, name="Холодное водоснабжение")
    period = PeriodFactory(organization=account.organization, month=OCT)
    ChargeFactory(account=account, period=period, service=water, volume=Decimal("5.273"),
                  common_volume=Decimal("0.633283"), charged=Decimal("291.07"),
                  common_charged=Decimal("32.41"))  # fmt: skip
    receipt_url = reverse("portal:receipt", args=[account.pk, 2026, 10])
    for page in (text_of(resident.get(charges_url(account))), text_of(resident.get(receipt_url))):
        assert "0,633" in page
        assert "0,633283" not in page


def test_history_table_and_chart_of_monthly_totals(resident, link):
    charge_in(link.account, datetime.date(2026, 9, 1), charged=Decimal("900.00"))
    charge_in(link.account, OCT, charged=Decimal("1800.00"))
    response = resident.get(charges_url(link.account))
    svg = re.search(r"<svg class=\"kb-chart\".*?</svg>", response.text, re.S).group(0)
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01)  # September above October
    assert "сен 2026" in svg
    assert "?period=2026-09" in svg
    assert "История начислений" in text_of(response)


def test_sections_and_the_card_lead_to_charges_and_history(resident, link):
    charge_in(link.account, OCT)
    card = resident.get(reverse("portal:account", args=[link.account.pk])).text
    charges = reverse("portal:account_charges", args=[link.account.pk])
    assert f'href="{charges}">Начисления</a>' in card
    assert re.search(rf'href="{charges}#history">история</a>', card)
    page = resident.get(charges).text
    assert 'id="history"' in page
    assert 'class="nav-link active" aria-current="page" href="' + charges in page


def test_account_without_charges_says_so(resident, link):
    page = text_of(resident.get(charges_url(link.account)))
    assert "Начислений по этому лицевому счету пока нет" in page


def test_receipt_page_and_pdf_from_the_charges_page(resident, link):
    charge_in(link.account, OCT, charged=Decimal("1042.20"))
    page = resident.get(charges_url(link.account)).text
    receipt_url = reverse("portal:receipt", args=[link.account.pk, 2026, "10"])
    assert f'href="{receipt_url}">Квитанция</a>' in page

    receipt = resident.get(receipt_url)
    assert receipt.status_code == 200
    text = text_of(receipt)
    assert "Платёжный документ" in text
    assert link.account.organization.settlement_account in text
    assert f"Итого к оплате: 1{NBSP}042,20{NBSP}₽" in text
    assert "<svg" in receipt.text  # the payment QR code

    pdf = resident.get(reverse("portal:receipt_pdf", args=[link.account.pk, 2026, 10]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="kvitanciya-{link.account.number}-2026-10.pdf"'
    )
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"]  # a personal document stays out of caches


def test_zero_padded_month_in_the_receipt_url(resident, link):
    charge_in(link.account, datetime.date(2026, 7, 1))
    url = f"/ls/{link.account.pk}/receipt/2026-07/"
    assert resident.get(url).status_code == 200
    assert resident.get(url.rstrip("/") + ".pdf").status_code == 200


@pytest.mark.parametrize("name", ["portal:receipt", "portal:receipt_pdf"])
@pytest.mark.parametrize(("year", "month"), [(2026, 11), (2026, 9), (2026, 13), (2026, 0)])
def test_receipt_of_a_month_without_a_closed_period_is_not_found(resident, link, name, year, month):
    charge_in(link.account, OCT)
    open_period = PeriodFactory(
        organization=link.account.organization,
        month=datetime.date(2026, 11, 1),
        status=PeriodStatus.OPEN,
    )
    ChargeFactory(account=link.account, period=open_period)  # fmt: skip
    assert resident.get(reverse(name, args=[link.account.pk, year, month])).status_code == 404


def test_a_tariff_changed_mid_month_shows_each_approved_tariff_with_its_days(resident, link):
    spans = [{"tariff": "20.0000", "from": "2026-10-01", "to": "2026-10-15", "days": 15,
              "volume": "24.193548", "amount": "483.87"},
             {"tariff": "23.0000", "from": "2026-10-16", "to": "2026-10-31", "days": 16,
              "volume": "25.806452", "amount": "593.55"}]  # fmt: skip
    charge_in(link.account, OCT, tariff=Decimal("23"), charged=Decimal("1077.42"),
              tariff_spans=spans)  # fmt: skip
    page = text_of(resident.get(charges_url(link.account)))
    assert "20,00 (15 дн.)" in page
    assert "23,00 (16 дн.)" in page
