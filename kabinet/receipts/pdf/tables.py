"""The layout's grids as drawn in the PDF (``Grid``): numeric columns right-aligned, text
wrapped, and the font made smaller until every cell fits its column (a PDF table does not clip
its cells)."""

from reportlab.lib import colors

from kabinet.pdf_fonts import shown, text_width
from kabinet.receipts.layout import Grid as LayoutGrid
from kabinet.receipts.pdf.blocks import BOLD, GRID, REGULAR, SHADE, WIDTH, _wrap

CELL_PADDING = 2.5  # a table cell's left and right padding
TABLE_FONT, MIN_TABLE_FONT = 7.0, 6.0  # a grid's font, made smaller to fit its columns
HEADER_SMALLER = 0.5  # a grid's header is this much smaller than its cells


class Grid:
    """A grid of text cells as ``reportlab.platypus.Table`` would draw it with the style the
    receipt's tables always had (rules of 0.4 pt, shaded bold header and footer, cells
    vertically centred, numeric columns right-aligned), drawn in three operations — the shaded
    rows' rectangles, one text object for every cell, one path for every rule — instead of a
    text object and a style lookup per cell: the tables were the largest part of drawing a
    payment document. It splits between rows across pages, repeating its header (a block of
    ``page``)."""

    TOP, BOTTOM = 0.8, 1.2  # a cell's padding above and below its lines

    def __init__(self, data, widths, *, header_rows=1, footer=False, align_from=1, size=7.0,
                 left_columns=()):  # fmt: skip
        self.data, self.widths = [list(row) for row in data], list(widths)
        self.header_rows, self.footer, self.size = header_rows, footer, size
        self.align_from, self.left_columns = align_from, frozenset(left_columns)
        self.heights = [self._row_height(index) for index in range(len(self.data))]
        self.width, self.height = sum(self.widths), sum(self.heights)

    def _row_font(self, index) -> tuple[str, float]:
        if index < self.header_rows:
            return BOLD, self.size - HEADER_SMALLER
        if self.footer and index == len(self.data) - 1:
            return BOLD, self.size
        return REGULAR, self.size

    def _row_height(self, index) -> float:
        _font, size = self._row_font(index)
        lines = max(str(cell).count("\n") + 1 for cell in self.data[index])
        return lines * size * 1.2 + self.TOP + self.BOTTOM

    def _right_aligned(self, row, column) -> bool:
        return (
            row >= self.header_rows
            and column >= self.align_from
            and (column not in self.left_columns)
        )

    def split(self, room: float) -> tuple["Grid", "Grid"] | None:
        """The rows that fit ``room`` (with the header) and the rest (under the header
        again), or None where not even one row fits."""
        header = self.header_rows
        room -= sum(self.heights[:header])
        fits = header
        while fits < len(self.data) and self.heights[fits] <= room:
            room -= self.heights[fits]
            fits += 1
        if self.footer:
            fits = min(fits, len(self.data) - 2)  # the footer goes with a row at least
        if fits <= header:
            return None  # not even one row here: all of it to the next page
        options = {"header_rows": header, "align_from": self.align_from, "size": self.size,
                   "left_columns": self.left_columns}  # fmt: skip
        return (
            Grid(self.data[:fits], self.widths, footer=False, **options),
            Grid(self.data[:header] + self.data[fits:], self.widths, footer=self.footer,
                 **options),
        )  # fmt: skip

    def draw(self, canvas):
        lefts = [0.0]
        for width in self.widths:
            lefts.append(lefts[-1] + width)
        tops = [self.height]
        for height in self.heights:
            tops.append(tops[-1] - height)
        shaded = [*range(self.header_rows), *([len(self.data) - 1] if self.footer else [])]
        canvas.saveState()
        if shaded:
            canvas.setFillColor(SHADE)
            path = canvas.beginPath()
            for row in shaded:
                path.rect(0, tops[row + 1], self.width, self.heights[row])
            canvas.drawPath(path, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        text = canvas.beginText()
        for row, cells in enumerate(self.data):
            font, size = self._row_font(row)
            leading = size * 1.2
            text.setFont(font, size, leading)
            for column, cell in enumerate(cells):
                lines = str(cell).split("\n")
                # as Table's VALIGN MIDDLE: the block of lines centred between the paddings
                y = tops[row + 1] + (self.BOTTOM + self.heights[row] - self.TOP
                                     + len(lines) * leading) / 2 - size  # fmt: skip
                right = self._right_aligned(row, column)
                for line in lines:
                    if line:
                        x = (
                            lefts[column + 1] - CELL_PADDING - text_width(line, font, size)
                            if right
                            else lefts[column] + CELL_PADDING
                        )
                        text.setTextOrigin(x, y)
                        text._code.append(shown(text, line))
                    y -= leading
        canvas.drawText(text)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.4)
        rules = canvas.beginPath()
        for top in tops:
            rules.moveTo(0, top)
            rules.lineTo(self.width, top)
        for left in lefts:
            rules.moveTo(left, 0)
            rules.lineTo(left, self.height)
        canvas.drawPath(rules, stroke=1, fill=0)
        canvas.restoreState()


