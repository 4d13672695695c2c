"""Client addresses behind a reverse proxy: ``TRUSTED_PROXY_COUNT`` (kabinet.http.client_ip and
allauth's rate limits)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from kabinet.http import client_ip
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"


def request_from(remote_addr=PROXY, forwarded=None):
    headers = {"headers": {"X-Forwarded-For": forwarded}} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from(forwarded="203.0.113.9")) == PROXY


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(forwarded="203.0.113.9")) == "203.0.113.9"


def test_addresses_the_client_wrote_itself_are_not_believed(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from(forwarded="198.51.100.1, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


def test_behind_two_proxies_the_second_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = request_from(forwarded="198.51.100.1, 203.0.113.9, 10.0.0.1")
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "not-an-address"])
def test_a_missing_or_malformed_header_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(forwarded=forwarded)) == PROXY


@pytest.mark.django_db
def test_login_limits_behind_a_proxy_count_each_client_apart(client, settings):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    user = UserFactory()
    guesser = {"REMOTE_ADDR": PROXY, "headers": {"X-Forwarded-For": "198.51.100.66"}}
    for number in range(4):
        client.post(reverse("account_login"), {"login": f"x{number}", "password": "x"}, **guesser)

    client.post(
        reverse("account_login"),
        {"login": user.username, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert client.session["_auth_user_id"] == str(user.pk)
