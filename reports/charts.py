"""The reports' charts: inline SVG drawn on the server from the figures the tables show, so a page
needs no script and no chart library, prints as it looks, and reads the same with the page's
theme (text takes the page's colour). Every mark carries a <title> (a tooltip, and what a
screen reader says), and the picture as a whole an aria-label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "font-family:inherit;font-size:12px"
# Occupancy from nothing to full: light to dark blue; beyond full (an override): red-brown.
SCALE = ["#eff6ff", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8", "#1e3a8a"]
OVER_FULL = "#9a3412"
NO_SESSION = "#e5e7eb"


def _text(
    x: float, y: float, words: str, *, anchor: str = "start", fill: str = "currentColor", weight: str = ""
) -> str:
    bold = ";font-weight:600" if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="middle" fill="{fill}"'
        f' style="{FONT}{bold}">{escape(words)}</text>'
    )


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    width: int  # pixels: the page gives the chart's caption and legend this width

    def __str__(self) -> str:
        return self.svg


def _svg(width: float, height: float, label: str, body: list[str]) -> Chart:
    svg = mark_safe(
        f'<svg class="report-chart" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}"'
        f' role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )
    return Chart(svg, round(width))


def shade(share: float) -> str:
    """The heatmap's colour for a share of places (0.0 to 1.0; above 1.0 is over capacity)."""
    if share > 1:
        return OVER_FULL
    return SCALE[min(int(share * (len(SCALE) - 1) + 0.5), len(SCALE) - 1)]


# Fills on which text reads better in white: the darker half of the scale, and the bars' strong colours.
DARK_FILLS = {*SCALE[5:], OVER_FULL, "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#2563eb"}


def ink_on(fill: str) -> str:
    """Text that reads on the fill."""
    return "#ffffff" if fill in DARK_FILLS else "#111827"


@dataclass(frozen=True)
class HeatCell:
    share: float | None  # None: nothing starts then
    text: str  # what the cell says: "83%"
    tooltip: str


def heatmap(rows: Sequence[str], columns: Sequence[str], cells: dict[tuple[int, int], HeatCell], label: str) -> Chart:
    """A grid of rows (weekdays) by columns (hours), each cell shaded by its share, with a legend."""
    cell_w, cell_h, gap, left, top = 40, 28, 3, 44, 22
    width = left + len(columns) * (cell_w + gap) + 8
    legend_y = top + len(rows) * (cell_h + gap) + 18
    height = legend_y + 30
    body = []
    for c, column in enumerate(columns):
        body.append(_text(left + c * (cell_w + gap) + cell_w / 2, top / 2, column, anchor="middle"))
    for r, row in enumerate(rows):
        y = top + r * (cell_h + gap)
        body.append(_text(left - 8, y + cell_h / 2, row, anchor="end", weight="bold"))
        for c in range(len(columns)):
            x = left + c * (cell_w + gap)
            cell = cells.get((r, c))
            if cell is None or cell.share is None:
                tooltip = cell.tooltip if cell else f"{row} {columns[c]}: nothing starts then"
                body.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" rx="3" fill="{NO_SESSION}"'
                    f' fill-opacity=".45"><title>{escape(tooltip)}</title></rect>'
                )
                continue
            fill = shade(cell.share)
            body.append(
                f"<g><title>{escape(cell.tooltip)}</title>"
                f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" rx="3" fill="{fill}"/>'
                + _text(x + cell_w / 2, y + cell_h / 2 + 1, cell.text, anchor="middle", fill=ink_on(fill))
                + "</g>"
            )
    # the legend: the scale's steps, then beyond full and nothing on
    x = left
    for step, percent in enumerate((0, 25, 50, 75, 100)):
        fill = shade(percent / 100)
        body.append(f'<rect x="{x + step * 44}" y="{legend_y}" width="40" height="14" rx="2" fill="{fill}"/>')
        body.append(_text(x + step * 44 + 20, legend_y + 24, f"{percent}%", anchor="middle"))
    x += 5 * 44 + 16
    body.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" rx="2" fill="{OVER_FULL}"/>')
    body.append(_text(x + 20, legend_y + 7, "over capacity (overrides)"))
    x += 190
    body.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" rx="2" fill="{NO_SESSION}" fill-opacity=".45"/>')
    body.append(_text(x + 20, legend_y + 7, "nothing starts then"))
    return _svg(max(width, x + 160), height, label, body)


