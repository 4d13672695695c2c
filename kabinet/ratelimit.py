"""A fixed-window request limit kept in the cache (shared by web processes with Redis), for the
few endpoints that allauth's own limits do not cover."""

from time import time as clock

from django.core.cache import cache


def within_limit(key: str, *, limit: int, period: int) -> bool:
    """Count one hit on ``key``; ``False`` once more than ``limit`` hits fall in the current
    window of ``period`` seconds."""
    window = int(clock() // period)
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        hits = 1
    return hits <= limit
