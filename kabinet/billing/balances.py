"""The balances a closing stores (``AccountBalance``), summed by the database.

The figures are the ledger's (``billing/ledger.py``): the opening balance of a month is every
charge of the closed months before it (base charges, recalculations, penalties, capital repair
included) minus every payment dated before the month began; then the month's charges and the
payments dated in it; closing = opening + charged + recalculation + penalties − paid. A row is
stored for every account with a charge line in a closed month up to this one or a payment dated
before the next month.

Adding up every earlier month's lines at every closing made its cost grow with the history
(nine or ten lines per account and month). Closed periods never change, so each row keeps the
account's charges to date (``charged_to_date``) and the next closing starts from it. Payments
are summed over their whole history still, one row per account and month: a payment dated in a
closed month may be recorded after its closing (a bank's registry comes days late), corrected
or deleted, and the ledger counts it by its date — chaining the previous closing balance would
lose it for good. The full sum of the lines stays for what the stored rows cannot answer: the
first closing, a previous month closed before ``charged_to_date`` was kept, an earlier month
closed after the previous one, an account without a row or with no charges to date.

On PostgreSQL the rows are one ``INSERT … SELECT``: nothing per account passes through Python,
so the process's memory stays flat at any size (bench/bench_closing.py); SQLite, the embedded
default of small installations, reads the same sums and adds them up in Python (it adds
decimals as floats: each sum passes ``money.summed``)."""

from decimal import Decimal

from django.db import connection
from django.db.models import Q

from kabinet.billing.models import (
    PENALTY_METHODS,
    AccountBalance,
    Charge,
    Period,
    PeriodStatus,
    Service,
    refuse_closed,
)
from kabinet.bulk import insert_rows
from kabinet.housing.models import PersonalAccount
from kabinet.money import ZERO, summed
from kabinet.months import add_months
from kabinet.payments.models import Payment

BALANCE_FIELDS = ["period", "account", "opening", "charged", "recalculation", "penalties",
                  "paid", "closing", "charged_to_date"]  # fmt: skip

# Each account's sums: its month's lines, its payments and its earlier total, each summed by
# account, then together (an account with none of them gets no row; grouping each apart first
# costs PostgreSQL a fifth less CPU than one grouping of every line and payment). {history}
# defines "history_lines (account_id, total)": the account's charges of the closed months
# before this one (total NULL: no line at all).
SUMS = """
WITH {history}
SELECT account_id, SUM(history), SUM(charged), SUM(recalculation), SUM(penalties),
       SUM(paid_before), SUM(paid_now)
FROM (
    SELECT account_id, total AS history, 0 AS charged, 0 AS recalculation, 0 AS penalties,
           0 AS paid_before, 0 AS paid_now
    FROM history_lines WHERE total IS NOT NULL
    UNION ALL
    SELECT c.account_id, 0,
           SUM(CASE WHEN s.method IN %(penalty_methods)s THEN 0 ELSE c.charged END),
           SUM(c.recalculation),
           SUM(CASE WHEN s.method IN %(penalty_methods)s THEN c.charged ELSE 0 END),
           0, 0
    FROM {charge} c JOIN {service} s ON s.id = c.service_id
    WHERE c.period_id = %(period)s
    GROUP BY c.account_id
    UNION ALL
    SELECT p.account_id, 0, 0, 0, 0,
           SUM(CASE WHEN p.paid_on < %(month)s THEN p.amount ELSE 0 END),
           SUM(CASE WHEN p.paid_on >= %(month)s THEN p.amount ELSE 0 END)
    FROM {payment} p JOIN {account} a ON a.id = p.account_id
    WHERE a.organization_id = %(organization)s AND p.paid_on < %(next_month)s
    GROUP BY p.account_id
) figures
GROUP BY account_id
"""

# The closed months' lines of every account, summed.
FULL_HISTORY = """history_lines AS (
    SELECT c.account_id, SUM(c.total) AS total
    FROM {charge} c JOIN {period_table} pr ON pr.id = c.period_id
    WHERE pr.organization_id = %(organization)s AND pr.status = %(closed)s
          AND pr.month < %(month)s
    GROUP BY c.account_id
)"""

