"""What the project reads from an HTTP request itself, the same way everywhere.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's address: every client would share one
rate limit and every record would name the proxy. ``TRUSTED_PROXY_COUNT`` says how many proxies
of our own stand in front; each appends the address it received the request from to
``X-Forwarded-For``, so the client is that many entries from the right. Entries further left are
written by the client and never trusted.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR`` without trusted proxies, else the entry of
    ``X-Forwarded-For`` that the outermost trusted proxy wrote."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    if len(forwarded) < count:  # the request did not pass through all our proxies
        return remote_addr
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote_addr
