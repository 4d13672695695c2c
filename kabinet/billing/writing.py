"""How a billing run's result is written: its charge lines (COPY text formatted here, one
line per account and service of the month), its penalty lines and the houses' common-house
figures, replacing what the period had (``billing.run.run_billing`` calls it inside the run's
transaction, with the period locked)."""

from collections.abc import Iterable, Iterator

from kabinet.billing.bulk import insert_period_rows
from kabinet.billing.lines import CHARGE_FIELDS, Calculation, Line
from kabinet.billing.models import Charge, HouseFigures, Penalty, Period, refuse_closed
from kabinet.billing.partitions import copy_to_stage, create_stage, partitioned, switch_in
from kabinet.bulk import copy_text, insert_texts, rows_text

# What the run writes besides (the other writers — imports, benchmarks — leave the database's
# defaults: no coefficient).
RUN_CHARGE_FIELDS = [
    *CHARGE_FIELDS, "coefficient", "coefficient_charged", "tariff_spans", "inputs",
]  # fmt: skip
CHARGE_COLUMNS = [Charge._meta.get_field(name).column for name in RUN_CHARGE_FIELDS]
PENALTY_FIELDS = [
    "period", "account", "debt_month", "due_date", "date_from", "date_to", "debt", "rate",
    "fraction", "rule", "capital_repair", "amount",
]  # fmt: skip


def start_lines(period: Period, stage: str | None = None) -> None:
    """The period's lines made ready for a run's: its penalty lines and house figures deleted;
    its charge lines deleted too, or, where the lines are partitioned by period, left for the
    switch to replace and ``stage`` created for the new ones (``billing.partitions``) — unless
    it is None, for a stage of a run shared by the workers, created when the run started."""
    # Nothing refers to charges or penalties and no signal listens to their deletion, so each
    # ``delete()`` is one DELETE statement after the queryset's check that the period is open
    # (tests/test_billing_run.py holds both).
    if not partitioned():
        Charge.objects.filter(period=period).delete()
    elif stage is not None:
        create_stage(stage, period.pk)
    Penalty.objects.filter(period=period).delete()
    HouseFigures.objects.filter(period=period).delete()


def write_lines(period: Period, result: Calculation, stage: str | None) -> None:
    """``result``'s charge lines (into ``stage`` where the lines are partitioned), penalty
    lines and house figures added to the period's."""
    charges = result.lines.values()
    if stage is None:
        insert_period_rows(period, Charge, RUN_CHARGE_FIELDS, charges, **_charge_format(period.pk))
    else:
        stage_lines(period.pk, stage, result)
    insert_period_rows(period, Penalty, PENALTY_FIELDS, _penalty_rows(period.pk, result))
    for figures in result.house_figures:
        figures.period = period
    HouseFigures.objects.bulk_create(result.house_figures)


def finish_lines(period: Period, stage: str | None) -> None:
    """The stage switched in as the period's lines (nothing to do without one: the lines went
    to ``billing_charge`` itself)."""
    if stage is not None:
        refuse_closed(Period.objects.filter(pk=period.pk))
        switch_in(stage, period.pk)


def stage_lines(period_id: int, stage: str, result: Calculation) -> None:
    """``result``'s charge lines copied into ``stage`` (``billing.partitions``)."""
    copy_line = _charge_format(period_id)["copy_line"]
    copy_to_stage(stage, CHARGE_COLUMNS, map(copy_line, result.lines.values()))


def staged_lines(period_id: int, result: Calculation, *, charges: bool = True) -> tuple[str, str]:
    """``result``'s charge and penalty lines as texts that ``write_staged`` writes later, in
    another transaction (a part of a run computed by a worker: ``billing.parts``); the charge
    lines' text empty without ``charges`` (they went to the run's stage)."""
    return (
        rows_text(result.lines.values(), **_charge_format(period_id)) if charges else "",
        rows_text(_penalty_rows(period_id, result)),
    )


def write_staged(period: Period, charges: Iterable[str], penalties: Iterable[str]) -> None:
    """The charge and penalty lines of ``staged_lines``' texts added to the period's."""
    refuse_closed(Period.objects.filter(pk=period.pk))
    insert_texts(Charge, RUN_CHARGE_FIELDS, (text for text in charges if text))
    insert_texts(Penalty, PENALTY_FIELDS, penalties)


def _charge_format(period_id: int) -> dict:
    """How the charge lines are written: ``insert_rows``' options ``row`` and ``copy_line``."""

    def row(line: Line) -> tuple:
        return (
            period_id, line.account, line.service, line.tariff, line.volume, line.basis,
            line.common_volume, line.charged, line.common_charged, line.recalculation,
            line.charged + line.recalculation,  # ``Line.total``, without a property call
            line.coefficient, line.coefficient_charged,
            spans_json(line.split) if line.split else None,
            line.inputs,
        )  # fmt: skip

    def copy_line(line: Line) -> str:
        # ``row`` as COPY's text: every value a number, a date, a basis from ChargeBasis or
        # ``spans_json``'s text, none of them with a character COPY escapes; the inputs' JSON
        # text may have one, and then a backslash, which JSON writes before any other (a tab or
        # a line break in a meter's number is ``\t``, ``\n``): looked for alone, for a fraction
        # of ``copy_text``'s search (38 against 161 ns for an area's inputs, 48 against 867 ns
        # for a meter's). Each value as ``!s``: a Decimal's ``format`` (an f-string's default)
        # is the same text at twice the cost of its ``str``.
        coefficient = r"\N" if line.coefficient is None else line.coefficient
        spans = spans_json(line.split) if line.split else r"\N"
        inputs = line.inputs
        if inputs is None:
            inputs = r"\N"
        elif "\\" in inputs:
            inputs = copy_text(inputs)
        charged = str(line.charged)
        total = str(line.charged + line.recalculation) if line.recalculation else charged
        return (
            f"{period_id}\t{line.account}\t{line.service}\t{line.tariff!s}\t{line.volume!s}\t"
            f"{line.basis}\t{line.common_volume!s}\t{charged}\t{line.common_charged!s}\t"
            f"{line.recalculation!s}\t{total}\t{coefficient!s}\t"
            f"{line.coefficient_charged!s}\t{spans}\t{inputs}"
        )

    return {"row": row, "copy_line": copy_line}


def _penalty_rows(period_id: int, result: Calculation) -> Iterator[tuple]:
    for stream, capital_repair in (
        (result.penalties, False),
        (result.capital_repair_penalties, True),
    ):
        for account, lines in stream.items():
            for line in lines:
                yield (
                    period_id, account, line.debt_month, line.due, line.first, line.last,
                    line.debt, line.rate, line.fraction, line.rule, capital_repair, line.amount,
                )  # fmt: skip


def spans_json(split) -> str | None:
    """``Charge.tariff_spans``: the line's parts by tariff, as the receipt shows them (written
    by hand: a line per account of the month's run, several times faster than ``json.dumps``)."""
    if not split:
        return None
    parts = ", ".join(
        f'{{"tariff": "{part.tariff!s}", "from": "{part.first!s}", "to": "{part.last!s}", '
        f'"days": {part.days}, "volume": "{part.volume!s}", "amount": "{part.amount!s}"}}'
        for part in split
    )
    return f"[{parts}]"
