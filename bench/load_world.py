"""The world of the residents' load test (bench/loadtest.py): one account per resident.

A generated organisation as ``bench billing`` builds it (houses of 100 flats, nine services,
house meters, a backdated closed month), every account with its three meters read, billed by
the real run for two months and closed, paid in between, the last closed month's payment
documents issued (the mass issue, as a period's closing starts it) and the month after it open.
One resident in twenty shares the account of the one before (a family); the others have an
account of their own, so that their readings and payments do not contend for the same rows.
Everything is written in bulk; what takes time is the mass issue of the documents (~27 a
second per core, bench/README.md «Payment documents»): 1 000 residents in about a minute.
"""

import datetime
import json
import logging
import random
import time
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Max
from django.test import override_settings
from django.utils import timezone
from django.utils.crypto import get_random_string

from bench.bench_billing import (
    FIRST,
    SECOND,
    _backdated_month,
    _housing,
    _meters,
    _organization,
    _pay_first_month,
)
from kabinet.billing.closing import close_period
from kabinet.billing.models import Period
from kabinet.billing.run import run_billing
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Meter, Reading
from kabinet.orgs.models import Organization
from kabinet.users.models import AccountLink, User
from kabinet.users.sessions import SEEN_AT, SIGNED_IN_AT

FAMILY_EVERY = 20  # one resident in twenty shares the previous resident's account
IN_PROCESS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
QUEUE_ONLY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def accounts_needed(users: int) -> int:
    return users - users // FAMILY_EVERY


def resident_accounts(users: int, accounts: list[int]) -> list[int]:
    """The account of each resident: its own, or the previous resident's for a family."""
    chosen = []
    own = iter(accounts)
    for number in range(users):
        chosen.append(chosen[-1] if number % FAMILY_EVERY == FAMILY_EVERY - 1 else next(own))
    return chosen


def billed_organization(size: int) -> Organization:
    """The organisation with ``size`` accounts, two months billed and closed, the second's
    documents issued, the third open; readings accepted all month long."""
    rng = random.Random(size)
    organization, services = _organization(size)
    accounts = _housing(organization, size, rng)
    _meters(organization, accounts, services, rng, every=1)
    _backdated_month(organization, accounts, services, rng)
    first = Period.objects.create(organization=organization, month=FIRST)
    run_billing(first)
    with override_settings(TASKS=QUEUE_ONLY):  # its documents are issued when first opened
        second = close_period(first)
    _pay_first_month(first, accounts, rng)
    run_billing(second)
    with override_settings(TASKS=IN_PROCESS):  # the mass issue of the closed month's documents
        close_period(second)
    Organization.objects.filter(pk=organization.pk).update(readings_from_day=1, readings_to_day=31)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh tables: let the planner see their sizes
    return organization


def build_world(users: int, password: str, path: Path) -> dict:
    """The organisation, ``users`` residents signed up with ``password`` (their e-mail
    verified) and linked to their accounts, and a remembered session each; writes what the
    locustfile needs to ``path`` and returns it."""
    started = time.monotonic()
    logging.getLogger("django.tasks").setLevel(logging.WARNING)  # the task, in-process
    organization = billed_organization(accounts_needed(users))
    accounts = list(
        PersonalAccount.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = resident_accounts(users, accounts)
    hashed = make_password(password)
    people = User.objects.bulk_create(
        User(username=f"load{n:04d}", email=f"load{n:04d}@example.com", password=hashed)
        for n in range(users)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in people
    )
    AccountLink.objects.bulk_create(
        AccountLink(user=user, account_id=account)
        for user, account in zip(people, chosen, strict=True)
    )
    last_values = dict(
        Reading.objects.filter(meter__account__organization=organization)
        .values("meter")
        .annotate(last=Max("value"))
        .values_list("meter", "last")
    )
    meters_of = {}
    apartment_meters = Meter.objects.filter(account__organization=organization, is_active=True)
    for meter, account in apartment_meters.values_list("pk", "account"):
        meters_of.setdefault(account, {})[str(meter)] = str(last_values.get(meter, 0))
    residents = [
        {
            "username": user.username,
            "account": account,
            "meters": meters_of[account],
            "session": session,
        }
        for user, account, session in zip(people, chosen, remembered_sessions(people), strict=True)
    ]
    world = {
        "password": password,
        "residents": residents,
        "receipt": f"/ls/{{account}}/receipt/{SECOND.year}-{SECOND.month}.pdf",
    }
    path.write_text(json.dumps(world), encoding="utf-8")
    print(
        f"{users} residents on {len(set(chosen))} accounts (one in {FAMILY_EVERY} shares one), "
        f"built in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return world


def remembered_sessions(people: list[User]) -> list[str]:
    """A session key for each of ``people``, as signing in with «Запомнить?» leaves it (what
    ``django.contrib.auth.login`` and ``users.sessions`` store), written in one go."""
    store, now = SessionStore(), time.time()
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    sessions = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: backend,
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    SIGNED_IN_AT: now,
                    SEEN_AT: now,
                }
            ),
            expire_date=expires,
        )
        for user in people
    ]
    Session.objects.bulk_create(sessions)
    return [session.session_key for session in sessions]