def _grid(data, widths, *, header_rows=1, footer=False, align_from=1, size=7.0,
          left_columns=()) -> Grid:  # fmt: skip
    return Grid(data, widths, header_rows=header_rows, footer=footer, align_from=align_from,
                size=size, left_columns=left_columns)  # fmt: skip


def _broken(text: str, room: float, font: str, size: float) -> str:
    """A numeric cell's text broken at its ordinary spaces where it is wider than ``room``
    («в т. ч. 123 456,78» → «в т. ч.» over the sum); a sum keeps its no-break spaces."""
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        current = words[0]
        for word in words[1:]:
            if text_width(f"{current} {word}", font, size) <= room:
                current = f"{current} {word}"
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return "\n".join(lines)


def fitted_cells(grid: LayoutGrid, size: float) -> tuple[list, list, list, bool]:
    """The grid's header, rows and footer as the PDF draws them at font ``size``: text
    columns wrapped, numeric ones broken at ordinary spaces; and whether every line then
    fits its column (a table does not clip a cell: a wider text runs into the next one)."""
    rooms = [WIDTH * column.width - 2 * CELL_PADDING for column in grid.columns]
    header_size = size - HEADER_SMALLER
    # a header on one line where its column has the room, else broken as the layout says
    header = [
        column.label if text_width(column.label, BOLD, header_size) <= room else column.header
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
        text_width(line, font, line_size) <= room + 0.01
        for cells, font, line_size in ((header, BOLD, header_size), *((row, REGULAR, size)
                                       for row in rows), (footer, BOLD, size))
        for text, room in zip(cells, rooms, strict=False)
        for line in text.split("\n")
    )  # fmt: skip
    return header, rows, footer, fits


def table_font(grid: LayoutGrid) -> float:
    """The grid's font size: ``TABLE_FONT``, made smaller by quarter points down to
    ``MIN_TABLE_FONT`` until every cell fits its column (a receipt with every column of the
    form and six-digit sums)."""
    return _fitted(grid)[0]


def _fitted(grid: LayoutGrid) -> tuple[float, tuple[list, list, list, bool]]:
    """``table_font`` and the cells fitted at it (fitting them is most of laying out a grid:
    done once, not again to draw them)."""
    size = TABLE_FONT
    fitted = fitted_cells(grid, size)
    while size > MIN_TABLE_FONT and not fitted[3]:
        size -= 0.25
        fitted = fitted_cells(grid, size)
    return size, fitted


def _table(grid: LayoutGrid) -> Grid:
    """A grid of the layout as drawn: numeric columns right-aligned (text ones left), long
    text wrapped, at the font that fits (``table_font``)."""
    size, (header, rows, footer, _fits) = _fitted(grid)
    widths = [WIDTH * column.width for column in grid.columns]
    data = [header, *rows, *([footer] if grid.footer else [])]
    text_columns = [index for index, column in enumerate(grid.columns) if not column.numeric]
    return _grid(data, widths, footer=bool(grid.footer), size=size, left_columns=text_columns[1:])
