"""Who a month's run bills and in what parts: the accounts open on some day of the month,
read as rows (``AccountRow``), and the organisation's houses grouped into parts of whole houses
(the common-house share needs each house whole) that ``run.run_billing`` computes one after
another and the task workers share (``billing.parts``)."""

from typing import NamedTuple

from django.db import connection
from django.db.models import BooleanField, Count, Q
from django.db.models.expressions import RawSQL

from kabinet.billing import calculation as calc
from kabinet.billing.lines import AccountRow
from kabinet.billing.models import Period
from kabinet.housing.models import PersonalAccount

# Accounts in a part of a run: enough for the per-part queries (a dozen) and set-up to cost
# little beside the part's lines (10 000 take 6 % less of a worker's Python per account than
# 5 000: bench/README.md «3.12.2026 (evening)»), few enough that a part's lines take some tens
# of MB (a worker's peak: 238 MB, against 198 MB at 5 000).
PART_ACCOUNTS = 10000


class Part(NamedTuple):
    houses: list[int]
    accounts: int


def plan_parts(period: Period, size: int | None = None) -> list[Part]:
    """The houses of ``period``'s run in parts of about ``size`` accounts (a larger house is a
    part of its own: the common-house share needs each house whole)."""
    size = size or PART_ACCOUNTS
    counts = (
        billed_accounts(period.organization, period.month, calc.last_day(period.month))
        .values("premise__house")
        .annotate(accounts=Count("pk"))
        .order_by("premise__house")
        .values_list("premise__house", "accounts")
    )
    parts, houses, in_part = [], [], 0
    for house, accounts in counts:
        if houses and in_part + accounts > size:
            parts.append(Part(houses, in_part))
            houses, in_part = [], 0
        houses.append(house)
        in_part += accounts
    if houses:
        parts.append(Part(houses, in_part))
    return parts


def billed_accounts(organization, first, last):
    """The accounts a month's run bills: open in some day of ``first``–``last``."""
    return (
        PersonalAccount.objects.filter(organization=organization)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=last))
        .filter(Q(is_open=True) | Q(closed_on__gte=first))
    )


ACCOUNT_ROW = (
    "pk", "premise__house", "premise", "premise__area", "premise__ownership", "share",
    "residents", "owners", "opened_on", "closed_on",
)  # fmt: skip


def accounts_of(organization, first, last, account_ids) -> list[AccountRow]:
    queryset = billed_accounts(organization, first, last)
    if account_ids is not None:
        queryset = queryset.filter(pk__in=account_ids)
    return [AccountRow(*row) for row in queryset.order_by("pk").values_list(*ACCOUNT_ROW)]


def house_accounts(organization, houses, first, last) -> tuple[list[AccountRow], list[int]]:
    """The billed accounts of ``houses`` (``billed_accounts``' test, here in Python) and the
    ids of all their accounts, in one query. The houses go as an array (``ids_in``): as a
    list, the planner scanned every account of the organisation for each part (a parallel scan
    of a million rows, a quarter of a second and three processes a part, where the premises'
    and accounts' indexes take 15 ms: bench/README.md «3.12.2026»). In the accounts' order
    by number, without Meta's, which joins the organisation for its name."""
    billed, everyone = [], []
    rows = PersonalAccount.objects.filter(
        organization=organization, premise__house__in=ids_in(houses)
    ).order_by("number")
    for *row, is_open in rows.values_list(*ACCOUNT_ROW, "is_open"):
        account = AccountRow(*row)
        everyone.append(account.pk)
        opened, closed = account.opened_on, account.closed_on
        if (opened is None or opened <= last) and (
            is_open or (closed is not None and closed >= first)
        ):
            billed.append(account)
    return billed, everyone


def ids_in(ids: list[int]):
    """``ids`` as the right side of an ``__in`` lookup: on PostgreSQL one array parameter
    (``unnest``), which the planner joins by the index; Django's list becomes a parameter
    per id, and thousands of them cost more to build and parse than the query itself. The
    array goes as its text, joined once: a part's dozen queries each had psycopg dump the
    list again, id by id (3 ms a query at 5 000 ids, a sixth of a part's Python)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (_array(ids),))
    return ids


def _array(ids: list[int]) -> str:
    """``ids`` as PostgreSQL's text of an array, which psycopg sends as it is."""
    return "{" + ",".join(map(str, ids)) + "}"


def among(model, field: str, ids: list[int]):
    """A filter of ``model``'s rows whose ``field`` is one of ``ids``. On PostgreSQL ``= ANY``
    of one array: the index is scanned once, in the array's order, where ``IN (SELECT
    unnest(…))`` (``ids_in``) joins the ids to it one by one. For a part's meters by their
    accounts and readings by their meters that is 18 → 5 ms and 35 → 10 ms at 5 000 accounts;
    for the debtors' balances it is slower (17 → 110 ms: the planner leaves the index), so each
    query has the form measured for it (bench/README.md «3.12.2026 (evening)»). Elsewhere
    ``__in`` the list."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
    return RawSQL(f"{column} = ANY(%s::bigint[])", (_array(ids),), output_field=BooleanField())


def ids_read(queryset, field: str):
    """The ids in ``field`` of ``queryset``'s rows, as the right side of an ``__in`` lookup
    that several queries share: on PostgreSQL read once and passed as one array (``ids_in``),
    where a subquery would be run again inside each of them (the penalties' debtors: 25 ms a
    query at 5 000 accounts); elsewhere the subquery (SQLite limits a query's parameters)."""
    if connection.vendor == "postgresql":
        return ids_in(list(queryset.values_list(field, flat=True)))
    return queryset.values(field)