# The previous closing's charges to date; the lines of the accounts it has none for (an account
# opened since has none: one index lookup each). The accounts without are found first
# (MATERIALIZED): else PostgreSQL looks up the lines of every account before the anti-join.
CHAINED_HISTORY = """without_previous AS MATERIALIZED (
    SELECT a.id FROM {account} a
    WHERE a.organization_id = %(organization)s AND NOT EXISTS (
        SELECT 1 FROM {balance} b
        WHERE b.period_id = %(previous)s AND b.account_id = a.id AND b.charged_to_date <> 0
    )
), history_lines AS (
    SELECT account_id, charged_to_date AS total FROM {balance}
    WHERE period_id = %(previous)s AND charged_to_date <> 0
    UNION ALL
    SELECT w.id, (
        SELECT SUM(c.total) FROM {charge} c JOIN {period_table} pr ON pr.id = c.period_id
        WHERE c.account_id = w.id AND pr.organization_id = %(organization)s
              AND pr.status = %(closed)s AND pr.month < %(month)s
    )
    FROM without_previous w
)"""

INSERT = """
INSERT INTO {balance} (period_id, account_id, opening, charged, recalculation, penalties, paid,
                       closing, charged_to_date)
SELECT %(period)s, account_id, history - paid_before, charged, recalculation, penalties,
       paid_now, history - paid_before + charged + recalculation + penalties - paid_now,
       history + charged + recalculation + penalties
FROM ({sums}) AS sums (account_id, history, charged, recalculation, penalties, paid_before,
                       paid_now)
"""


def store_balances(period: Period) -> Decimal:
    """Store each account's balances for ``period`` (open, locked by the caller). Returns the
    month's total charged (with recalculations and penalties)."""
    previous = chain_start(period)
    history = FULL_HISTORY if previous is None else CHAINED_HISTORY
    methods = ", ".join(f"%(penalty_{index})s" for index in range(len(PENALTY_METHODS)))
    sums = SUMS.replace("{history}", history).replace("%(penalty_methods)s", f"({methods})")
    sums = sums.format(**_tables())
    params = _parameters(period, previous)
    refuse_closed(Period.objects.filter(pk=period.pk))  # as billing.bulk.insert_period_rows
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(INSERT.format(sums=sums, **_tables()), params)
            cursor.execute(
                "SELECT SUM(charged + recalculation + penalties) FROM {balance} "
                "WHERE period_id = %(period)s".format(**_tables()),
                params,
            )
            return summed(cursor.fetchone()[0])
        cursor.execute(sums, params)
        rows, total = [], ZERO
        for account, *figures in cursor.fetchall():
            history, charged, recalculation, penalties, paid_before, paid = map(summed, figures)
            accrued = charged + recalculation + penalties
            opening = history - paid_before
            total += accrued
            rows.append((period.pk, account, opening, charged, recalculation, penalties, paid,
                         opening + accrued - paid, history + accrued))  # fmt: skip
    insert_rows(AccountBalance, BALANCE_FIELDS, rows)
    return total


def chain_start(period: Period) -> Period | None:
    """The closed period whose stored ``charged_to_date`` the closing of ``period`` may start
    from: the latest closed month before it, if its rows keep that figure and no earlier month
    was closed after it (its lines would be missing from the figure). None: sum the lines."""
    previous = (
        Period.objects.filter(
            organization=period.organization_id,
            status=PeriodStatus.CLOSED,
            month__lt=period.month,
        )
        .order_by("-month")
        .first()
    )
    if previous is None or previous.closed_at is None:
        return None
    closed_since = Period.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=previous.closed_at),
        organization=period.organization_id,
        status=PeriodStatus.CLOSED,
        month__lt=previous.month,
    )
    if closed_since.exists():
        return None
    kept = AccountBalance.objects.filter(period=previous, charged_to_date__isnull=False)
    return previous if kept.exists() else None


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    models = {"charge": Charge, "service": Service, "payment": Payment,
              "account": PersonalAccount, "period_table": Period,
              "balance": AccountBalance}  # fmt: skip
    return {name: quote(model._meta.db_table) for name, model in models.items()}


def _parameters(period: Period, previous: Period | None) -> dict:
    day = connection.ops.adapt_datefield_value
    return {
        "period": period.pk,
        "previous": previous.pk if previous else None,
        "organization": period.organization_id,
        "month": day(period.month),
        "next_month": day(add_months(period.month, 1)),
        "closed": PeriodStatus.CLOSED.value,
        **{f"penalty_{index}": method.value for index, method in enumerate(PENALTY_METHODS)},
    }
