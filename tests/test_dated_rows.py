"""Dated rows (``billing.models.dated.DatedRow``): every kind refuses an end before its start,
on the form and in the database."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kabinet.billing.models import (
    CapitalRepairDueDay,
    CommonNeedsNormative,
    IncreasingCoefficient,
    Tariff,
)
from kabinet.metering.models import Resource
from tests.factories import OrganizationFactory, ServiceFactory

pytestmark = pytest.mark.django_db
START, BEFORE = datetime.date(2026, 3, 1), datetime.date(2026, 1, 1)


def rows(organization):
    return [
        Tariff(service=ServiceFactory(organization=organization), value=D("1.00")),
        IncreasingCoefficient(resource=Resource.COLD_WATER, value=D("1.5")),
        CommonNeedsNormative(
            organization=organization, resource=Resource.COLD_WATER, value=D("0.03")
        ),
        CapitalRepairDueDay(organization=organization, day=20, source="закон субъекта"),
    ]


@pytest.mark.parametrize("index", range(4))
def test_an_end_before_the_start_is_refused_by_clean_and_by_the_database(index):
    row = rows(OrganizationFactory())[index]
    row.valid_from, row.valid_to = START, BEFORE
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "valid_to" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
    row.valid_to = START
    row.full_clean()
    row.save()
