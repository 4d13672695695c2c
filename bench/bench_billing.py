"""The monthly billing run at 10 000 and 100 000 accounts (goal: 100 000 under 30 s on
PostgreSQL). ``BENCH_BILLING_SIZES=10000`` runs only the sizes it lists.

For each size, an organisation of houses of 100 accounts with nine services: three by area (the
repair tariff changes on the 16th of the second month; rent only for municipal premises), cold
and hot water and electricity by meter, wastewater, heating by the normative per m², penalties.
Half of the accounts have the three meters, read before the first month and in it; four in
five of them are read in the second month too (the rest are charged by their average). Every
house has its three house meters, so every metered service has its common-house share (ОДН),
capped by the organisation's normatives for common needs × the house's common-property area
and shared by area over the house's premises (their total computed by the run).
A backdated closed month before the first one, unpaid by one account in ten, gives the second
month debt more than 30 days late: its run charges penalties.

Timed: the run of month 1 (in this process), closing it, the month's payments (most accounts
pay in full, some in part, the debtors nothing), the run of month 2; then month 2 run again by
the task workers as staff run it (``BENCH_BILLING_WORKERS``, PostgreSQL only). Memory is the
growth of the process's peak resident set (``getrusage`` ``ru_maxrss``) during each step: zero
when the step stayed below an earlier peak.

``BENCH_BILLING_CAPITAL_REPAIR=1`` makes every house collect capital repair contributions from
the first month (a special account, a contribution per m² for private premises, its ч. 14.1
penalty): the payments of the first month pay them apart, to their payee, and the second run
counts both penalty streams.

``BENCH_BILLING_HEATING=1`` heats every house by its heat meter (a ``HeatingSetting`` from the
first month, formula 3 of Правила № 354, every month in the season): a house heat meter more per
house, read in each month.
"""

import datetime
import logging
import os
import random
import resource
import time
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.test import override_settings
from django.utils import timezone

from bench.common import benchmark_organization, process_cpu, status_mb, task_workers
from kabinet.billing.closing import close_period
from kabinet.billing.jobs import queue_billing_run
from kabinet.billing.lines import CHARGE_FIELDS
from kabinet.billing.models import (
    CAPITAL_REPAIR_METHODS,
    WASTEWATER,
    BillingRun,
    CalculationMethod,
    CapitalRepairFund,
    CapitalRepairFundKind,
    Charge,
    ChargeBasis,
    CommonNeedsNormative,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    KeyRate,
    Penalty,
    Period,
    PeriodStatus,
    Service,
    Tariff,
)
from kabinet.billing.run import run_billing
from kabinet.bulk import insert_rows
from kabinet.housing.models import House, OwnershipType, PersonalAccount, Premise
from kabinet.jobs.models import Job, JobStatus
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.money import round_money
from kabinet.payments.models import Payment, PaymentSource

