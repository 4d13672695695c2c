"""What the web layer knows of a request that services record (the client's address)."""


def client_ip(request) -> str | None:
    """The address the request came from, as the audit log and rate limits record it."""
    return request.META.get("REMOTE_ADDR") or None
