"""Limits counted in the cache in fixed windows: per-user quotas on what costs the УК or the
server something (appeals and their messages, requests and attempts to link an account,
megabytes of files uploaded: ``consume``), and per-key request limits for the few endpoints that
allauth's own limits do not cover (``within_limit``: the picture code's refresh per address).

Each quota (``settings.QUOTAS``) is «amount/period», e.g. ``10/h`` or ``100M/d``, counted in
the cache in fixed windows. The count is an atomic ``add`` + ``incr`` (Redis, the shared cache
of several web processes, and the in-process cache both do it atomically), so simultaneous
requests cannot all slip under a limit. A refused request counts nothing.
"""

import re
from contextlib import suppress
from dataclasses import dataclass
from time import time as clock

from django.conf import settings
from django.core.cache import cache

from kabinet.formats import format_number

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PER_ONE = {"s": "в секунду", "m": "в минуту", "h": "в час", "d": "в сутки"}
SHORT = {"s": "с", "m": "мин", "h": "ч", "d": "сут."}
RATE = re.compile(r"(\d+)(M?)/(\d*)([smhd])")

MESSAGES = {
    "appeals": "Слишком много обращений: не больше {limit} {period}. Попробуйте позже.",
    "appeal_messages": "Слишком много сообщений: не больше {limit} {period}. Попробуйте позже.",
    "link_requests": (
        "Слишком много запросов на присоединение лицевого счёта: не больше {limit} {period}. "
        "Попробуйте позже."
    ),
    "link_attempts": (
        "Слишком много попыток присоединить лицевой счёт: не больше {limit} {period}. "
        "Попробуйте позже."
    ),
    "password_confirmations": (
        "Слишком много попыток ввести пароль: не больше {limit} {period}. Попробуйте позже."
    ),
    "api_requests": "Слишком много запросов с этим токеном: не больше {limit} {period}. Подождите.",
    "upload_bytes": (
        "Слишком много файлов: можно загрузить не больше {limit} МБ {period}. Отправьте "
        "сообщение без файлов или приложите их позже."
    ),
}


class QuotaExceeded(Exception):
    """The user has used up a quota; ``str(error)`` is the message for them."""


@dataclass(frozen=True)
class Quota:
    name: str
    limit: int  # in the quota's units: requests, or bytes for ``…M/…``
    seconds: int
    message: str


def quota(name: str) -> Quota:
    """The quota ``name`` as configured in ``settings.QUOTAS``."""
    text = settings.QUOTAS[name]
    match = RATE.fullmatch(text.replace(" ", ""))
    if not match:
        raise ValueError(f"Quota {name}: {text!r} is not like '10/h', '5/15m' or '100M/d'.")
    amount, megabytes, count, unit = match.groups()
    count = int(count or 1)
    period = PER_ONE[unit] if count == 1 else f"за {count} {SHORT[unit]}"
    message = MESSAGES[name].format(limit=format_number(int(amount)), period=period)
    return Quota(name, int(amount) * (2**20 if megabytes else 1), count * UNITS[unit], message)


def consume(user, **amounts: int) -> None:
    """Count ``amounts`` (quota name → how much, e.g. ``appeals=1, upload_bytes=…``) against
    ``user``'s quotas (or an API token's: anything with a ``pk``, counted per quota name);
    raise ``QuotaExceeded`` and count none of them if any would be passed."""
    counted = []
    for name, amount in amounts.items():
        if amount <= 0:
            continue
        rule = quota(name)
        key, used = _count(f"quota:{name}:{user.pk}", amount, rule.seconds)
        counted.append((key, amount))
        if used > rule.limit:
            for counted_key, counted_amount in counted:
                with suppress(ValueError):  # expired meanwhile: nothing left to give back
                    cache.decr(counted_key, counted_amount)
            raise QuotaExceeded(rule.message)


def within_limit(key: str, *, limit: int, period: int) -> bool:
    """Count one hit on ``key``; ``False`` once more than ``limit`` hits fall in the current
    window of ``period`` seconds."""
    return _count(f"ratelimit:{key}", 1, period)[1] <= limit


def _count(key: str, amount: int, seconds: int) -> tuple[str, int]:
    """Add ``amount`` to ``key``'s counter of the current window of ``seconds``; returns the
    window's key and its count now."""
    window_key = f"{key}:{int(clock()) // seconds}"
    cache.add(window_key, 0, timeout=seconds + 1)
    try:
        return window_key, cache.incr(window_key, amount)
    except ValueError:  # the window's key expired between add and incr
        cache.add(window_key, 0, timeout=seconds + 1)
        return window_key, cache.incr(window_key, amount)
