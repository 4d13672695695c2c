"""The kept billing world's commands (bench/billing_world.py) refuse what they cannot do with a
message, not a traceback: no world to bill, a world already built, arguments they don't know."""

import pytest

from bench import bench_billing, billing_world
from kabinet.orgs.models import Organization
from tests.factories import PeriodFactory

pytestmark = pytest.mark.django_db


def test_unknown_arguments_print_the_usage():
    for argv in ([], ["bill", "2"], ["workers", "two"], ["build"]):
        assert billing_world.main(argv) == billing_world.__doc__


def test_workers_ask_for_a_world_first():
    assert billing_world.main(["workers", "2"]) == (
        "This database holds no world: build one first (`build SIZE`)."
    )


def test_a_second_world_is_not_built_beside_the_first():
    PeriodFactory(month=bench_billing.SECOND)
    organizations = Organization.objects.count()
    assert billing_world.main(["build", "300"]) == (
        "This database holds a world already: bill it with `workers N`, or drop it."
    )
    assert Organization.objects.count() == organizations
