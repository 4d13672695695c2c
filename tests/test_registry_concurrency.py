"""A registry credited on PostgreSQL while staff work: its accounts are locked and checked
set-wise (their foreign key kept), and payments credited before are found without ``ON
CONFLICT``. What must hold: a payment never points at an account deleted meanwhile, an account
with payments is never deleted, and two overlapping registries credited at once credit each
payment once."""

import threading
import time

import pytest
from django.db import IntegrityError, connection

from kabinet.housing.models import PersonalAccount
from kabinet.payments import tasks
from kabinet.payments.models import Payment, RegistryStatus
from kabinet.payments.registry import crediting
from kabinet.payments.registry.crediting import import_registry
from kabinet.payments.registry.uploads import upload_registry
from tests.concurrency import in_another_connection
from tests.factories import OrganizationFactory, PersonalAccountFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite runs one writer at a time: no concurrent staff to meet",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media"),
]


@pytest.fixture
def organization(monkeypatch):
    monkeypatch.setattr(tasks, "enqueue_registry_import", lambda registry, ip: None)
    organization = OrganizationFactory()
    for number in ("1000154", "1000155"):
        PersonalAccountFactory(premise__house__organization=organization, number=number)
    return organization


def line(operation, account):
    return f"20-11-2026;10-00-00;8610;8610/1;{operation};{account};И;;102026;100.00;100.00;0.00"


def uploaded(organization, operations, name="reestr.txt"):
    text = "\n".join(line(operation, account) for operation, account in operations) + "\n"
    return upload_registry(organization, name, text.encode(), None)


def test_an_account_deleted_while_the_file_is_read_refuses_it_naming_the_row(
    organization, monkeypatch
):
    registry = uploaded(organization, [(1, "1000154"), (2, "1000155"), (3, "1000154")])
    read_rows = crediting._credited_rows

    def staff_delete_an_account_meanwhile(*args, **kwargs):
        # The import has read the accounts; staff delete one and commit before it is locked.
        thread, outcome = in_another_connection(
            lambda: PersonalAccount.objects.filter(number="1000155").delete()
        )
        thread.join()
        assert not isinstance(outcome[0], Exception)
        yield from read_rows(*args, **kwargs)

    monkeypatch.setattr(crediting, "_credited_rows", staff_delete_an_account_meanwhile)
    import_registry(registry.pk)

    registry.refresh_from_db()
    assert not PersonalAccount.objects.filter(number="1000155").exists()
    assert registry.status == RegistryStatus.REJECTED
    assert registry.errors == ["Строка 2: лицевой счёт «1000155» удалён, пока реестр загружался"]
    assert (registry.rows_total, registry.rows_rejected) == (3, 1)
    assert not Payment.objects.exists()


def test_an_account_locked_by_the_crediting_cannot_be_deleted_under_its_payments(
    organization, monkeypatch
):
    registry = uploaded(organization, [(1, "1000154"), (2, "1000155")])
    check_accounts = crediting._refuse_vanished_accounts
    deleting = []

    def staff_delete_an_account_once_locked(*args):
        check_accounts(*args)
        # Staff's delete finds no payment (not yet committed) and waits for the lock.
        deleting.append(
            in_another_connection(lambda: PersonalAccount.objects.filter(number="1000155").delete())
        )
        waited = 0.0
        while not _a_backend_waits_for_a_lock() and waited < 10:
            time.sleep(0.05)
            waited += 0.05

    monkeypatch.setattr(crediting, "_refuse_vanished_accounts", staff_delete_an_account_once_locked)
    import_registry(registry.pk)
    thread, outcome = deleting[0]
    thread.join()

    registry.refresh_from_db()
    assert registry.status == RegistryStatus.IMPORTED
    assert isinstance(outcome[0], IntegrityError)  # the payments' foreign key refused it
    assert PersonalAccount.objects.filter(number="1000155").exists()
    assert Payment.objects.filter(account__number="1000155").count() == 1


def _a_backend_waits_for_a_lock() -> bool:
    """Whether another backend waits for a lock this one (the crediting's) holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted "
            "AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return cursor.fetchone()[0] > 0


def test_overlapping_registries_credited_at_once_credit_each_payment_once(organization):
    first = uploaded(organization, [(n, "1000154") for n in range(1, 301)], name="1.txt")
    second = uploaded(organization, [(n, "1000155") for n in range(1, 201)]
                      + [(n, "1000154") for n in range(201, 401)], name="2.txt")  # fmt: skip
    start = threading.Barrier(2)

    def credit(registry):
        start.wait()
        return import_registry(registry.pk)

    runs = [in_another_connection(lambda registry=r: credit(registry)) for r in (first, second)]
    for thread, _ in runs:
        thread.join()

    assert [outcome for _, outcome in runs] == [[RegistryStatus.IMPORTED]] * 2
    assert Payment.objects.count() == 300 + 200 + 100
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.rows_credited + second.rows_credited == 600
    assert first.rows_duplicate + second.rows_duplicate == 100


def test_the_same_registry_credited_twice_at_once_is_credited_once(organization, monkeypatch):
    # A task requeued while its first run still works (a worker thought lost): both runs have
    # read the file as not yet credited; the second waits for the first's lock, then sees it
    # credited and writes nothing (it had failed the registry on the first one's day totals).
    registry = uploaded(organization, [(n, "1000154") for n in range(1, 101)])
    read = crediting.read_registry
    both_read = threading.Barrier(2, timeout=10)

    def read_together(*args):
        both_read.wait()
        return read(*args)

    monkeypatch.setattr(crediting, "read_registry", read_together)
    runs = [in_another_connection(lambda: import_registry(registry.pk)) for _ in range(2)]
    for thread, _ in runs:
        thread.join()

    assert [outcome for _, outcome in runs] == [[RegistryStatus.IMPORTED]] * 2
    registry.refresh_from_db()
    assert (registry.status, registry.rows_credited) == (RegistryStatus.IMPORTED, 100)
    assert Payment.objects.count() == 100
