"""The shared world of the tests: fixtures that several modules use alike. A module that needs a
different world defines a fixture of the same name, which wins there."""

import pytest

from kabinet.orgs.models import StaffRole
from tests.factories import AccountLinkFactory, OrganizationFactory, staff_user


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
