"""The read replica's router (kabinet/dbrouting.py): off by default; when on, only the reads of
views marked as tolerating a stale copy go to the replica, never who the user is or what they
may do, never a read inside a transaction, never a write."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from kabinet.dbrouting import PRIMARY, REPLICA, ReplicaRouter, read_database, replica_reads
from tests.factories import MeterFactory, PersonalAccountFactory, ReadingFactory, this_month

ROOT = Path(__file__).resolve().parent.parent


def test_off_by_default():
    assert "replica" not in settings.DATABASES
    assert "kabinet.dbrouting.ReplicaRouter" not in settings.DATABASE_ROUTERS


@pytest.mark.parametrize(
    ("model", "replica", "allowed", "in_transaction", "expected"),
    [
        (("metering", "reading"), True, True, False, REPLICA),
        (("billing", "charge"), True, True, False, REPLICA),
        (("metering", "reading"), False, True, False, PRIMARY),  # no replica configured
        (("metering", "reading"), True, False, False, PRIMARY),  # an unmarked view
        (("metering", "reading"), True, True, True, PRIMARY),  # inside a transaction
        (("users", "user"), True, True, False, PRIMARY),  # who the user is
        (("sessions", "session"), True, True, False, PRIMARY),
        (("orgs", "staffmembership"), True, True, False, PRIMARY),  # what they may do
        (("users", "accesstoken"), True, True, False, PRIMARY),
        (("django_tasks_db", "dbtaskresult"), True, True, False, PRIMARY),
    ],
)
def test_routing_decisions(model, replica, allowed, in_transaction, expected):
    decision = read_database(
        *model, replica=replica, allowed=allowed, in_transaction=in_transaction
    )
    assert decision == expected


def test_writes_and_migrations_stay_on_the_primary():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(object) == PRIMARY
    assert router.allow_migrate(PRIMARY, "metering")
    assert not router.allow_migrate(REPLICA, "metering")


class RecordingRouter(ReplicaRouter):
    """Decides as if a replica were configured and records it, but reads from the one test
    database (returns None)."""

    seen: list = []

    def db_for_read(self, model, **hints):
        from kabinet.dbrouting import _stale_reads_allowed

        self.seen.append(
            (
                model._meta.label_lower,
                read_database(
                    model._meta.app_label,
                    model._meta.model_name,
                    replica=True,
                    allowed=_stale_reads_allowed.get(),
                    in_transaction=False,
                ),
            )
        )


@pytest.mark.django_db
def test_the_readings_export_reads_from_the_replica_after_the_access_check(
    client, settings, operator, own
):
    meter = MeterFactory(account=PersonalAccountFactory(premise__house__organization=own))
    ReadingFactory(meter=meter, period=this_month())
    client.get(reverse("backoffice:readings"))  # warm the session; not recorded
    RecordingRouter.seen = []
    settings.DATABASE_ROUTERS = [f"{__name__}.RecordingRouter"]
    assert client.get(reverse("backoffice:readings_export", args=["csv"])).status_code == 200
    where = dict(RecordingRouter.seen)
    assert where["metering.meter"] == REPLICA  # the readings come in the meters' query
    assert where["sessions.session"] == PRIMARY
    assert where["users.user"] == PRIMARY
    assert where["orgs.staffmembership"] == PRIMARY
    RecordingRouter.seen = []
    client.get(reverse("backoffice:readings"))  # the page itself is not marked
    assert set(dict(RecordingRouter.seen).values()) == {PRIMARY}


def test_database_replica_url_turns_it_on(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.db import router, transaction\n"
        "from kabinet.dbrouting import replica_reads\n"
        "from kabinet.metering.models import Reading\n"
        "from kabinet.users.models import User\n"
        "print(settings.DATABASES['replica']['TEST']['MIRROR'])\n"
        "print(router.db_for_read(Reading))\n"
        "with replica_reads():\n"
        "    print(router.db_for_read(Reading), router.db_for_read(User))\n"
        "    with transaction.atomic():\n"
        "        print(router.db_for_read(Reading))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'primary.sqlite3'}",
        "DATABASE_REPLICA_URL": f"sqlite:///{tmp_path / 'replica.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == ["default", "default", "replica default", "default"]
