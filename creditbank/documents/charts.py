"""Charts drawn on the server as SVG (pygal), for pages that run no JavaScript: pure functions
of plain data that return the SVG's bytes. The SVG carries no script (pygal's interactive
tooltips are dropped) and names a font that writes Chinese; its styles are inline, so the
route serving it allows inline styles and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pygal
from pygal.style import Style

CJK_FONTS = (
    '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
)
# Colours distinguishable in print and with the common colour-vision deficiencies (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000")
STYLE = Style(
    font_family=CJK_FONTS,
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#616e7c",
    colors=PALETTE,
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
)


def monthly_chart(
    title: str,
    months: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    y_title: str,
) -> bytes:
    """A stacked bar per month (``months`` label the x axis), one colour per series (e.g. per
    category), the values of each series in month order."""
    chart = pygal.StackedBar(
        title=title,
        y_title=y_title,
        x_labels=list(months),
        x_label_rotation=-30,
        style=STYLE,
        width=900,
        height=380,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        print_values=False,
        show_minor_y_labels=False,
        no_data_text="暂无数据",
        js=[],
    )
    chart.add_xml_filter(_without_scripts)
    for name, values in series.items():
        chart.add(name, list(values))
    svg: bytes = chart.render()
    return svg


def _without_scripts(root: Any) -> Any:
    """pygal always writes a ``<script>`` with its configuration, even with ``js=[]``: the chart
    is an image and needs none."""
    for script in list(root.iter("{http://www.w3.org/2000/svg}script", "script")):
        script.getparent().remove(script)
    return root


def balance_chart(by_category: Mapping[str, str], title: str) -> bytes:
    """A horizontal bar per category (``{label: "12.5"}``, in the order given), its value
    printed on the bar; an empty mapping draws the axes and says so."""
    chart = pygal.HorizontalBar(
        title=title,
        style=STYLE,
        show_legend=False,
        print_values=True,
        width=640,
        height=max(160, 70 + 48 * len(by_category)),
        no_data_text="暂无学分",
        # pygal measures labels as Latin letters; a Chinese one is about twice as wide
        margin_left=max((len(label) for label in by_category), default=0) * 8,
        value_formatter=lambda value: f"{value:.1f}",
        js=[],
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = list(by_category)
    chart.add("学分", [float(value) for value in by_category.values()])
    svg: bytes = chart.render()
    return svg
