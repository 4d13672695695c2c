"""The payment document gives the requisites of every supplier of its lines that is not the
organisation itself (Правила № 354 п. 69 «б»; Приказ Минстроя России № 43/пр, раздел 1): on
the print page and in the PDF, only when such lines exist, from the organisation's own rows."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.housing.models import PersonalAccount
from kabinet.orgs.models import StaffRole
from kabinet.receipts.layout import SUPPLIERS_TITLE
from kabinet.receipts.models import Supplier
from kabinet.receipts.pdf import receipt_pdf
from kabinet.receipts.selectors import receipt_data
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    staff_user,
)
from tests.test_payment_document import html_sections, pdf_text, receipt_page

pytestmark = pytest.mark.django_db
OCT = datetime.date(2026, 10, 1)
WATER = 'АО "Водоканал"'
REQUISITES = {
    "inn": "1660023454", "kpp": "166001001", "address": "420061, г. Казань, ул. Аграрная, д. 2",
    "phone": "+7 (843) 231-62-00", "bank_name": "Отделение «Банк Татарстан» № 8610 ПАО Сбербанк",
    "bik": "049205603", "correspondent_account": "30101810600000000603",
    "settlement_account": "40702810662000003141",
}  # fmt: skip


@pytest.fixture
def resident(client):
    link = AccountLinkFactory()
    client.force_login(link.user)
    client.account = link.account
    return client


def charge(account, period, name, supplier):
    organization = account.organization
    ChargeFactory(account=account, period=period, service__name=name,
                  service__organization=organization, service__supplier=supplier)  # fmt: skip


def bill(account, *lines):
    period = PeriodFactory(organization=account.organization, month=OCT)
    for name, supplier in lines:
        charge(account, period, name, supplier)
    return period


def test_a_supplier_other_than_the_organisation_gets_its_requisites_on_the_page_and_the_pdf(
    resident,
):
    account = resident.account
    Supplier.objects.create(organization=account.organization, name=WATER, **REQUISITES)
    own = account.organization.name
    period = bill(account, ("Холодное водоснабжение", WATER), ("Водоотведение", WATER),
                  ("Содержание жилья", own), ("Ремонт жилья", ""))  # fmt: skip
    receipt = receipt_data(account, period)
    [row] = receipt.suppliers
    assert (row.name, row.services) == (WATER, ("Водоотведение", "Холодное водоснабжение"))
    page = receipt_page(resident, account).replace("&quot;", '"')
    pdf = pdf_text(receipt_pdf(receipt))
    assert SUPPLIERS_TITLE in html_sections(page)
    # the PDF wraps the cells: its text is compared without the line breaks
    flat = " ".join(pdf.split())
    for text in (" ".join(page.split()), flat):
        assert SUPPLIERS_TITLE in text
        assert "Водоотведение, Холодное водоснабжение" in text
        for expected in ("ИНН 1660023454, КПП 166001001", "420061, г. Казань, ул. Аграрная",
                         "тел. +7 (843) 231-62-00", "р/с 40702810662000003141 в Отделение",
                         "БИК 049205603, к/с 30101810600000000603"):  # fmt: skip
            assert expected in text, expected
    section = flat[flat.index(SUPPLIERS_TITLE) :]
    assert "Содержание жилья" not in section.split("Справочная информация")[0]


def test_without_other_suppliers_there_is_no_section_and_no_query(resident):
    account = resident.account
    period = bill(account, ("Содержание жилья", account.organization.name), ("Ремонт жилья", ""))
    with CaptureQueriesContext(connection) as queries:
        receipt = receipt_data(account, period)
    assert receipt.suppliers == ()
    assert not any("receipts_supplier" in query["sql"] for query in queries)
    assert SUPPLIERS_TITLE not in receipt_page(resident, account)
    assert SUPPLIERS_TITLE not in pdf_text(receipt_pdf(receipt))


def test_a_supplier_without_entered_requisites_is_named_with_its_services(resident):
    account = resident.account
    period = bill(account, ("Электроснабжение", 'АО "Татэнергосбыт"'))
    [row] = receipt_data(account, period).suppliers
    assert (row.name, row.services, row.inn) == ('АО "Татэнергосбыт"', ("Электроснабжение",), "")
    page = receipt_page(resident, account).replace("&quot;", '"')
    assert "реквизиты не указаны" in page


def test_another_organisations_supplier_of_the_same_name_is_not_used():
    account = PersonalAccountFactory()
    other = OrganizationFactory()
    Supplier.objects.create(organization=other, name=WATER, **REQUISITES)
    period = bill(account, ("Водоотведение", WATER))
    [row] = receipt_data(account, period).suppliers
    assert row.inn == ""


def test_a_mass_run_reads_the_organisations_suppliers_once():
    first = PersonalAccountFactory()
    second = PersonalAccountFactory(premise__house=first.premise.house)
    Supplier.objects.create(organization=first.organization, name=WATER, **REQUISITES)
    period = PeriodFactory(organization=first.organization, month=OCT)
    service = ServiceFactory(organization=first.organization, supplier=WATER)
    for account in (first, second):
        ChargeFactory(account=account, period=period, service=service)
    first, second = PersonalAccount.objects.select_related("organization", "premise__house")
    shared = {}
    receipt_data(first, period, shared=shared)
    with CaptureQueriesContext(connection) as queries:
        receipt = receipt_data(second, period, shared=shared)
    assert receipt.suppliers[0].inn == REQUISITES["inn"]
    assert not any("receipts_supplier" in query["sql"] for query in queries)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"settlement_account": ""}, "bank_name"),  # bank details: all or none
        ({"settlement_account": "40702810062000003141"}, "settlement_account"),  # wrong key
        ({"inn": "1660023455"}, "inn"),  # wrong check digit
    ],
)
def test_staff_cannot_enter_requisites_a_bank_would_refuse(changes, field):
    organization = OrganizationFactory()
    supplier = Supplier(organization=organization, name=WATER, **{**REQUISITES, **changes})
    with pytest.raises(ValidationError) as error:
        supplier.full_clean()
    assert field in error.value.message_dict


def test_requisites_without_bank_details_are_accepted():
    organization = OrganizationFactory()
    bank = {"bank_name", "bik", "correspondent_account", "settlement_account"}
    bankless = {key: value for key, value in REQUISITES.items() if key not in bank}
    Supplier(organization=organization, name=WATER, **bankless).full_clean()


def test_an_accountant_enters_a_supplier_of_their_own_organisation_audited(client):
    """The bank details a resident may pay by are money: the audit log keeps who set them."""
    organization, stranger = OrganizationFactory(), OrganizationFactory()
    client.force_login(staff_user(organization, StaffRole.ACCOUNTANT))
    url = reverse("admin:receipts_supplier_add")
    form = client.get(url).context["adminform"].form
    assert list(form.fields["organization"].queryset) == [organization]
    refused = client.post(url, {**REQUISITES, "name": WATER, "organization": stranger.pk})
    assert refused.status_code == 200
    wrong_key = client.post(url, {**REQUISITES, "name": WATER, "organization": organization.pk,
                                  "settlement_account": "40702810062000003141"})  # fmt: skip
    assert "settlement_account" in wrong_key.context["adminform"].form.errors
    assert not Supplier.objects.exists()
    client.post(url, {**REQUISITES, "name": WATER, "organization": organization.pk})
    supplier = Supplier.objects.get()
    assert (supplier.organization, supplier.settlement_account) == (
        organization, REQUISITES["settlement_account"]
    )  # fmt: skip
    entry = AuditEntry.objects.get(action=AuditAction.ADDED)
    assert (entry.organization, entry.changes["settlement_account"]) == (
        organization, [None, REQUISITES["settlement_account"]]
    )  # fmt: skip


def test_an_operator_may_not_enter_a_suppliers_requisites(client):
    organization = OrganizationFactory()
    client.force_login(staff_user(organization, StaffRole.OPERATOR))
    assert client.get(reverse("admin:receipts_supplier_add")).status_code == 403
