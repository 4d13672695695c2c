"""Webhooks reach servers on the internet only (SSRF): a loopback, private, link-local or other
special address is refused when a manager saves it and again before each delivery, after the
name is resolved; the delivery connects to the addresses it checked (a DNS answer that changes
in between leads nowhere else) and follows no redirect.

Nothing here reaches the internet: names other than ``localhost`` are answered by a stand-in
resolver, and where a public address is "connected to", the connection is handed to a local
receiving server instead."""

import ipaddress
import socket

import pytest
from django.urls import reverse

from kabinet.orgs.models import StaffRole
from kabinet.webhooks import addresses
from kabinet.webhooks import delivery as sending
from kabinet.webhooks import services as webhooks
from kabinet.webhooks.models import Attempt, Delivery, DeliveryStatus, EventKind, Webhook
from tests.factories import AccountLinkFactory, make_appeal, staff_user
from tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db
ALL = EventKind.values
PUBLIC = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


@pytest.fixture(autouse=True)
def nothing_private_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = []


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """The names the stand-in resolver knows (name → addresses); IP literals and ``localhost``
    are resolved by the system (no query leaves the machine), any other name is unknown."""
    answers = {}
    system = addresses.resolve

    def resolve(host, port):
        if host in answers:
            return [ipaddress.ip_address(address) for address in answers[host]]
        if host == "localhost" or _is_literal(host):
            return system(host, port)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(addresses, "resolve", resolve)
    return answers


def _is_literal(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def link():
    return AccountLinkFactory()


@pytest.fixture
def connections(monkeypatch, receiver):
    """Every address a delivery connects to, recorded; the connection itself is made to the
    local receiver, so that a "public" address is never reached."""
    made = []
    create_connection = socket.create_connection

    def connect(address, timeout=None, source_address=None):
        made.append(address)
        return create_connection(("127.0.0.1", receiver.server.server_port), timeout)

    monkeypatch.setattr(sending.socket, "create_connection", connect)
    return made


def deliver_now():
    return sending.deliver_due()


# --- when a manager saves the address ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://100.64.0.1/hook",  # shared address space (carrier NAT)
        "https://0.0.0.0/hook",
        "https://224.0.0.251/hook",  # multicast
        "https://240.0.0.1/hook",  # reserved
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # loopback written as IPv6
        "https://localhost/hook",  # a name that resolves to loopback
    ],
)
def test_a_private_or_special_address_is_refused_when_saved(link, url):
    with pytest.raises(webhooks.WebhookRefused, match="не публичный адрес"):
        webhooks.create_webhook(link.account.organization, url, ALL, None)
    assert not Webhook.objects.exists()


def test_a_name_is_refused_if_any_one_of_its_addresses_is_private(link, dns):
    dns["hooks.example.ru"] = [PUBLIC, "10.0.0.7"]
    with pytest.raises(webhooks.WebhookRefused) as refused:
        webhooks.create_webhook(link.account.organization, "https://hooks.example.ru/", ALL, None)
    assert str(refused.value).startswith("«hooks.example.ru»: 10.0.0.7 — не публичный адрес")


def test_an_unknown_name_is_refused(link):
    with pytest.raises(webhooks.WebhookRefused, match=r"«nowhere\.example\.ru» не найден"):
        webhooks.create_webhook(
            link.account.organization, "https://nowhere.example.ru/hook", ALL, None
        )


@pytest.mark.parametrize("url", [f"https://{PUBLIC}/hook", "https://hooks.example.ru/hook"])
def test_a_public_address_is_accepted(link, dns, url):
    dns["hooks.example.ru"] = [PUBLIC, PUBLIC_V6]
    webhook = webhooks.create_webhook(link.account.organization, url, ALL, None)
    assert webhook.url == url


