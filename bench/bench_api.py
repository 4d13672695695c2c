"""The API against the pages it mirrors: requests per second for the account card and for
submitting a reading, through Django's full stack (middleware, auth, templates or JSON) in one
process, so the figures compare the faces, not a server."""

import datetime
import time
from decimal import Decimal

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from bench.common import benchmark_organization
from kabinet.billing.models import Charge, Period, PeriodStatus, Service
from kabinet.housing.models import House, PersonalAccount, Premise
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.months import add_months, first_of_month
from kabinet.users.models import AccountLink, TokenScope, User
from kabinet.users.tokens import create_token

REQUESTS = 300
SERVICES = 9
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def _world():
    organization = benchmark_organization()
    organization.readings_from_day, organization.readings_to_day = 1, 31
    organization.save()
    house = House.objects.create(organization=organization, address="ул. Бенчмарка, д. 2")
    premise = Premise.objects.create(house=house, number="1", area=Decimal("50.00"))
    account = PersonalAccount.objects.create(
        organization=organization, number="9000001", holder_name="Иванов И. И.", premise=premise
    )
    user = User.objects.create_user("bench", "bench@example.ru", "bench-password-123")
    AccountLink.objects.create(user=user, account=account)
    month = add_months(first_of_month(timezone.localdate()), -1)
    period = Period.objects.create(organization=organization, month=month, status=PeriodStatus.OPEN)
    for n in range(SERVICES):
        service = Service.objects.create(
            organization=organization, name=f"Услуга {n}", method="area", position=n
        )
        Charge.objects.create(
            period=period, account=account, service=service, tariff=Decimal("20"),
            volume=Decimal("50"), charged=Decimal("1000.00"), total=Decimal("1000.00"),
        )  # fmt: skip
    period.status = PeriodStatus.CLOSED
    period.save()
    meter = Meter.objects.create(
        account=account, resource=Resource.COLD_WATER, serial_number="Б-1",
        verification_due=datetime.date(2030, 1, 1),
    )  # fmt: skip
    for offset, value in ((-3, "100"), (-2, "103"), (-1, "106")):
        day = add_months(first_of_month(timezone.localdate()), offset)
        Reading.objects.create(
            meter=meter, period=day, value=Decimal(value), taken_on=day,
            source=ReadingSource.RESIDENT,
        )  # fmt: skip
    return user, account, meter


def _rate(label, request):
    started = time.perf_counter()
    for n in range(REQUESTS):
        response = request(n)
        assert response.status_code in (200, 201, 302), (label, response.status_code)
    seconds = time.perf_counter() - started
    print(f"{label:<42} {REQUESTS / seconds:8.0f} requests/s")


def run() -> None:
    user, account, meter = _world()
    secret = create_token(user, name="bench", scope=TokenScope.FULL).secret
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
    page = Client(HTTP_HOST="localhost")
    page.force_login(user)
    quotas = {**settings.QUOTAS, "api_requests": f"{REQUESTS * 10}/m"}
    with override_settings(QUOTAS=quotas, EMAIL_BACKEND=LOCMEM):
        card_page = reverse("portal:account", args=[account.pk])
        _rate("the card, page (HTML)", lambda n: page.get(card_page))
        card_api = reverse("api:account", args=[account.pk])
        _rate("the card, API (JSON)", lambda n: api.get(card_api))
        meters_page = reverse("portal:account_meters", args=[account.pk])
        _rate(
            "a reading, page (POST + redirect)",
            lambda n: page.post(meters_page, {f"meter_{meter.pk}": f"{110 + n % 5}"}),
        )
        readings_api = reverse("api:readings", args=[account.pk])
        _rate(
            "a reading, API (POST)",
            lambda n: api.post(
                readings_api,
                {"readings": [{"meter_id": meter.pk, "value": f"{110 + n % 5}"}]},
                content_type="application/json",
            ),
        )
