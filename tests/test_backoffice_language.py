"""The back office speaks Russian throughout: Django 6.1's untranslated strings, titles in the
right case, a day with its month in the genitive, one root of the breadcrumbs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import formats, translation

from kabinet.orgs.models import StaffRole
from tests.factories import OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant(client):
    client.force_login(staff_user(OrganizationFactory(), StaffRole.ACCOUNTANT))
    return client


def test_a_list_title_keeps_the_models_name_in_the_nominative(accountant):
    page = accountant.get(reverse("admin:orgs_organization_changelist")).content.decode()
    assert "Выберите управляющая организация" not in page
    assert "Выбор для просмотра: управляющая организация" in page  # an accountant views it


def test_django_61_strings_are_in_russian():
    with translation.override("ru"):
        assert translation.gettext("- Select an option -") == "— выберите —"
        assert translation.gettext("Filter by %(field_name)s") == "Отбор по полю «%(field_name)s»"


def test_the_admin_scripts_say_the_time_zone_note_in_russian(accountant):
    catalog = accountant.get(reverse("admin:jsi18n")).content.decode()
    assert (
        "\\u0447\\u0430\\u0441\\u043e\\u0432\\u043e\\u043c\\u0443" in catalog
        or "часовому" in catalog
    )


def test_a_day_and_month_take_the_genitive():
    with translation.override("ru"):
        assert formats.date_format(datetime.date(2026, 11, 27), "MONTH_DAY_FORMAT") == "27 ноября"


def test_staff_pages_have_the_admins_breadcrumb_root(accountant):
    page = accountant.get(reverse("backoffice:billing")).content.decode()
    crumbs = page[page.index('<ol class="breadcrumbs">') :]
    crumbs = crumbs[: crumbs.index("</ol>")]
    assert ">Начало</a>" in crumbs
    assert "Управление" not in crumbs


def test_date_only_fields_lose_the_time_zone_note(accountant):
    page = accountant.get(reverse("admin:index")).content.decode()
    assert "/static/backoffice/dates.js" in page
