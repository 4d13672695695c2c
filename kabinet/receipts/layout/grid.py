"""The payment document's tables as plain text: a section's grids of columns and rows, and a
second payee's block; the print page and the PDF both draw them."""

from dataclasses import dataclass

from kabinet.formats import format_money, format_quantity, format_reading


@dataclass(frozen=True)
class Column:
    # "\n" breaks the PDF's header (the page shows a space); "-\n", a word (the page joins it)
    header: str
    width: float  # share of the page width in the PDF
    numeric: bool = True  # right-aligned
    wrap: bool = False  # long text wraps in the PDF cell

    @property
    def label(self) -> str:
        return self.header.replace("-\n", "").replace("\n", " ")


@dataclass(frozen=True)
class Grid:
    caption: str  # "" when the section's title says it all
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: tuple[str, ...] = ()

    @property
    def labelled_rows(self) -> list[list[tuple[Column, str]]]:
        """Each row's cells with their columns (the page labels each cell on a phone)."""
        return [list(zip(self.columns, row, strict=True)) for row in self.rows]

    @property
    def labelled_footer(self) -> list[tuple[Column, str]]:
        return list(zip(self.columns, self.footer, strict=True))


@dataclass(frozen=True)
class PaymentBlock:
    """A second payee inside a section: its requisites, money summary and QR code."""

    title: str
    details: tuple[tuple[str, str], ...]  # (label, value); empty values are left out
    summary: tuple[tuple[str, str], ...]  # the last row is «Итого к оплате»
    qr_payload: str | None
    to_pay: str
    pay_by: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    grids: tuple[Grid, ...]
    notes: tuple[str, ...] = ()
    payment: PaymentBlock | None = None


def money_or_dash(value) -> str:
    return format_money(value) if value else "—"


def reading_or_dash(value) -> str:
    """Volumes with the meter's three places, as everywhere people read them (issue 17): a
    common-house share of ``0.633283`` is ``0,633``; the billing keeps six for its sums."""
    return format_reading(value) if value else "—"


def quantity_or_dash(value) -> str:
    return format_quantity(value) if value else "—"


def money_summary(
    *, opening, charged, recalculation, penalties, paid, to_pay, penalties_label: str = "Пени"
) -> tuple[tuple[str, str], ...]:
    """A payee's money summary in the order of its sum — the debt at the start, what the month
    adds, what was paid, what is left — the order the print page's summary follows too
    (portal/charges/summary.html; tests/test_receipt_summary.py compares them)."""
    return (
        ("Задолженность (+) / переплата (−) на начало периода", format_money(opening)),
        ("Начислено за период", format_money(charged)),
        ("Перерасчёты", format_money(recalculation)),
        (penalties_label, format_money(penalties)),
        ("Оплачено в периоде", format_money(paid)),
        ("Итого к оплате", format_money(to_pay)),
    )


def scaled(columns: list[Column]) -> tuple[Column, ...]:
    """The columns' widths stretched to the page when some are left out."""
    total = sum(column.width for column in columns)
    return tuple(
        Column(column.header, column.width / total, column.numeric, column.wrap)
        for column in columns
    )