def test_a_network_allowed_in_the_settings_is_let_through_and_no_other(link, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = ["10.0.0.0/8"]
    organization = link.account.organization
    webhooks.create_webhook(organization, "https://10.1.2.3/hook", ALL, None)
    with pytest.raises(webhooks.WebhookRefused):
        webhooks.create_webhook(organization, "https://127.0.0.1/hook", ALL, None)


def test_the_back_office_names_the_refused_address_in_russian(client, link):
    organization = link.account.organization
    client.force_login(staff_user(organization, StaffRole.MANAGER))
    response = client.post(
        reverse("backoffice:webhooks"),
        {
            "organization": organization.pk,
            "url": "http://169.254.169.254/latest/meta-data/",
            "events": ALL,
        },
    )
    assert response.status_code == 200
    assert "169.254.169.254 — не публичный адрес" in response.content.decode()
    assert not Webhook.objects.exists()


# --- before each delivery ------------------------------------------------------------------


def test_a_name_that_turns_private_after_it_was_saved_is_not_sent_to(link, dns, connections):
    dns["hooks.example.ru"] = [PUBLIC]
    webhooks.create_webhook(link.account.organization, "https://hooks.example.ru/", ALL, None)
    dns["hooks.example.ru"] = ["127.0.0.1"]  # DNS rebinding: the same name, now loopback
    make_appeal(link.user, link.account)  # its task is not run: delivered below
    assert deliver_now() == 1
    assert connections == []
    attempt = Attempt.objects.get()
    assert attempt.status_code is None
    assert "127.0.0.1 — не публичный адрес" in attempt.error
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)  # retried later


def test_an_address_saved_before_the_check_is_refused_at_delivery(link, receiver):
    Webhook.objects.create(
        organization=link.account.organization, url=receiver.url, secret="whsec_x", events=ALL
    )
    make_appeal(link.user, link.account)
    deliver_now()
    assert receiver.requests == []
    assert "не публичный адрес" in Attempt.objects.get().error


def test_the_delivery_connects_to_the_checked_addresses_only(link, dns, connections, receiver):
    dns["hooks.example.ru"] = [PUBLIC]
    webhooks.create_webhook(link.account.organization, "http://hooks.example.ru/hook", ALL, None)
    make_appeal(link.user, link.account)
    deliver_now()
    assert connections == [(PUBLIC, 80)]  # the checked address, not a new DNS answer
    [(headers, _body)] = receiver.requests
    assert headers["Host"] == "hooks.example.ru"  # the name the receiver expects
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_each_checked_address_is_tried_in_turn(link, dns, monkeypatch):
    dns["hooks.example.ru"] = [PUBLIC_V6, PUBLIC]
    webhooks.create_webhook(link.account.organization, "https://hooks.example.ru/", ALL, None)
    tried = []

    def unreachable(address, timeout=None, source_address=None):
        tried.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(sending.socket, "create_connection", unreachable)
    make_appeal(link.user, link.account)
    deliver_now()
    assert tried == [(PUBLIC_V6, 443), (PUBLIC, 443)]
    assert "Connection refused" in Attempt.objects.get().error


def test_a_name_resolved_to_an_allowed_network_reaches_the_receiver_by_that_address(
    link, dns, receiver, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    port = receiver.server.server_port
    dns["hooks.example.ru"] = ["127.0.0.1"]  # the system itself does not know this name
    url = f"http://hooks.example.ru:{port}/hook?source=kabinet"
    webhooks.create_webhook(link.account.organization, url, ALL, None)
    make_appeal(link.user, link.account)
    deliver_now()
    [(headers, _body)] = receiver.requests
    assert headers["Host"] == f"hooks.example.ru:{port}"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_redirect_is_not_followed(link, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    elsewhere = Receiver()
    try:
        receiver.answers = [(302, {"Location": elsewhere.url})]
        webhooks.create_webhook(link.account.organization, receiver.url, ALL, None)
        make_appeal(link.user, link.account)
        deliver_now()
        assert len(receiver.requests) == 1
        assert elsewhere.requests == []
    finally:
        elsewhere.close()
    assert Attempt.objects.get().status_code == 302
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


# --- what is public ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        (PUBLIC_V6, True),
        (f"::ffff:{PUBLIC}", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff0e::1", False),  # global multicast
        ("2001:db8::1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("::ffff:10.0.0.1", False),
    ],
)
def test_only_addresses_on_the_internet_are_public(address, public):
    assert addresses.is_public(ipaddress.ip_address(address)) is public
