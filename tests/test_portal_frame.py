"""The frame of every resident page (issue 17, the seed's missing pieces): the footer with the
УК's or the portal's contacts and the disclaimer, the emergency dispatch service (АДС) on the
account card and the receipt, the account's sections with the current one marked, a skip link,
«Справка» that opens again, and why the link form asks for the last payment."""

import html
import re

import pytest
from django.urls import reverse

from tests.factories import AccountLinkFactory, ChargeFactory
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db


def footer_of(response) -> str:
    """The footer's text, spaces collapsed."""
    footer = response.content.decode().split("<footer", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", footer)).split())


def words(response) -> str:
    return " ".join(text_of(response).split())


@pytest.fixture
def dispatch(link):
    organization = link.account.organization
    organization.address = "420021, г. Казань, ул. Гражданская, д. 10"
    organization.phone = "+7 (843) 231-54-00"
    organization.email = "info@uk.example"
    organization.dispatch_phone = "+7 (843) 231-54-01"
    organization.save()
    return organization


def test_footer_names_the_residents_uk_with_its_contacts_and_dispatch(resident, dispatch):
    footer = footer_of(resident.get(reverse("portal:home")))
    assert "420021, г. Казань, ул. Гражданская, д. 10" in footer
    assert "+7 (843) 231-54-00" in footer
    assert "info@uk.example" in footer
    assert "Аварийно-диспетчерская служба: +7 (843) 231-54-01 , круглосуточно" in footer
    assert "© " in footer
    assert "по данным управляющей организации" in footer


def test_footer_names_the_portal_when_the_accounts_are_in_several_uk(resident, link, settings):
    settings.PORTAL_NAME = "Кабинет жителя"
    AccountLinkFactory(user=link.user)  # an account of another УК
    response = resident.get(reverse("portal:profile"))
    assert "Кабинет жителя" in text_of(response)
    assert link.account.organization.name not in text_of(response).split("©")[1]


def test_account_card_and_receipt_show_the_dispatch_service(resident, link, dispatch):
    charge = ChargeFactory(account=link.account)
    card = text_of(resident.get(reverse("portal:account", args=[link.account.pk])))
    assert "Аварийно-диспетчерская служба +7 (843) 231-54-01, круглосуточно" in " ".join(
        card.split()
    )
    month = charge.period.month
    receipt = resident.get(
        reverse("portal:receipt", args=[link.account.pk, month.year, month.month])
    )
    assert "Аварийно-диспетчерская служба +7 (843) 231-54-01" in " ".join(text_of(receipt).split())


def test_the_current_section_is_marked_for_assistive_technology(resident, link):
    html = resident.get(reverse("portal:account_charges", args=[link.account.pk])).content.decode()
    charges = reverse("portal:account_charges", args=[link.account.pk])
    # the left column and the phone strip: both mark the same one, nothing else
    assert html.count('aria-current="page"') == 2
    assert html.count(f'active" aria-current="page" href="{charges}"') == 2
    assert 'href="#main"' in html
    assert 'id="main"' in html


def test_dismissed_help_can_be_opened_again(resident, link):
    assert 'aria-label="Справка"' in resident.get(reverse("portal:home")).content.decode()
    resident.post(reverse("portal:dismiss_help"))
    html = resident.get(reverse("portal:home")).content.decode()
    assert 'aria-label="Справка"' not in html
    assert "Справка: подробнее" in html
    assert "дату и сумму последней оплаты" in html


def test_link_form_explains_why_the_last_payment_is_asked(resident):
    assert "знает только плательщик" in words(resident.get(reverse("portal:link_account")))


def test_the_picture_code_is_described_in_russian_and_can_be_renewed(resident):
    html = resident.get(reverse("portal:link_account")).content.decode()
    assert 'alt="Код из пяти символов: введите его в поле ниже"' in html
    assert "Новая картинка" in html
    assert 'data-url="/captcha/refresh/"' in html
    assert 'name="captcha_0"' in html  # the key and the answer are still in the form
    assert 'name="captcha_1"' in html