@dataclass(frozen=True)
class Segment:
    value: int
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Bar:
    label: str  # under a column, beside a row
    segments: list[Segment]
    note: str = ""  # above a column, after a row
    tooltip: str = ""


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str


def shares(bars: Sequence[Bar], label: str) -> Chart:
    """100% columns (one per week): each column is split by its segments' shares, each share written
    in its segment when there is room, the column's total (its note) above it. A week with nothing
    is an empty outline."""
    left, top, plot_h, bottom = 44, 24, 220, 26
    col_w = max(30, min(84, 640 // max(len(bars), 1)))
    gap = max(8, col_w // 4)
    width = left + len(bars) * (col_w + gap) + 8
    height = top + plot_h + bottom
    body = []
    for percent in range(0, 101, 25):
        y = top + plot_h - plot_h * percent / 100
        body.append(
            f'<line x1="{left - 4}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="currentColor"'
            ' stroke-opacity=".15"/>'
        )
        body.append(_text(left - 8, y, f"{percent}%", anchor="end"))
    for b, bar in enumerate(bars):
        x = left + gap / 2 + b * (col_w + gap)
        total = sum(segment.value for segment in bar.segments)
        y = top + plot_h
        group = [f"<g><title>{escape(bar.tooltip)}</title>"] if bar.tooltip else ["<g>"]
        if not total:
            group.append(
                f'<rect x="{x:.1f}" y="{top}" width="{col_w}" height="{plot_h}" fill="none" stroke="currentColor"'
                ' stroke-opacity=".25" stroke-dasharray="4 3"/>'
            )
        for segment in bar.segments if total else []:
            h = plot_h * segment.value / total
            if h <= 0:
                continue
            y -= h
            group.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w}" height="{h:.1f}" fill="{segment.colour}">'
                f"<title>{escape(segment.tooltip)}</title></rect>"
            )
            if h >= 15 and col_w >= 30:
                share = f"{segment.value / total * 100:.0f}%"
                group.append(_text(x + col_w / 2, y + h / 2 + 1, share, anchor="middle", fill=ink_on(segment.colour)))
        group.append("</g>")
        body.extend(group)
        if bar.note:
            body.append(_text(x + col_w / 2, top - 11, bar.note, anchor="middle", weight="bold"))
        body.append(_text(x + col_w / 2, top + plot_h + 14, bar.label, anchor="middle"))
    return _svg(width, height, label, body)


def rows(bars: Sequence[Bar], label: str) -> Chart:
    """Stacked horizontal bars (one per subject or staff member), their length the total, the
    note after each. The legend is the page's."""
    left, top, row_h, gap, plot_w, right = 150, 4, 22, 8, 300, 200
    width = left + plot_w + right
    height = top + len(bars) * (row_h + gap) + 8
    largest = max((sum(segment.value for segment in bar.segments) for bar in bars), default=0)
    body = []
    for b, bar in enumerate(bars):
        y = top + b * (row_h + gap)
        name = bar.label if len(bar.label) <= 22 else bar.label[:21] + "…"
        body.append(_text(left - 8, y + row_h / 2, name, anchor="end"))
        x = left
        group = [f"<g><title>{escape(bar.tooltip)}</title>"] if bar.tooltip else ["<g>"]
        for segment in bar.segments:
            w = plot_w * segment.value / largest if largest else 0
            if w <= 0:
                continue
            group.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{segment.colour}">'
                f"<title>{escape(segment.tooltip)}</title></rect>"
            )
            x += w
        group.append("</g>")
        body.extend(group)
        if bar.note:
            body.append(_text(x + 8, y + row_h / 2, bar.note))
    return _svg(width, height, label, body)
