"""The payment document's own layout (``receipts.pdf.page``): blocks placed down the page from
the top, a new page where the next one does not fit, a grid split between rows, a heading
never left at the bottom of a page away from what follows it."""

from kabinet.receipts.pdf.blocks import MARGIN, WIDTH
from kabinet.receipts.pdf.page import TOP, Gap, draw_story
from kabinet.receipts.pdf.tables import Grid


class Canvas:
    """Records which page each block is drawn on, and where."""

    def __init__(self):
        self.page, self.origin, self.drawn = 1, (0, 0), []

    def showPage(self):  # ReportLab's names
        self.page += 1

    def saveState(self):
        pass

    def restoreState(self):
        self.origin = (0, 0)

    def translate(self, x, y):
        self.origin = (x, y)


class Block:
    def __init__(self, name, height, keep_with_next=False):
        self.name, self.height, self.width = name, height, WIDTH
        self.keep_with_next = keep_with_next

    def draw(self, canvas):
        canvas.drawn.append((self.name, canvas.page, canvas.origin[1]))


def recorded_grid(self, canvas):
    canvas.drawn.append(([row[0] for row in self.data], canvas.page, canvas.origin[1]))


ROOM = TOP - MARGIN


def drawn(story):
    canvas = Canvas()
    draw_story(canvas, story, lambda canvas: None)
    return canvas.drawn


def test_blocks_go_down_the_page_from_the_top_and_on_to_a_new_one_where_they_do_not_fit():
    assert drawn([Block("a", 100), Gap(4), Block("b", ROOM - 110), Block("c", 20)]) == [
        ("a", 1, TOP - 100),
        ("b", 1, TOP - 104 - (ROOM - 110)),
        ("c", 2, TOP - 20),
    ]


def test_a_heading_goes_to_the_next_page_with_what_follows_it():
    story = [Block("a", ROOM - 30), Block("heading", 20, keep_with_next=True), Block("b", 20)]

    assert [(name, page) for name, page, _y in drawn(story)] == [
        ("a", 1),
        ("heading", 2),
        ("b", 2),
    ]


def test_a_grid_longer_than_the_room_left_goes_on_in_the_next_page_under_its_header(
    monkeypatch,
):
    monkeypatch.setattr(Grid, "draw", recorded_grid)
    rows = [["Услуга"], *([f"№ {n}"] for n in range(1, 101)), ["Итого"]]
    grid = Grid(rows, [WIDTH], footer=True)

    parts = drawn([Block("a", ROOM - 100), grid])

    assert [page for _rows, page, _y in parts[1:]] == [1, 2, 3]  # the room left, then on
    assert all(rows[0] == "Услуга" for rows, _page, _y in parts[1:])  # the header repeated
    names = [name for rows, _page, _y in parts[1:] for name in rows[1:]]
    assert names == [f"№ {n}" for n in range(1, 101)] + ["Итого"]  # every row once, in order
    assert all(y >= MARGIN for _rows, _page, y in parts)  # none below the bottom margin
