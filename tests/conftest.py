"""The shared world of the tests: fixtures that several modules use alike. A module that needs a
different world defines a fixture of the same name, which wins there."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import transaction

from kabinet.billing.models import PeriodStatus
from kabinet.demo.data import load_demo
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    HouseFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    TariffFactory,
    staff_user,
    this_month,
)

DEMO_TODAY = datetime.date(2026, 11, 24)


@contextmanager
def built_once(django_db_blocker):
    """A world built once for a module or a class instead of once per test: it lives in a
    transaction of its own, each test's transaction is a savepoint inside it, and the whole is
    rolled back when the scope ends. The fixture that uses it must be asked for by every test of
    its scope (a test that does not ask would still see the world)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo as `make run` serves it on 24.11.2026, loaded once per module: loading takes
    seconds. Tests that change it change only their own savepoint."""
    with built_once(django_db_blocker):
        load_demo(DEMO_TODAY)
        yield


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded and generated files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def own():
    """The staff's own organisation."""
    return OrganizationFactory(name="УК Своя")


@pytest.fixture
def other():
    """Another organisation, whose records the staff of ``own`` must not reach."""
    return OrganizationFactory(name="УК Чужая")


@pytest.fixture
def operator(client, own):
    """An operator of ``own``, signed in."""
    user = staff_user(own, StaffRole.OPERATOR)
    client.force_login(user)
    return user


@pytest.fixture
def accountant(client, own):
    """An accountant of ``own``, signed in."""
    user = staff_user(own, StaffRole.ACCOUNTANT)
    client.force_login(user)
    return user


@pytest.fixture
def link():
    """A resident with one linked account."""
    return AccountLinkFactory()


@pytest.fixture
def resident(client, link):
    """The client signed in as ``link``'s resident."""
    client.force_login(link.user)
    return client


# A staff member's recalculation: a closed previous month, the open current one, upkeep by area.


@pytest.fixture
def house(own):
    """A house of ``own``."""
    return HouseFactory(organization=own)


@pytest.fixture
def upkeep(own):
    """«Содержание жилья» of ``own``, 20,00 per m²."""
    service = ServiceFactory(organization=own, name="Содержание жилья", position=1)
    TariffFactory(service=service, value=Decimal("20.00"), valid_from=datetime.date(2020, 1, 1))
    return service


@pytest.fixture
def previous(own):
    """Last month of ``own``, closed."""
    return PeriodFactory(organization=own, month=add_months(this_month(), -1))


@pytest.fixture
def period(own, previous):
    """This month of ``own``, open (not calculated), after the closed ``previous``."""
    return PeriodFactory(organization=own, month=this_month(), status=PeriodStatus.OPEN)


@pytest.fixture
def recalculable(house, upkeep, previous, period):
    """ЛС 100 of 50 m² in ``house``, charged 1 000,00 for ``upkeep`` in ``previous``: what a
    recalculation of the open ``period`` corrects."""
    account = PersonalAccountFactory(
        premise__house=house, premise__area=Decimal("50.00"), number="100"
    )
    ChargeFactory(account=account, service=upkeep, period=previous, charged=Decimal("1000.00"))
    return account
