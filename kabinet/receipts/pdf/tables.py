"""The layout's grids as ReportLab tables: numeric columns right-aligned, text wrapped, and the
font made smaller until every cell fits its column (a PDF table does not clip its cells)."""

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Table, TableStyle

from kabinet.receipts.layout import Grid
from kabinet.receipts.pdf.flowables import BOLD, GRID, REGULAR, SHADE, WIDTH, _wrap

CELL_PADDING = 2.5  # a table cell's left and right padding
TABLE_FONT, MIN_TABLE_FONT = 7.0, 6.0  # a grid's font, made smaller to fit its columns
HEADER_SMALLER = 0.5  # a grid's header is this much smaller than its cells


def _grid(data, widths, *, header_rows=1, footer=False, align_from=1, size=7.0) -> Table:
    table = Table(data, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, size),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (align_from, header_rows), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 0.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if header_rows:
        style += [
            ("FONT", (0, 0), (-1, header_rows - 1), BOLD, size - HEADER_SMALLER),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ]
    if footer:
        style += [
            ("FONT", (0, -1), (-1, -1), BOLD, size),
            ("BACKGROUND", (0, -1), (-1, -1), SHADE),
        ]
    table.setStyle(TableStyle(style))
    return table


def _broken(text: str, room: float, font: str, size: float) -> str:
    """A numeric cell's text broken at its ordinary spaces where it is wider than ``room``
    («в т. ч. 123 456,78» → «в т. ч.» over the sum); a sum keeps its no-break spaces."""
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        current = words[0]
        for word in words[1:]:
            if pdfmetrics.stringWidth(f"{current} {word}", font, size) <= room:
                current = f"{current} {word}"
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return "\n".join(lines)


def fitted_cells(grid: Grid, size: float) -> tuple[list, list, list, bool]:
    """The grid's header, rows and footer as the PDF draws them at font ``size``: text
    columns wrapped, numeric ones broken at ordinary spaces; and whether every line then
    fits its column (a table does not clip a cell: a wider text runs into the next one)."""
    rooms = [WIDTH * column.width - 2 * CELL_PADDING for column in grid.columns]
    header_size = size - HEADER_SMALLER
    # a header on one line where its column has the room, else broken as the layout says
    header = [
        column.label
        if pdfmetrics.stringWidth(column.label, BOLD, header_size) <= room
        else column.header
        for column, room in zip(grid.columns, rooms, strict=True)
    ]

    def cell(text, column, room, font):
        if column.wrap:
            return "\n".join(_wrap(line, room, font, size) for line in text.split("\n"))
        return _broken(text, room, font, size) if column.numeric else text

    rows = [
        [cell(text, column, room, REGULAR)
         for text, column, room in zip(row, grid.columns, rooms, strict=True)]
        for row in grid.rows
    ]  # fmt: skip
    footer = (
        [
            cell(text, column, room, BOLD)
            for text, column, room in zip(grid.footer, grid.columns, rooms, strict=True)
        ]
        if grid.footer
        else []
    )
    fits = all(
        pdfmetrics.stringWidth(line, font, line_size) <= room + 0.01
        for cells, font, line_size in ((header, BOLD, header_size), *((row, REGULAR, size)
                                       for row in rows), (footer, BOLD, size))
        for text, room in zip(cells, rooms, strict=False)
        for line in text.split("\n")
    )  # fmt: skip
    return header, rows, footer, fits


def table_font(grid: Grid) -> float:
    """The grid's font size: ``TABLE_FONT``, made smaller by quarter points down to
    ``MIN_TABLE_FONT`` until every cell fits its column (a receipt with every column of the
    form and six-digit sums)."""
    size = TABLE_FONT
    while size > MIN_TABLE_FONT and not fitted_cells(grid, size)[3]:
        size -= 0.25
    return size


def _table(grid: Grid) -> Table:
    """A grid of the layout as a table: numeric columns right-aligned, long text wrapped, at
    the font that fits (``table_font``)."""
    size = table_font(grid)
    header, rows, footer, _fits = fitted_cells(grid, size)
    widths = [WIDTH * column.width for column in grid.columns]
    data = [header, *rows, *([footer] if grid.footer else [])]
    table = _grid(data, widths, footer=bool(grid.footer), size=size)
    text_columns = [index for index, column in enumerate(grid.columns) if not column.numeric]
    table.setStyle(  # _grid right-aligns from the second column; the text ones go left
        TableStyle([("ALIGN", (index, 1), (index, -1), "LEFT") for index in text_columns[1:]])
    )
    return table
