"""Where a webhook may send: servers on the internet only.

An address of the organisation's choosing, fetched by the portal's own server, would otherwise
reach what only that server reaches (SSRF): its loopback, the private network of the hosting,
a cloud's metadata service at 169.254.169.254. So a webhook's host is resolved when a manager
saves it and again before every delivery, and refused if ANY of its addresses is not a public
one (loopback, private, shared, link-local, multicast, reserved, unspecified, documentation);
the delivery then connects to the very addresses checked, so that a name whose DNS answer
changes in between (DNS rebinding) cannot lead elsewhere. Networks listed in
``settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` (empty by default; a receiver on 127.0.0.1 in
the tests, a УК's own server inside the hosting's network) are let through on purpose.
"""

import ipaddress
import socket

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NOT_PUBLIC = (
    "{address} — не публичный адрес (локальный, внутренней сети или служебный): "
    "вебхуки отправляются только на серверы в интернете."
)


class AddressRefused(Exception):
    """The host may not be sent to; ``str(error)`` says why, in Russian."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host's name stands for (an IP literal is itself), in the resolver's
    order; ``socket.gaierror`` if the name is unknown. The tests replace it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])  # no IPv6 zone index
        if address not in addresses:
            addresses.append(address)
    return addresses


def is_public(address: IPAddress) -> bool:
    """An address on the public internet. An IPv4 address written as IPv6 (``::ffff:a.b.c.d``)
    is judged as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _allowed(address: IPAddress) -> bool:
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS
    )


def public_addresses(host: str, port: int) -> list[IPAddress]:
    """The host's addresses, to connect to; ``AddressRefused`` if it has none or if any one of
    them is not public (a name with one public and one private address is refused: which of
    them a connection would reach is not ours to choose)."""
    host = (host or "").strip("[]")
    if not host:
        raise AddressRefused("В адресе нет имени сервера.")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise AddressRefused(f"Сервер «{host}» не найден: проверьте адрес.") from None
    if not addresses:
        raise AddressRefused(f"Сервер «{host}» не найден: проверьте адрес.")
    for address in addresses:
        if not (is_public(address) or _allowed(address)):
            shown = str(address) if str(address) == host else f"«{host}»: {address}"
            raise AddressRefused(NOT_PUBLIC.format(address=shown))
    return addresses
