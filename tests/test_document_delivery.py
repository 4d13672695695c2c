"""The payment document's deadline (ЖК РФ ст. 155 ч. 2 п. 1 as amended by Федеральный закон
№ 177-ФЗ: the 5th of the next month from February 2026, moved off a non-working day by ГК РФ
ст. 193), the record of each account's first delivery (e-mail sent, or the resident opening the
document in the portal), the billing page's warning and the staff page of documents not
delivered in time."""

import datetime
import io
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kabinet.billing.law import document_deadline
from kabinet.billing.models import Period, PeriodStatus
from kabinet.billing.signals import period_closed
from kabinet.orgs.models import StaffRole
from kabinet.receipts.delivery import document_plan, record_document_delivered
from kabinet.receipts.models import DeliveryChannel, DocumentDelivery
from kabinet.tabular import write_csv, write_xlsx
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db
date = datetime.date
OCT = date(2026, 10, 1)


def at(day, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


# --- the rule ------------------------------------------------------------------------------


def test_no_deadline_for_months_before_february_2026():
    """Before 177-ФЗ the document was due by the 1st «если иной срок не установлен договором»:
    the contract's date, which Kabinet does not keep."""
    assert document_deadline(date(2026, 1, 1)) is None


def test_february_2026_is_the_first_month_due_by_the_5th():
    """Письмо Минстроя России от 20.02.2026 № 9202-ДН/04: already the documents for February
    2026; 05.03.2026 is a Thursday."""
    assert document_deadline(date(2026, 2, 1)) == date(2026, 3, 5)


def test_a_5th_on_a_weekend_moves_to_the_monday():
    # November 2026's documents: 05.12.2026 is a Saturday
    assert document_deadline(date(2026, 11, 1)) == date(2026, 12, 7)


def test_a_5th_in_the_new_year_holidays_moves_past_them():
    # December 2026's documents: 1–8 January 2027 are public holidays (ТК РФ ст. 112), 9–10
    # January a weekend
    assert document_deadline(date(2026, 12, 1)) == date(2027, 1, 11)


def test_a_5th_on_a_working_day_stays():
    assert document_deadline(date(2026, 9, 1)) == date(2026, 10, 5)  # a Monday


# --- the billing page's plan -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "level", "days_left"),
    [
        (date(2026, 11, 30), "", 7),
        (date(2026, 12, 2), "warning", 5),
        (date(2026, 12, 7), "warning", 0),
        (date(2026, 12, 8), "error", -1),
    ],
)
def test_the_plan_warns_near_and_after_the_deadline_while_the_period_is_open(
    today, level, days_left
):
    period = PeriodFactory(month=date(2026, 11, 1), status=PeriodStatus.OPEN)
    plan = document_plan(period, today)
    assert (plan.deadline, plan.level, plan.days_left) == (date(2026, 12, 7), level, days_left)


def test_a_closed_period_earns_no_warning():
    period = PeriodFactory(month=date(2026, 11, 1), status=PeriodStatus.CLOSED)
    assert document_plan(period, date(2026, 12, 20)).level == ""


def test_the_billing_page_shows_the_deadline_and_warns_when_it_has_passed(client):
    period = PeriodFactory(month=date(2026, 11, 1), status=PeriodStatus.OPEN)
    client.force_login(staff_user(period.organization, StaffRole.ACCOUNTANT))
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 12, 9)):
        response = client.get(reverse("backoffice:billing"))
    page = text_of(response)
    assert "не позднее 07.12.2026" in page
    assert "Срок представления платёжных документов (07.12.2026) прошёл" in page
    link = f"{reverse('backoffice:undelivered_documents')}?organization={period.organization_id}"
    assert link in response.content.decode()


# --- the delivery record ---------------------------------------------------------------------


def test_the_first_delivery_is_kept_and_later_ones_change_nothing():
    charge = ChargeFactory(period__month=OCT)
    account, period = charge.account, charge.period
    record_document_delivered(
        account=account, period=period, channel=DeliveryChannel.EMAIL, at=at(date(2026, 11, 2))
    )
    record_document_delivered(
        account=account, period=period, channel=DeliveryChannel.PORTAL_PDF, at=at(OCT)
    )
    delivery = DocumentDelivery.objects.get()
    assert (delivery.channel, delivery.delivered_at) == (
        DeliveryChannel.EMAIL,
        at(date(2026, 11, 2)),
    )


def test_an_open_period_has_no_document_to_deliver():
    charge = ChargeFactory(period__status=PeriodStatus.OPEN)
    record_document_delivered(
        account=charge.account, period=charge.period, channel=DeliveryChannel.PORTAL_PAGE
    )
    assert not DocumentDelivery.objects.exists()


