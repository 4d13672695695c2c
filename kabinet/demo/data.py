"""The demo data set: the seed manual's example, relative to today so that it always shows
twelve closed months up to the previous one and the current month open (not calculated).

``load_demo`` puts it together from a module per story:

- ``world``: the two organisations (УК «Камал» in Kazan, the seed's; «Уютный дом» in Moscow),
  their houses, premises, accounts, users, services and tariffs indexed each July. The house's
  areas (residential, non-residential, common property) and the УК's normatives for common
  needs make its common-house share (ОДН) follow Правила № 354 п. 44: shared by area over all
  premises and capped by the normative; a shop on the ground floor (ЛС 1000170, a
  non-residential premise nobody has linked) is billed like the flats;
- ``history``: the twelve months produced the way staff produce them — each month the billing
  run and closing, then the month's payments in the next month. Readings and payments are
  deterministic (a fixed random seed per account and house), and so is every figure the engine
  derives from them;
- ``seed``: ЛС 1000154 (the demo resident's): late payments and penalties, a corrected reading
  recalculated, the seed's «Долг: 6 889,37», the identifiers of ГИС ЖКХ;
- ``capital_repair``: the special account of the УК; ЛС 1000155 pays one contribution late;
- ``meters``: the apartments' and the house meters; ЛС 1000156 without meters where they can
  be installed (the normative × the increasing coefficient); ЛС 2000002's meter past its
  verification (its average for three months, then the normative with the coefficient);
- ``instalment``: ЛС 1000158 pays a month's heating in instalments (Правила № 354 п. 72);
- ``suppliers``: the requisites of the suppliers named on the services;
- ``appeals``: the demo resident's answered appeal and the УК's news."""

import datetime
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from kabinet.billing.signals import period_closed
from kabinet.demo.appeals import load_appeals_demo
from kabinet.demo.capital_repair import load_capital_repair_fund
from kabinet.demo.history import bill_months
from kabinet.demo.meters import (
    UNVERIFIED_METER,
    house_use,
    load_apartment_meters,
    load_apartment_readings,
    load_heat_meter,
    load_house_meters,
    load_meters_impossible,
    load_unverified_meter,
)
from kabinet.demo.seed import SeedAccount, load_gis_identifiers
from kabinet.demo.suppliers import load_suppliers
from kabinet.demo.world import (
    KAMAL,
    KAMAL_HOLDERS,
    KAMAL_SERVICES,
    UYUT_HOLDERS,
    UYUT_SERVICES,
    load_accounts,
    load_common_normatives,
    load_heating_by_the_meter,
    load_house_areas,
    load_management_contract,
    load_organizations,
    load_services,
    load_users,
)
from kabinet.housing.models import House
from kabinet.metering.models import Resource
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import Organization
from kabinet.payments.autopay.tasks import run_autopay_when_period_closes
from kabinet.receipts.tasks import issue_documents_when_period_closes

RECEIPTS_ISSUE = "receipts_issue"  # dispatch_uid of the receipts app's period_closed receiver
AUTOPAY_RUN = "autopay_run"  # and of the payments app's (payments.autopay.tasks)


def is_loaded() -> bool:
    return Organization.objects.filter(name=KAMAL).exists()


def load_demo(today: datetime.date | None = None) -> None:
    """Create the demo data set (call once: see ``is_loaded``)."""
    with _no_receipt_mailing():
        _load(today or timezone.localdate())


@contextmanager
def _no_receipt_mailing():
    """The demo's months were closed long ago: closing them now issues and mails nothing (a
    document is issued when first opened, ``receipts.issuing.issued_document``). The
    closings' ``period_closed`` signals are sent when the outermost transaction commits: the
    loading one (a test's transaction, around it, never commits)."""
    connected = period_closed.disconnect(dispatch_uid=RECEIPTS_ISSUE)
    autopay_connected = period_closed.disconnect(dispatch_uid=AUTOPAY_RUN)  # no autopay yet
    try:
        yield
    finally:
        if connected:
            period_closed.connect(issue_documents_when_period_closes, dispatch_uid=RECEIPTS_ISSUE)
        if autopay_connected:
            period_closed.connect(run_autopay_when_period_closes, dispatch_uid=AUTOPAY_RUN)


@transaction.atomic
def _load(today: datetime.date) -> None:
    current = first_of_month(today)
    months = [add_months(current, offset) for offset in range(-12, 0)]
    indexation = next(month for month in months if month.month == 7)

    kamal, uyut = load_organizations()
    kamal_house = House.objects.create(organization=kamal, address="ул. Гражданская, д. 12")
    load_capital_repair_fund(kamal_house)
    load_management_contract(kamal_house)
    uyut_house = House.objects.create(organization=uyut, address="ул. Садовая, д. 5")
    kamal_accounts = load_accounts(kamal, kamal_house, KAMAL_HOLDERS, "1000", months[0])
    uyut_accounts = load_accounts(uyut, uyut_house, UYUT_HOLDERS, "200000", months[0])
    operator = load_users(kamal, kamal_accounts)

    load_house_areas(kamal_house, kamal_accounts)
    load_common_normatives(kamal, months[0])
    kamal_services = load_services(kamal, KAMAL_SERVICES, months[0], indexation)
    load_services(uyut, UYUT_SERVICES, months[0], indexation)
    load_suppliers(kamal, uyut)
    load_heating_by_the_meter(uyut_house, months[0])
    load_heat_meter(uyut_house, months)
    meters = load_apartment_meters(kamal_accounts, today)
    load_meters_impossible(kamal_accounts)
    used = load_apartment_readings(kamal_accounts, meters, months)
    load_house_meters(kamal_house, months, house_use(kamal_accounts, kamal_services, used))

    seed = SeedAccount(kamal_accounts[154], meters[154, Resource.COLD_WATER], operator, months)
    bill_months(kamal, kamal_accounts, months, seed)
    load_gis_identifiers(kamal_accounts[154])
    load_unverified_meter(uyut_accounts[UNVERIFIED_METER], months)
    bill_months(uyut, uyut_accounts, months)
    load_appeals_demo()