SIZES = [int(size) for size in os.environ.get("BENCH_BILLING_SIZES", "10000,100000").split(",")]
CAPITAL_REPAIR = os.environ.get("BENCH_BILLING_CAPITAL_REPAIR") == "1"
HEATING_BY_METER = os.environ.get("BENCH_BILLING_HEATING") == "1"
HOUSE_SIZE = 100
BACKDATED, FIRST, SECOND = (datetime.date(2026, month, 1) for month in (7, 8, 9))
TARIFF_CHANGE = datetime.date(2026, 9, 16)
D = Decimal
SERVICES = [  # name, method, resource, normative, tariff, ownership
    ("Содержание жилья", CalculationMethod.AREA, "", None, "19.30", ""),
    ("Ремонт жилья", CalculationMethod.AREA, "", None, "12.50", ""),
    ("Найм жилья", CalculationMethod.AREA, "", None, "9.10", OwnershipType.MUNICIPAL),
    ("Холодное водоснабжение", CalculationMethod.METER, Resource.COLD_WATER, "4.5", "51.20", ""),
    ("Горячее водоснабжение", CalculationMethod.METER, Resource.HOT_WATER, "3.2", "257.60", ""),
    ("Водоотведение", CalculationMethod.WASTEWATER, "", None, "41.90", ""),
    ("Электроснабжение", CalculationMethod.METER, Resource.ELECTRICITY, "90", "6.84", ""),
    ("Отопление", CalculationMethod.AREA_NORMATIVE, Resource.HEAT, "0.0105", "3098.00", ""),
    ("Пени", CalculationMethod.PENALTY, "", None, None, ""),
]
REPAIR_AFTER_CHANGE = D("13.10")
COMMON_PROPERTY_AREA = D("420.00")
COMMON_NORMATIVES = {  # per m² of the common property a month (the cap binds in a few houses)
    Resource.COLD_WATER: "0.033", Resource.HOT_WATER: "0.033", WASTEWATER: "0.066",
    Resource.ELECTRICITY: "4",
}  # fmt: skip
METER_USE = {  # a metered apartment's monthly use: low, high
    Resource.COLD_WATER: (3.0, 6.0),
    Resource.HOT_WATER: (1.8, 3.6),
    Resource.ELECTRICITY: (120.0, 260.0),
}


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Step:
    """Times a step and the growth of the process's peak memory during it."""

    def __enter__(self):
        self.peak, self.started = _peak_kb(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.grown_mb = (_peak_kb() - self.peak) / 1024


def _organization(size: int):
    organization = benchmark_organization(f"Бенчмарк {size}")
    rates = [(datetime.date(2025, 10, 27), "16.50"), (datetime.date(2026, 2, 16), "15.50")]
    KeyRate.objects.bulk_create(
        KeyRate(organization=organization, valid_from=day, rate=D(rate)) for day, rate in rates
    )
    CommonNeedsNormative.objects.bulk_create(
        CommonNeedsNormative(
            organization=organization, resource=resource_, value=D(value), valid_from=BACKDATED
        )
        for resource_, value in COMMON_NORMATIVES.items()
    )
    services = {}
    for position, (name, method, resource_, normative, tariff, ownership) in enumerate(SERVICES):
        service = Service.objects.create(
            organization=organization, name=name, method=method, resource=resource_,
            normative=D(normative) if normative else None, ownership=ownership, position=position,
        )  # fmt: skip
        services[name] = service
        if tariff is None:
            continue
        if name == "Ремонт жилья":
            Tariff.objects.create(service=service, value=D(tariff), valid_from=BACKDATED,
                                  valid_to=TARIFF_CHANGE - datetime.timedelta(days=1))  # fmt: skip
            Tariff.objects.create(service=service, value=REPAIR_AFTER_CHANGE,
                                  valid_from=TARIFF_CHANGE)  # fmt: skip
        else:
            Tariff.objects.create(service=service, value=D(tariff), valid_from=BACKDATED)
    return organization, services


def _housing(organization, size: int, rng) -> list[tuple[int, int, Decimal, str, int]]:
    """Houses, premises and accounts; returns (account, house, area, ownership, residents)."""
    houses = House.objects.bulk_create(
        House(
            organization=organization,
            address=f"ул. Бенчмарка, д. {n + 1}",
            common_property_area=COMMON_PROPERTY_AREA,
        )
        for n in range((size + HOUSE_SIZE - 1) // HOUSE_SIZE)
    )
    premises = []
    for index in range(size):
        area = D(rng.randrange(3000, 9000)) / 100
        ownership = OwnershipType.MUNICIPAL if index % 5 == 0 else OwnershipType.PRIVATE
        premises.append((houses[index // HOUSE_SIZE].pk, str(index % HOUSE_SIZE + 1), area,
                         ownership))  # fmt: skip
    insert_rows(Premise, ["house", "number", "area", "ownership"], premises)
    premise_ids = Premise.objects.filter(house__organization=organization).order_by("pk")
    residents = [rng.randint(1, 4) for _ in range(size)]
    insert_rows(
        PersonalAccount,
        ["organization", "number", "holder_name", "premise", "share", "residents", "is_open"],
        (
            (organization.pk, f"{size}{index:07d}", "Иванов И. И.", premise, 1, people, True)
            for index, (premise, people) in enumerate(
                zip(premise_ids.values_list("pk", flat=True), residents, strict=True)
            )
        ),
    )
    account_ids = PersonalAccount.objects.filter(organization=organization).order_by("pk")
    return [
        (account, house, area, ownership, people)
        for account, (house, _, area, ownership), people in zip(
            account_ids.values_list("pk", flat=True), premises, residents, strict=True
        )
    ]


def _meters(organization, accounts, services, rng, *, every: int = 2) -> tuple[int, int]:
    """Apartment meters on one account in ``every`` (every other by default), house meters in
    every house, and readings."""
    normatives = {s.resource: s.normative for s in services.values() if s.normative}
    due = datetime.date(2031, 1, 1)
    rows, uses, house_use = [], [], {}
    for index, (account, house, _, _, people) in enumerate(accounts):
        metered = index % every == 0
        for resource_, (low, high) in METER_USE.items():
            use = [D(f"{rng.uniform(low, high):.3f}") for _ in (FIRST, SECOND)]
            if metered:
                rows.append((account, None, resource_, f"ИПУ-{account}-{resource_}", due))
                uses.append((use, index % 10 != 0))
            else:
                use = [normatives[resource_] * people] * 2
            month_use = house_use.setdefault((house, resource_), [D(0), D(0)])
            for month, used in enumerate(use):
                month_use[month] += used
    houses = sorted({house for _, house, *_ in accounts})
    for house in houses:
        for resource_ in METER_USE:
            rows.append((None, house, resource_, f"ОДПУ-{house}-{resource_}", due))
    fields = ["account", "house", "resource", "serial_number", "verification_due", "place",
              "digits", "is_active"]  # fmt: skip
    insert_rows(Meter, fields, ((*row, "", 7, True) for row in rows))
    meter_ids = list(
        Meter.objects.filter(
            Q(account__organization=organization) | Q(house__organization=organization)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    readings = []

    def read(meter, value, month):
        readings.append((meter, value, month.replace(day=25), month, ReadingSource.RESIDENT, now))

    for meter, (use, read_second) in zip(meter_ids[: len(uses)], uses, strict=True):
        value = D(rng.randrange(100, 900))
        read(meter, value, BACKDATED)
        read(meter, value + use[0], FIRST)
        if read_second:  # else the second month is charged by the average
            read(meter, value + use[0] + use[1], SECOND)
    house_meters = meter_ids[len(uses) :]
    for meter, key in zip(house_meters, [(h, r) for h in houses for r in METER_USE], strict=True):
        value = D(1_000_000)
        read(meter, value, BACKDATED)
        for month, used in enumerate(house_use[key]):
            value += (used * D("1.05")).quantize(D("0.001"))  # 5 % above the apartments
            read(meter, value, (FIRST, SECOND)[month])
    fields = ["meter", "value", "taken_on", "period", "source", "created_at"]
    return len(meter_ids), insert_rows(Reading, fields, readings)


def _backdated_month(organization, accounts, services, rng) -> tuple[Period, int]:
    """A closed month before the first, charged by area and normatives, paid in the first month
    by all but one account in ten."""
    period = Period.objects.create(organization=organization, month=BACKDATED,
                                   status=PeriodStatus.CLOSED, calculated_at=timezone.now(),
                                   closed_at=timezone.now())  # fmt: skip
    tariffs = {name: D(tariff) for name, _, _, _, tariff, _ in SERVICES if tariff}
    totals = {}

    def lines():
        for account, _, area, ownership, people in accounts:
            total = D(0)
            for name, service in services.items():
                if service.method == CalculationMethod.PENALTY:
                    continue
                if service.ownership and service.ownership != ownership:
                    continue
                if service.method == CalculationMethod.AREA:
                    volume = area
                elif service.method == CalculationMethod.AREA_NORMATIVE:
                    volume = area * service.normative
                elif service.method == CalculationMethod.WASTEWATER:
                    volume = (D("4.5") + D("3.2")) * people
                else:
                    volume = service.normative * people
                charged = round_money(tariffs[name] * volume)
                total += charged
                yield (period.pk, account, service.pk, tariffs[name], volume,
                       ChargeBasis.NORMATIVE, 0, charged, 0, 0, charged)  # fmt: skip
            totals[account] = total

    written = insert_rows(Charge, CHARGE_FIELDS, lines())
    paying = ((account, total) for index, (account, total) in enumerate(totals.items())
              if index % 10 != 0)  # fmt: skip
    _payments(paying, FIRST, rng)
    return period, written


def _payments(amounts, month, rng, *, capital_repair=False) -> int:
    now = timezone.now()
    fields = ["account", "paid_on", "amount", "source", "external_id", "period", "payer_name",
              "commission", "created_at", "capital_repair"]  # fmt: skip
    suffix = "-kr" if capital_repair else ""
    rows = (
        (account, month + datetime.timedelta(days=rng.randrange(9, 18)), amount, PaymentSource.BANK,
         f"bench-{month:%Y%m}-{account}{suffix}", month, "", 0, now, capital_repair)
        for account, amount in amounts
        if amount > 0
    )  # fmt: skip
    return insert_rows(Payment, fields, rows)


def _capital_repair(organization) -> None:
    """Every house collects contributions on a special account from the first month."""
    CapitalRepairFund.objects.bulk_create(
        CapitalRepairFund(
            house=house, kind=CapitalRepairFundKind.SPECIAL_ACCOUNT, payee_name=organization.name,
            inn=organization.inn, kpp=organization.kpp, bank_name=organization.bank_name,
            bik=organization.bik, correspondent_account=organization.correspondent_account,
            settlement_account=organization.settlement_account,
        )
        for house in House.objects.filter(organization=organization)
    )  # fmt: skip
    contribution = Service.objects.create(
        organization=organization, name="Взнос на капитальный ремонт", position=20,
        method=CalculationMethod.CAPITAL_REPAIR, ownership=OwnershipType.PRIVATE,
    )  # fmt: skip
    Tariff.objects.create(service=contribution, value=D("12.40"), valid_from=FIRST)
    Service.objects.create(organization=organization, name="Пени на взносы", position=21,
                           method=CalculationMethod.CAPITAL_REPAIR_PENALTY)  # fmt: skip


def _pay_first_month(period, accounts, rng) -> int:
    """Most accounts pay the month in full in the next month, one in twenty half of it, the
    backdated month's debtors nothing."""
    charges = Charge.objects.filter(period=period)
    totals, contributions = (
        dict(
            queryset.values("account").annotate(total=Sum("total")).values_list("account", "total")
        )
        for queryset in (
            charges.exclude(service__method__in=CAPITAL_REPAIR_METHODS),
            charges.filter(service__method__in=CAPITAL_REPAIR_METHODS),
        )
    )

    def amounts(table):
        for index, (account, *_) in enumerate(accounts):
            total = round_money(table.get(account) or D(0))
            if index % 10 == 0:
                continue
            yield account, (round_money(total / 2) if index % 20 == 1 else total)

    return _payments(amounts(totals), SECOND, rng) + _payments(
        amounts(contributions), SECOND, rng, capital_repair=True
    )


def _report(name, step, size, result):
    print(
        f"  {name}: {step.seconds:.2f} s ({step.seconds / size * 100_000:.1f} s per 100 000 "
        f"accounts), {size / step.seconds:,.0f} accounts/s, "
        f"{result.lines:,} charge lines + {result.penalty_lines:,} penalty lines written, "
        f"peak memory +{step.grown_mb:,.0f} MB"
    )


def _heating_by_meter(organization) -> None:
    """Every house heated by its heat meter, read before the first month and in both."""
    houses = list(House.objects.filter(organization=organization).values_list("pk", flat=True))
    HeatingSetting.objects.bulk_create(
        HeatingSetting(house_id=house, valid_from=FIRST, method=HeatingMethod.HOUSE_METER,
                       payment=HeatingPayment.SEASON, season_months="1,2,3,4,5,6,7,8,9,10,11,12")
        for house in houses
    )  # fmt: skip
    meters = Meter.objects.bulk_create(
        Meter(house_id=house, resource=Resource.HEAT, serial_number=f"ОДПУ-{house}-heat",
              verification_due=datetime.date(2031, 1, 1), digits=8)
        for house in houses
    )  # fmt: skip
    now = timezone.now()
    Reading.objects.bulk_create(
        Reading(meter=meter, value=D(5000 + 60 * step), taken_on=month.replace(day=25),
                period=month, source=ReadingSource.STAFF, created_at=now)
        for meter in meters
        for step, month in enumerate((BACKDATED, FIRST, SECOND))
    )  # fmt: skip


QUEUE_ONLY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The month run again by the task workers, after the run in this process (PostgreSQL only):
# ``BENCH_BILLING_WORKERS=1,2`` — by one worker, then by two; empty: not at all.
WORKERS = [int(n) for n in os.environ.get("BENCH_BILLING_WORKERS", "1,2").split(",") if n]
WORKERS_TIMEOUT = 3600
POLL = 0.5  # seconds between two looks at a workers' run


def build_world(size: int, rng, *, capital_repair=CAPITAL_REPAIR, heating=HEATING_BY_METER):
    """The benchmark's organisation of ``size`` accounts, ready for the run of its first month
    (tests build a small one: tests/test_billing_parts.py). Returns the accounts, the first
    period and the figures the bench prints."""
    organization, services = _organization(size)
    accounts = _housing(organization, size, rng)
    meters, readings = _meters(organization, accounts, services, rng)
    _, backdated_lines = _backdated_month(organization, accounts, services, rng)
    if capital_repair:
        _capital_repair(organization)
    if heating:
        _heating_by_meter(organization)
    first = Period.objects.create(organization=organization, month=FIRST)
    analyze()
    return accounts, first, (meters, readings, backdated_lines)


def analyze() -> None:
    """PostgreSQL's statistics brought up to date after a bulk load, as autovacuum would in
    service (it is off on this machine's server): a plan made for empty tables can nest a loop
    over every row of a freshly loaded one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run_size(size: int) -> None:
    second = prepare_world(size)
    with Step() as step:
        result = run_billing(second)
    _report(f"run_billing {SECOND:%m.%Y}", step, size, result)
    debtors = Penalty.objects.filter(period=second).values("account").distinct().count()
    print(f"  accounts with penalties in {SECOND:%m.%Y}: {debtors:,}; "
          f"peak memory of the process: {_peak_kb() / 1024:,.0f} MB", flush=True)  # fmt: skip
    if result.problems:
        print(f"  problems: {result.problems}")
    for workers in WORKERS:
        run_by_workers(second, workers, size, step.seconds)


def prepare_world(size: int) -> Period:
    """The world of ``size`` accounts built, its first month billed in this process, closed and
    paid, each step timed and printed; the second month, open, returned."""
    rng = random.Random(size)
    print(f"{size:,} accounts, {len(SERVICES)} services", flush=True)
    started = time.perf_counter()
    accounts, first, (meters, readings, backdated_lines) = build_world(size, rng)
    print(f"  data: {time.perf_counter() - started:.1f} s ({meters:,} meters, {readings:,} "
          f"readings, a closed month of {backdated_lines:,} lines)", flush=True)  # fmt: skip
    with Step() as step:
        result = run_billing(first)
    _report(f"run_billing {FIRST:%m.%Y}", step, size, result)
    # Closing enqueues the mass issue of payment documents (receipts.tasks): a worker's job,
    # measured by `bench receipts`, so here the queue only keeps it.
    with Step() as step, override_settings(TASKS=QUEUE_ONLY):
        second = close_period(first)
    print(f"  close_period {FIRST:%m.%Y}: {step.seconds:.2f} s, "
          f"peak memory +{step.grown_mb:,.0f} MB", flush=True)  # fmt: skip
    with Step() as step:
        paid = _pay_first_month(first, accounts, rng)
        analyze()
    print(f"  payments: {paid:,} in {step.seconds:.2f} s", flush=True)
    return second


def job_finished(job):
    """When the job finished, or None."""
    return Job.objects.filter(pk=job.pk).values_list("finished_at", flat=True).first()


def run_by_workers(period, workers: int, size: int, in_process: float | None = None) -> None:
    """The month run again as staff run it: a job whose parts ``workers`` task workers share
    (``manage.py db_worker`` processes, as deploy/systemd/kabinet-worker.service starts them),
    timed from the job's queueing to its end; their CPU time and peak memory read from /proc;
    the speed compared with ``in_process``, the run's seconds in one process, if given."""
    if connection.vendor != "postgresql":
        print("  by the task workers: PostgreSQL only (the workers share its database)")
        return
    with task_workers(workers, "billing") as (processes, log):
        cpu_before = [process_cpu(process.pid) for process in processes]
        with override_settings(TASKS=DATABASE_TASKS):
            started = time.time()
            job = queue_billing_run(period)
            computed = {}  # parts computed: when each count was first seen
            # Looked at twice a second: this process and its queries share the two cores with
            # the run (at 20 a second they took some 8 s of CPU from a 110-second run). The
            # run's end is the job's own time.
            while (finished := job_finished(job)) is None:
                time.sleep(POLL)
                elapsed = time.time() - started
                if elapsed > WORKERS_TIMEOUT:
                    raise RuntimeError(f"{workers} workers: over {WORKERS_TIMEOUT} s")
                run = BillingRun.objects.filter(job=job).values("parts_done", "parts").first()
                if run and run["parts_done"] and run["parts_done"] not in computed:
                    computed[run["parts_done"]] = elapsed
        seconds = finished.timestamp() - started
        cpu = [
            process_cpu(process.pid) - before
            for process, before in zip(processes, cpu_before, strict=True)
        ]
        peaks = [status_mb("VmHWM", process.pid) for process in processes]
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        print(f"  the workers' run failed: {job.problems}; their log: {log}")
    if computed:
        last = max(computed)
        print(
            f"  by {workers}: the first part computed after {min(computed.values()):.2f} s, "
            f"{last} parts after {computed[last]:.2f} s, then the write until {seconds:.2f} s",
            flush=True,
        )
    speed = (
        ""
        if in_process is None
        else f", {in_process / seconds:.2f}× the speed of the run in one process"
    )
    print(
        f"  run {period.month:%m.%Y} by {workers} task worker{'s' if workers > 1 else ''}: "
        f"{seconds:.2f} s, {seconds / size * 100_000:.1f} s per 100 000 accounts{speed}; "
        f"workers' CPU {', '.join(f'{used:.1f}' for used in cpu)} s, "
        f"peak memory {', '.join(f'{peak:,.0f}' for peak in peaks)} MB",
        flush=True,
    )


def run() -> None:
    logging.getLogger("django.tasks").setLevel(logging.WARNING)  # each closing's mailing task
    for size in SIZES:
        run_size(size)
