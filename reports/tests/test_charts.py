"""The charts are pictures made of the figures they are given: shades by share, heights by share,
lengths by count, every word escaped (names are free text)."""

from __future__ import annotations

import re

from reports import charts
from reports.tables import defused, duration, percent


def test_the_heatmap_shades_each_cell_by_its_share_and_says_it():
    cells = {
        (0, 0): charts.HeatCell(0.0, "0%", "Mon 07: nobody"),
        (0, 1): charts.HeatCell(1.0, "100%", "Mon 08: full"),
        (1, 0): charts.HeatCell(1.5, "150%", "Tue 07: over"),
    }
    chart = charts.heatmap(["Mon", "Tue"], ["07", "08"], cells, "Places booked")
    svg = str(chart.svg)
    assert svg.startswith('<svg class="report-chart"') and 'role="img" aria-label="Places booked"' in svg
    fills = re.findall(r'<g><title>([^<]*)</title><rect [^>]*fill="(#[0-9a-f]+)"', svg)
    assert fills == [
        ("Mon 07: nobody", charts.SCALE[0]),
        ("Mon 08: full", charts.SCALE[-1]),
        ("Tue 07: over", charts.OVER_FULL),
    ]
    assert "Tue 08: nothing starts then" in svg  # the cell with nothing
    assert ">150%</text>" in svg and chart.width > 0


def test_dark_cells_carry_white_text():
    assert charts.ink_on(charts.shade(0.1)) == "#111827"
    assert charts.ink_on(charts.shade(0.95)) == "#ffffff"
    assert charts.ink_on(charts.shade(1.2)) == "#ffffff"


def test_words_are_escaped():
    bar = charts.Bar("<script>alert(1)</script>", [charts.Segment(3, "#16a34a", 'a "quote" & more')], note="<b>")
    svg = str(charts.rows([bar], "Waits & <promotions>").svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&quot;quote&quot; &amp; more" in svg and "&lt;b&gt;" in svg
    assert 'aria-label="Waits &amp; &lt;promotions&gt;"' in svg


def test_shares_split_each_column_by_its_segments():
    week = charts.Bar("9–15 Nov", [charts.Segment(3, "#16a34a", "attended"), charts.Segment(1, "#dc2626", "no")])
    empty = charts.Bar("16–22 Nov", [charts.Segment(0, "#16a34a", "attended")], note="none")
    svg = str(charts.shares([week, empty], "Outcomes").svg)
    heights = [
        float(height) for height in re.findall(r'<rect x="[^"]+" y="[^"]+" width="\d+" height="([\d.]+)" fill', svg)
    ]
    # three quarters and one quarter of the plot's 220 pixels; the empty week its whole outline
    assert heights == [165.0, 55.0, 220.0]
    assert ">75%</text>" in svg and ">25%</text>" in svg
    assert 'stroke-dasharray="4 3"' in svg and ">none</text>" in svg  # the empty week is an outline


def test_rows_are_as_long_as_their_totals():
    bars = [
        charts.Bar("Spin", [charts.Segment(2, "#16a34a", "promoted"), charts.Segment(2, "#9ca3af", "waiting")]),
        charts.Bar("Sauna", [charts.Segment(1, "#16a34a", "promoted")]),
    ]
    widths = [float(width) for width in re.findall(r'width="([\d.]+)" height="22"', str(charts.rows(bars, "W").svg))]
    assert widths == [150.0, 150.0, 75.0]


def test_cells_that_would_run_as_formulas_are_defused_and_figures_read_plainly():
    assert [defused(cell) for cell in ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "Spin", "1,200", ""]] == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "Spin", "1,200", "",
    ]  # fmt: skip
    assert [percent(None), percent(0), percent(0.834), percent(2)] == ["–", "0%", "83%", "200%"]
    assert [duration(None), duration(59), duration(45 * 60), duration(3 * 3600), duration(200 * 60)] == [
        "–", "1 min", "45 min", "3 h", "3 h 20 min",
    ]  # fmt: skip
    assert [duration(47 * 3600), duration(50 * 3600), duration(72 * 3600)] == ["47 h", "2 d 2 h", "3 d"]
