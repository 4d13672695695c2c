"""The money figures of an account's pages, cached (issue 21 item 4): the card's and
«Платежи»'s sums cost more queries than the rest of the page together.

The key names everything the figures depend on, so a cached value is never stale, only
unused: the account's and its organisation's ``data_version`` (every writer bumps one,
``kabinet.data_versions``; both come with the account the page already read, at no query),
today's date (penalties, «Оплатить до» and «Платежи»'s months move with it), the page's own
arguments and the code's version (a digest of the project's source: a deploy never reads
figures another code wrote). Only the figures are cached — never a response, whose CSRF
token, messages and other accounts' links are the user's."""

import hashlib
import logging
from functools import cache as once
from pathlib import Path

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)
TIMEOUT = 24 * 60 * 60  # the key holds today's date: nothing is read after its day
MISSING = object()


@once
def code_version() -> str:
    """A digest of every Python source of the project, read once per process."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def figures_key(account, page: str, *arguments) -> str:
    parts = (
        "figures",
        code_version(),
        page,
        account.pk,
        account.data_version,
        account.organization.data_version,
        timezone.localdate().isoformat(),
        *arguments,
    )
    return ":".join(str(part) for part in parts)


def account_figures(account, page: str, build, *arguments):
    """``build()``'s result for ``account``'s ``page`` (with the page's ``arguments``), from
    the cache when the same data was read before. A cache that fails costs speed, never the
    page: the figures are then read from the database."""
    key = figures_key(account, page, *arguments)
    try:
        figures = cache.get(key, MISSING)
    except Exception:
        logger.warning("The figures cache did not answer; reading %s from the database", key)
        return build()
    if figures is MISSING:
        figures = build()
        try:
            cache.set(key, figures, TIMEOUT)
        except Exception:
            logger.warning("The figures cache did not keep %s", key)
    return figures
