"""A report's table as the page shows it and as its CSV download writes it: the same rows of the
same text, so the file holds exactly the figures on the screen.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return: a facility, a class title or an override note is free text) get a leading quote, as the
audit trail's export does.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.periods import Period

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DASH = "–"  # a share of nothing, a time nobody waited


def defused(cell: str) -> str:
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    link: str = ""  # where the first cell leads (picks that subject), if anywhere
    total: bool = False  # a total or subtotal: set apart on the page
    selected: bool = False


@dataclass(frozen=True)
class Table:
    key: str  # what `?csv=` asks for
    title: str
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    numeric_from: int = 1  # columns from this one hold figures (right-aligned)…
    numeric_until: int | None = None  # …up to this one (excluded); to the last without it
    note: str = ""
    wide: bool = False  # too wide to stand beside the chart: below it

    def is_numeric(self, column: int) -> bool:
        return self.numeric_from <= column < (len(self.columns) if self.numeric_until is None else self.numeric_until)

    @property
    def header(self) -> list[tuple[str, bool]]:
        """(label, numeric) of each column, for the page."""
        return [(label, self.is_numeric(column)) for column, label in enumerate(self.columns)]

    @property
    def body(self) -> SafeString:
        """The rows as the page's HTML, written here rather than by a template loop: a week of hours
        is a hundred rows of eight cells, which the template engine would take most of the page's
        own time to write."""
        number = ' class="num"'
        flags = [number if self.is_numeric(column) else "" for column in range(1, len(self.columns))]
        lines = []
        for row in self.rows:
            classes = " ".join(name for name, on in (("total", row.total), ("selected", row.selected)) if on)
            first = escape(row.cells[0])
            if row.link:
                first = f'<a href="{escape(row.link)}">{first}</a>'
            cells = "".join(f"<td{flag}>{escape(cell)}</td>" for cell, flag in zip(row.cells[1:], flags, strict=True))
            opening = f'<tr class="{classes}">' if classes else "<tr>"
            lines.append(f'{opening}<th scope="row">{first}</th>{cells}</tr>')
        return mark_safe("\n".join(lines))

    def csv_response(self, period: Period, report: str) -> HttpResponse:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([defused(column) for column in self.columns])
        for row in self.rows:
            writer.writerow([defused(cell) for cell in row.cells])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        name = re.sub(r"[^a-z0-9]+", "-", f"{report} {self.key} {period.branch.name}".lower()).strip("-")
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"'
        )
        return response


def percent(share: float | None) -> str:
    """83%; a share of nothing is a dash."""
    return DASH if share is None else f"{share * 100:.0f}%"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def duration(seconds: float | None) -> str:
    """45 min, 3 h 20 min, 2 d 4 h; nobody waited: a dash."""
    if seconds is None:
        return DASH
    minutes = max(int(round(seconds / 60)), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
