"""A period's charges at a glance, for staff to check a run before closing the period: totals
by service against the previous month, and the accounts that look wrong.

Everything is summed by the database (a few GROUP BY queries, whatever the number of
accounts). The accounts whose totals look wrong stream from one grouping and are counted as
they come; only the first of each kind are kept to be listed.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain

from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from kabinet.billing.models import Charge, Period, Service
from kabinet.housing.models import PersonalAccount
from kabinet.money import ZERO, summed
from kabinet.months import add_months

GROWTH_FACTOR = 3  # a month more than three times the previous one is worth a look
ANOMALIES_SHOWN = 50


class Anomaly:
    """What may be wrong with an account's month, most serious first."""

    NEGATIVE = "negative"
    MISSING = "missing"
    GROWTH = "growth"
    LABELS = {
        NEGATIVE: "итог за месяц меньше нуля",
        MISSING: "в прошлом месяце начислено, в этом — нет",
        GROWTH: f"больше чем в {GROWTH_FACTOR} раза выше прошлого месяца",
    }
    ORDER = (NEGATIVE, MISSING, GROWTH)


@dataclass(frozen=True)
class Comparison:
    """A figure of this month against the previous one."""

    current: Decimal
    previous: Decimal | None  # None: no previous period to compare with

    @property
    def difference(self) -> Decimal | None:
        return None if self.previous is None else self.current - self.previous

    @property
    def percent(self) -> Decimal | None:
        """The change in per cent of the previous month (None when that was zero)."""
        if not self.previous:
            return None
        return (100 * self.difference / abs(self.previous)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class ServiceLine:
    name: str
    totals: Comparison


@dataclass(frozen=True)
class AccountAnomaly:
    account_id: int
    number: str
    kind: str
    current: Decimal | None
    previous: Decimal | None

    @property
    def label(self) -> str:
        return Anomaly.LABELS[self.kind]


@dataclass
class RunSummary:
    period: Period
    previous: Period | None
    accounts: int = 0  # accounts charged this month
    services: list[ServiceLine] = field(default_factory=list)
    total: Comparison = Comparison(ZERO, None)
    anomalies: list[AccountAnomaly] = field(default_factory=list)  # the first ANOMALIES_SHOWN
    anomaly_counts: dict[str, int] = field(default_factory=dict)  # kind → all accounts

    @property
    def anomaly_count(self) -> int:
        return sum(self.anomaly_counts.values())

    @property
    def anomaly_labels(self) -> list[tuple[str, int]]:
        return [(Anomaly.LABELS[kind], self.anomaly_counts[kind]) for kind in Anomaly.ORDER]


def run_summary(period: Period) -> RunSummary:
    """``period``'s charges by service beside the previous month's, and the anomalies."""
    previous = Period.objects.filter(
        organization=period.organization_id, month=add_months(period.month, -1)
    ).first()
    summary = RunSummary(period=period, previous=previous)
    summary.services = _service_lines(period, previous)
    summary.total = Comparison(
        sum((line.totals.current for line in summary.services), ZERO),
        None
        if previous is None
        else sum((line.totals.previous for line in summary.services), ZERO),
    )
    summary.accounts = Charge.objects.filter(period=period).values("account").distinct().count()
    shown = {kind: [] for kind in Anomaly.ORDER}
    summary.anomaly_counts = dict.fromkeys(Anomaly.ORDER, 0)
    found = _totals_anomalies(period, previous)
    if previous is not None:
        found = chain(found, _missing(period, previous))
    for kind, row in found:
        summary.anomaly_counts[kind] += 1
        if len(shown[kind]) < ANOMALIES_SHOWN:
            shown[kind].append(row)
    summary.anomalies = _anomalies(shown)
    return summary


def _service_lines(period, previous) -> list[ServiceLine]:
    sums = {"current": Sum("total", filter=Q(period=period))}
    if previous is not None:
        sums["previous"] = Sum("total", filter=Q(period=previous))
    rows = {
        row["service"]: row
        for row in Charge.objects.filter(period__in=[p for p in (period, previous) if p])
        .values("service")
        .annotate(**sums)
        .order_by()
    }
    services = Service.objects.filter(pk__in=rows).order_by("position", "name")
    return [
        ServiceLine(
            service.name,
            Comparison(
                summed(rows[service.pk]["current"]),
                None if previous is None else summed(rows[service.pk]["previous"]),
            ),
        )
        for service in services
    ]


def _totals_anomalies(period, previous):
    """(kind, (account, this month's total, the previous month's)) for every account whose
    totals look wrong: below zero, or more than ``GROWTH_FACTOR`` times the previous month.
    One grouping of the two months' lines; the rows come as the database finds them."""
    this_month = Q(period=period)
    sums = {
        "current": Sum("total", filter=this_month),
        "current_lines": Count("pk", filter=this_month),
    }
    wrong = Q(current_lines__gt=0, current__lt=0)
    if previous is not None:
        sums["previous"] = Sum("total", filter=Q(period=previous))
        wrong |= Q(previous__gt=0, current__gt=F("previous") * GROWTH_FACTOR)
    rows = (
        Charge.objects.filter(period__in=[p for p in (period, previous) if p])
        .values("account")
        .annotate(**sums)
        .filter(wrong)
        .order_by()
        .values_list("account", *sums.keys())
    )
    for account, current, _, *earlier in rows.iterator(chunk_size=2000):
        current = summed(current)
        before = summed(earlier[0]) if earlier and earlier[0] is not None else None
        yield (Anomaly.NEGATIVE if current < 0 else Anomaly.GROWTH), (account, current, before)


def _missing(period, previous):
    """(kind, (account, None, the previous month's total)) for accounts charged in the
    previous month but not in this one, unless closed before this month began."""
    charged_now = Charge.objects.filter(period=period, account=OuterRef("account"))
    rows = (
        Charge.objects.filter(period=previous)
        .filter(~Exists(charged_now))  # an anti-join: PostgreSQL's NOT IN may rescan per row
        .exclude(account__closed_on__lt=period.month)
        .values("account")
        .annotate(total=Sum("total"))
        .order_by()
        .values_list("account", "total")
    )
    for account, total in rows.iterator(chunk_size=2000):
        yield Anomaly.MISSING, (account, None, summed(total))


def _anomalies(shown: dict[str, list[tuple]]) -> list[AccountAnomaly]:
    """The first ``ANOMALIES_SHOWN`` of all kinds, the most serious kinds first."""
    chosen = [(kind, row) for kind in Anomaly.ORDER for row in sorted(shown[kind])]
    chosen = chosen[:ANOMALIES_SHOWN]
    numbers = dict(
        PersonalAccount.objects.filter(pk__in=[row[0] for _, row in chosen])
        .order_by()
        .values_list("pk", "number")
    )
    return [
        AccountAnomaly(
            account_id=account,
            number=numbers[account],
            kind=kind,
            current=current,
            previous=previous,
        )
        for kind, (account, current, previous) in chosen
    ]
