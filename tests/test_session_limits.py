"""Session limits: idle and absolute, shorter for staff (kabinet.users.sessions)."""

import pytest
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from tests.factories import OrganizationFactory, UserFactory, staff_user
from tests.test_auth import login

pytestmark = pytest.mark.django_db

HOUR = 3600
START = 1_800_000_000.0


class Clock:
    """The time the session limits see, moved by the test."""

    def __init__(self, monkeypatch):
        self.now = START
        monkeypatch.setattr("kabinet.users.sessions.clock", lambda: self.now)

    def travel(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def signed_in(client, response):
    """Whether the page was shown to a signed-in user (not sent to the login)."""
    return response.status_code == 200 and "_auth_user_id" in client.session


def profile(client):
    return client.get(reverse("portal:profile"))


def test_a_resident_is_signed_out_after_two_idle_hours(client, clock):
    login(client, UserFactory().username)
    clock.travel(2 * HOUR - 60)
    assert signed_in(client, profile(client))
    clock.travel(2 * HOUR - 60)  # active a moment ago: the idle time counts from there
    assert signed_in(client, profile(client))
    clock.travel(2 * HOUR + 1)
    response = profile(client)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_remember_me_keeps_an_idle_resident_for_up_to_fourteen_days(client, clock):
    login(client, UserFactory().username, remember=True)
    clock.travel(3 * 24 * HOUR)
    assert signed_in(client, profile(client))
    clock.travel(11 * 24 * HOUR + 60)
    assert not signed_in(client, profile(client))


def test_staff_are_signed_out_after_thirty_idle_minutes(client, clock):
    login(client, staff_user(OrganizationFactory(), StaffRole.OPERATOR).username, remember=True)
    clock.travel(29 * 60)
    assert signed_in(client, profile(client))
    clock.travel(31 * 60)
    assert not signed_in(client, profile(client))


def test_staff_sessions_end_twelve_hours_after_signing_in_however_active(client, clock):
    login(client, staff_user(OrganizationFactory(), StaffRole.MANAGER).username, remember=True)
    for _ in range(24):
        clock.travel(29 * 60)
        assert signed_in(client, profile(client))
    clock.travel(29 * 60)  # 12 h 25 min after signing in
    assert not signed_in(client, profile(client))


def test_signing_in_again_starts_a_new_session_clock(client, clock):
    user = UserFactory()
    login(client, user.username)
    clock.travel(3 * HOUR)
    profile(client)
    login(client, user.username)
    assert signed_in(client, profile(client))
