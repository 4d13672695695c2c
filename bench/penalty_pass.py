"""The penalty pass alone, without a database: ``penalty_lines`` of N debtors (1–12 unpaid
months each, 0–2 payments in the month) over September 2026 under the shipped law, by spans of
days and day by day (``_lines_day_by_day``), checking both give the same lines:
``python -m bench.penalty_pass [N]`` (20 000 by default). Every debtor here owes, so this is
the pass's worst case: in the billing run most accounts leave at ``penalty_lines``' first test.
"""

import datetime
import os
import random
import sys
import time
from decimal import Decimal
from unittest.mock import patch

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
django.setup()

from kabinet.billing import penalty_calculation as pcalc  # noqa: E402 (the models need setup)
from kabinet.billing.shipped_law import penalty_law  # noqa: E402
from kabinet.months import add_months  # noqa: E402

FIRST, LAST = datetime.date(2026, 9, 1), datetime.date(2026, 9, 30)


def debtors(count: int) -> list[tuple]:
    chosen = random.Random(48)
    cases = []
    for _ in range(count):
        debts = [
            pcalc.Debt(add_months(FIRST, -k), add_months(FIRST, 1 - k).replace(day=10),
                       Decimal(chosen.randint(100_000, 900_000)) / 100)
            for k in range(1, chosen.randint(1, 12) + 1)
        ]  # fmt: skip
        payments = [
            (FIRST + datetime.timedelta(days=chosen.randint(0, 29)),
             Decimal(chosen.randint(1_000, 300_000)) / 100)
            for _ in range(chosen.randint(0, 2))
        ]  # fmt: skip
        cases.append((debts, Decimal(chosen.randint(0, 200_000)) / 100, payments))
    return cases


def timed(cases: list[tuple]) -> tuple[list, float, float]:
    law = penalty_law()  # a fresh law: its memo starts empty
    wall, cpu = time.perf_counter(), time.process_time()
    lines = [
        pcalc.penalty_lines(debts, paid, pays, FIRST, LAST, law) for debts, paid, pays in cases
    ]
    return lines, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    cases = debtors(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    spans, spans_cpu, spans_wall = timed(cases)
    with patch.object(pcalc, "_lateness_changes", lambda fraction_of, law: None):
        days, days_cpu, days_wall = timed(cases)
    assert spans == days, "the spans' lines differ from the days'"
    print(f"{len(cases):,} debtors, {sum(map(len, spans)):,} lines, the same both ways")
    print(f"  day by day: CPU {days_cpu:.2f} s, wall {days_wall:.2f} s")
    print(f"  by spans:   CPU {spans_cpu:.2f} s, wall {spans_wall:.2f} s")


if __name__ == "__main__":
    main()
