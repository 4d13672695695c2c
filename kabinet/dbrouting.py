"""Reads that may go to a PostgreSQL read replica (off unless ``DATABASE_REPLICA_URL`` is set).

A streaming replica lags the primary by a little. Only reads where a stale answer is harmless go
there: the staff's exports (readings, undelivered documents) and reports, marked by
``reads_from_replica`` or run inside ``replica_reads()``. Everything else — every write, every
read inside a transaction, every read outside a marked view, and always who the user is and
what they may do (sessions, users, roles, tokens) — stays on the primary, so a page never shows a
resident an older balance than the one they just paid, and a revoked role is never honoured.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import connections

PRIMARY = "default"
REPLICA = "replica"

# Who the user is and what they may do: read from the primary, never a lagging copy.
ALWAYS_PRIMARY_APPS = frozenset(
    {"auth", "users", "sessions", "account", "mfa", "socialaccount", "usersessions",
     "contenttypes", "captcha", "django_tasks_db", "audit"}
)  # fmt: skip
ALWAYS_PRIMARY_MODELS = frozenset({("orgs", "staffmembership")})

_stale_reads_allowed: ContextVar[bool] = ContextVar("stale_reads_allowed", default=False)


@contextmanager
def replica_reads():
    """Within this block, reads that tolerate a stale copy may go to the replica."""
    token = _stale_reads_allowed.set(True)
    try:
        yield
    finally:
        _stale_reads_allowed.reset(token)


def reads_from_replica(view):
    """The view's reads may go to the replica. Put it below the access decorator, so that the
    user and their roles are read from the primary before."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


def read_database(
    app_label: str, model_name: str, *, replica: bool, allowed: bool, in_transaction: bool
) -> str:
    """The routing decision, on its own: where a read of this model goes."""
    if not (replica and allowed) or in_transaction:
        return PRIMARY
    if app_label in ALWAYS_PRIMARY_APPS or (app_label, model_name) in ALWAYS_PRIMARY_MODELS:
        return PRIMARY
    return REPLICA


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model, **hints):
        return read_database(
            model._meta.app_label,
            model._meta.model_name,
            replica=REPLICA in connections.settings,
            allowed=_stale_reads_allowed.get(),
            in_transaction=connections[PRIMARY].in_atomic_block,
        )

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == PRIMARY  # the replica follows the primary's WAL, migrations included
