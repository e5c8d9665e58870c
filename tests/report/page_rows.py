"""Read a report page as a reader sees it: its table rows (with the section and table they
are in and their cells' text), its images and anything it would load from outside."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Row:
    """One table row: its attributes, the section and the table (counted in the section) it
    is in, whether it is inside a closed `<details>`, and each cell's text."""

    attributes: dict[str, str]
    section: str
    table: int
    folded: bool
    cells: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.images: list[str] = []
        self.references: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self._section = ""
        self._tables: dict[str, int] = {}
        self._details = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        if tag == "section":
            self._section = attributes.get("id", "")
        elif tag == "table":
            self._tables[self._section] = self._tables.get(self._section, -1) + 1
        elif tag == "details":
            self._details += 1
        elif tag == "tr":
            table = self._tables.get(self._section, 0)
            self.rows.append(Row(attributes, self._section, table, self._details > 0))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        elif tag == "span":  # the page's spans in cells are blocks (an interval, a status)
            self.handle_data(" ")
        elif tag == "img":
            self.images.append(attributes["src"])
        for key in ("src", "href"):
            if key in attributes and not attributes[key].startswith(("data:", "#")):
                self.references.append(attributes[key])
        self.scripts += tag == "script"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "details":
            self._details -= 1

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)


@dataclass
class Page:
    """A parsed report page."""

    rows: list[Row]
    images: list[str]
    references: list[str]
    scripts: int
    text: str

    def kpi_rows(self, section: str, table: int = 0) -> dict[str, list[str]]:
        """The cells of each row with a `data-kpi` in one table of a section, by KPI."""
        return {
            row.attributes["data-kpi"]: row.cells
            for row in self.rows
            if row.section == section and row.table == table and "data-kpi" in row.attributes
        }


def read_page(path: Path) -> Page:
    """Parse a report page."""
    reader = _Reader()
    reader.feed(Path(path).read_text(encoding="utf-8"))
    text = " ".join("".join(reader.text).split())
    return Page(reader.rows, reader.images, reader.references, reader.scripts, text)


_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(?:e[-+]?\d+)?")


def shown_number(text: str) -> tuple[float, float]:
    """The number a cell shows ("-10.6 points", "99.8%", "4,561") in the KPI's own unit
    (shares as fractions) and half a unit of its last shown digit: how far the value it
    rounds can be from it."""
    match = _NUMBER.search(text)
    assert match, f"no number in {text!r}"
    digits = Decimal(match.group().replace(",", ""))
    scale = Decimal("0.01") if ("%" in text or "points" in text) else Decimal(1)
    half = Decimal(5).scaleb(digits.as_tuple().exponent - 1) * scale
    return float(digits * scale), float(half)


def interval_bounds(text: str) -> tuple[str, str]:
    """The two bounds of "LOW to HIGH[ unit]", each with the unit ("-1.1 to +7.1 points")."""
    low, high = text.split(" to ")
    unit = high.partition(" ")[2]
    return (f"{low} {unit}" if unit else low), high