def test_the_mailing_records_the_delivery_once(mailoutbox):
    charge = ChargeFactory(period__month=OCT, period__status=PeriodStatus.OPEN)
    AccountLinkFactory(account=charge.account, receipts_by_email=True)
    AccountLinkFactory(account=charge.account, receipts_by_email=True)
    period = charge.period
    period.status = PeriodStatus.CLOSED
    period.save()
    period_closed.send(sender=Period, period=period)
    assert len(mailoutbox) == 2
    delivery = DocumentDelivery.objects.get()
    assert (delivery.account, delivery.channel) == (charge.account, DeliveryChannel.EMAIL)


@pytest.mark.parametrize(
    ("view", "channel"),
    [
        ("portal:receipt", DeliveryChannel.PORTAL_PAGE),
        ("portal:receipt_pdf", DeliveryChannel.PORTAL_PDF),
    ],
)
def test_the_resident_opening_the_document_delivers_it(client, view, channel):
    charge = ChargeFactory(period__month=OCT)
    link = AccountLinkFactory(account=charge.account)
    client.force_login(link.user)
    url = reverse(view, args=[charge.account.pk, 2026, 10])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    delivery = DocumentDelivery.objects.get()
    assert (delivery.account, delivery.period, delivery.channel) == (
        charge.account,
        charge.period,
        channel,
    )


# --- the staff page --------------------------------------------------------------------------


@pytest.fixture
def october():
    """October 2026 (due by 05.11.2026) of «УК Своя»: one account delivered on the 5th, one
    on the 6th (late), one never; another organisation's account never delivered."""
    own = OrganizationFactory(name="УК Своя")
    in_time, late, never = (
        ChargeFactory(
            account=PersonalAccountFactory(premise__house__organization=own), period__month=OCT
        )
        for _ in range(3)
    )
    for charge, day in ((in_time, 5), (late, 6)):
        DocumentDelivery.objects.create(
            account=charge.account,
            period=charge.period,
            channel=DeliveryChannel.EMAIL,
            delivered_at=at(date(2026, 11, day), hour=23),
        )
    foreign = ChargeFactory(period__month=OCT, account__holder_name="Чужой Житель")
    return own, in_time.account, late.account, never.account, foreign.account


def test_the_page_lists_the_accounts_not_delivered_by_the_deadline(client, october):
    own, in_time, late, never, foreign = october
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    response = client.get(reverse("backoffice:undelivered_documents"), {"period": "2026-10"})
    page = text_of(response)
    assert "не позднее 05.11.2026" in page
    assert [row[0] for row in response.context["rows"]] == sorted([late.number, never.number])
    assert in_time.number not in page
    assert foreign.number not in page


def test_another_organisations_staff_see_none_of_its_accounts(client, october):
    own, _, late, never, foreign = october
    client.force_login(staff_user(foreign.organization, StaffRole.MANAGER))
    response = client.get(
        reverse("backoffice:undelivered_documents"),
        {"organization": own.pk, "period": "2026-10"},
    )
    numbers = [row[0] for row in response.context["rows"]]
    assert numbers == [foreign.number]
    assert late.number not in text_of(response)
    export = client.get(
        reverse("backoffice:undelivered_documents_export", args=["csv"]),
        {"organization": own.pk, "period": "2026-10"},
    )
    assert never.number not in export.content.decode("utf-8-sig")


def test_a_month_without_a_closed_period_is_not_found(client, october):
    own = october[0]
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    response = client.get(reverse("backoffice:undelivered_documents"), {"period": "2026-11"})
    assert response.status_code == 404


def test_the_list_downloads_as_csv_and_xlsx(client, october):
    own, _, late, never, _ = october
    client.force_login(staff_user(own, StaffRole.ACCOUNTANT))
    url = reverse("backoffice:undelivered_documents_export", args=["csv"])
    text = client.get(url, {"period": "2026-10"}).content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "ЛС;Владелец;Адрес;Доставлен;Как;Подписка на e-mail"
    assert {line.split(";")[0] for line in lines[1:]} == {late.number, never.number}
    assert "06.11.2026 23:00" in text
    url = reverse("backoffice:undelivered_documents_export", args=["xlsx"])
    workbook = load_workbook(io.BytesIO(client.get(url, {"period": "2026-10"}).content))
    rows = list(workbook.active.values)
    assert rows[0][0] == "ЛС"
    assert {row[0] for row in rows[1:]} == {late.number, never.number}


def test_a_holder_name_that_looks_like_a_formula_stays_text_in_both_files():
    """OWASP «CSV injection»: names come from outside."""
    rows = [["1000001", '=HYPERLINK("http://x")', at(OCT)]]
    text = write_csv(["ЛС", "Владелец", "Доставлен"], rows).decode("utf-8-sig")
    assert text.splitlines()[1] == '1000001;"\'=HYPERLINK(""http://x"")";01.10.2026 12:00'
    sheet = load_workbook(io.BytesIO(write_xlsx(["ЛС", "Владелец", "Доставлен"], rows, "Т"))).active
    cell = sheet["B2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://x")')
