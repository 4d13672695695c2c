"""«Как рассчитано» of a charge line and «Оспорить» from it (issue 17): the stored figures in
words, adding up to the stored amount; an appeal prefilled with the account, month and line."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.appeals.models import Appeal, Topic
from kabinet.appeals.services import create_appeal
from kabinet.billing.explanation import explain_charge
from kabinet.billing.models import CalculationMethod, ChargeBasis, PeriodStatus
from tests.factories import ChargeFactory, PeriodFactory, ServiceFactory, staff_user
from tests.test_account_pages import NBSP, text_of

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)


def water_line(account, month=OCT, **fields):
    """ХВС by the normative with the increasing coefficient and an ОДН share, as a run stores
    it: 5.273 × 50.00 = 263.65; 263.65 × (1.5 − 1) = 131.83; 0.412 × 50.00 = 20.60."""
    service = fields.pop("service", None) or ServiceFactory(
        organization=account.organization,
        name="Холодное водоснабжение",
        unit="куб м",
        method=CalculationMethod.METER,
    )
    period = PeriodFactory(organization=account.organization, month=month)
    values = {
        "tariff": Decimal("50.0000"),
        "volume": Decimal("5.273000"),
        "basis": ChargeBasis.NORMATIVE,
        "coefficient": Decimal("1.5000"),
        "coefficient_charged": Decimal("131.83"),
        "common_volume": Decimal("0.412000"),
        "common_charged": Decimal("20.60"),
        "charged": Decimal("416.08"),  # 263.65 + 131.83 + 20.60
        "recalculation": Decimal("-16.08"),
        **fields,
    }
    return ChargeFactory(account=account, period=period, service=service, **values)


def explanation_url(charge):
    month = charge.period.month
    return reverse(
        "portal:charge_explanation",
        args=[charge.account_id, month.year, month.month, charge.service_id],
    )


def test_steps_quote_the_stored_figures_and_add_up_to_the_amount(link):
    charge = water_line(link.account)
    explanation = explain_charge(charge)
    amounts = {step.text.split(":")[0]: step.amount for step in explanation.steps}
    assert amounts["5,273 м³ × 50,00 ₽/м³, округлено до копейки"] == Decimal("263.65")
    individual, coefficient, common = Decimal("263.65"), Decimal("131.83"), Decimal("20.60")
    assert [s.amount for s in explanation.steps if s.amount is not None] == [
        individual,
        coefficient,
        common,
        Decimal("416.08"),
        Decimal("-16.08"),
        Decimal("400.00"),
    ]
    assert individual + coefficient + common == charge.charged
    assert "по нормативу потребления" in explanation.basis


def test_a_tariff_changed_within_the_month_shows_a_part_per_tariff(link):
    spans = [
        {"tariff": "40.0000", "from": "2026-10-01", "to": "2026-10-15", "days": 15,
         "volume": "2.500000", "amount": "100.00"},
        {"tariff": "44.0000", "from": "2026-10-16", "to": "2026-10-31", "days": 16,
         "volume": "2.666667", "amount": "117.33"},
    ]  # fmt: skip
    charge = water_line(
        link.account, basis=ChargeBasis.READING, coefficient=None, coefficient_charged=0,
        common_volume=0, common_charged=0, charged=Decimal("217.33"), recalculation=0,
        tariff_spans=spans,
    )  # fmt: skip
    texts = [(step.text, step.amount) for step in explain_charge(charge).steps]
    assert ("с 01.10 по 15.10 (15 дн.): 2,50 м³ × 40,00 ₽/м³", Decimal("100.00")) in texts
    assert ("с 16.10 по 31.10 (16 дн.): 2,666667 м³ × 44,00 ₽/м³", Decimal("117.33")) in texts
    assert texts[-1] == ("Плата за объём помещения — сумма частей по тарифам", Decimal("217.33"))


def test_penalty_line_points_to_the_penalties_page(link):
    charge = water_line(
        link.account, service=ServiceFactory(organization=link.account.organization,
                                             name="Пени", method=CalculationMethod.PENALTY),
        charged=Decimal("44.95"), recalculation=0,
    )  # fmt: skip
    [step] = explain_charge(charge).steps
    assert "«Пени»" in step.text
    assert step.amount == Decimal("44.95")


def test_resident_opens_how_a_line_was_calculated_from_the_charges_page(resident, link):
    charge = water_line(link.account)
    charges = resident.get(reverse("portal:account_charges", args=[link.account.pk]))
    assert explanation_url(charge) in charges.content.decode()
    page = text_of(resident.get(explanation_url(charge)))
    assert "Как рассчитано: Холодное водоснабжение" in page
    assert f"400,00{NBSP}₽" in page
    assert "Правила № 354 п. 44" in page


def test_a_draft_or_another_account_line_is_not_found(resident, link):
    november = datetime.date(2026, 11, 1)
    PeriodFactory(organization=link.account.organization, month=november,
                  status=PeriodStatus.OPEN)  # fmt: skip
    assert (
        resident.get(explanation_url(water_line(link.account, month=november))).status_code == 404
    )
    foreign = ChargeFactory()  # another resident's account, in another УК
    assert resident.get(explanation_url(foreign)).status_code == 404
    own_url_foreign_service = reverse(
        "portal:charge_explanation", args=[link.account.pk, 2026, 10, foreign.service_id]
    )
    assert resident.get(own_url_foreign_service).status_code == 404
    url = reverse("portal:charge_explanation", args=[link.account.pk, 2026, 13, 1])
    assert resident.get(url).status_code == 404


def test_dispute_opens_an_appeal_prefilled_with_the_line(resident, link):
    charge = water_line(link.account)
    url = reverse("portal:new_appeal", args=[link.account.pk])
    query = f"?period=2026-10&service={charge.service_id}"
    form = resident.get(url + query).context["form"]
    assert form.initial["topic"].name == "Начисления"
    text = form.initial["text"]
    assert f"№ {link.account.number} за октябрь 2026" in text
    assert "«Холодное водоснабжение»" in text
    assert f"итого 400,00{NBSP}₽" in text
    response = resident.post(url + query, {"topic": form.initial["topic"].pk, "text": text + "x"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(account=link.account)
    assert appeal.messages.first().text.startswith("Прошу")
    assert appeal.disputed_line == {"month": "2026-10", "service_id": charge.service_id}


def test_staff_see_the_disputed_line_attached_to_the_appeal(client, resident, link):
    charge = water_line(link.account)
    topic = Topic.objects.filter(organization=link.account.organization,
                                 name="Начисления").first()  # fmt: skip
    resident.post(
        reverse("portal:new_appeal", args=[link.account.pk])
        + f"?period=2026-10&service={charge.service_id}",
        {"topic": topic.pk, "text": "Не согласен с суммой"},
    )
    appeal = Appeal.objects.get(account=link.account)
    client.force_login(staff_user(link.account.organization))
    page = text_of(client.get(reverse("backoffice:appeal", args=[appeal.pk])))
    assert "Оспоренная строка: Холодное водоснабжение за октябрь 2026" in page
    assert "5,273 м³ × 50,00 ₽/м³, округлено до копейки" in page
    assert f"400,00{NBSP}₽" in page


def test_an_appeal_without_a_disputed_line_shows_none(client, link):
    topic = Topic.objects.filter(organization=link.account.organization).first()
    appeal = create_appeal(link.user, link.account, topic, "Течёт кран")
    client.force_login(staff_user(link.account.organization))
    page = text_of(client.get(reverse("backoffice:appeal", args=[appeal.pk])))
    assert "Оспоренная строка" not in page


@pytest.mark.parametrize("query", ["?period=2026-13&service=1", "?period=x&service=y", ""])
def test_dispute_of_no_line_opens_an_empty_form(resident, link, query):
    form = resident.get(reverse("portal:new_appeal", args=[link.account.pk]) + query).context[
        "form"
    ]
    assert form.initial == {}
