"""Charts as SVG documents (pygal), for the pages to show as ``<img>``: pure functions of the
figures, no script (pygal's inline configuration script is taken out; an image never runs one
anyway), styles inline, so the route serving one sends a CSP allowing inline styles only.
Every chart has a table of the same figures beside it on its page, for screen readers."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pygal
from pygal.style import Style

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
_SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0f766e"),
    font_family=FONTS,
    label_font_family=FONTS,
    major_label_font_family=FONTS,
    value_font_family=FONTS,
    value_label_font_family=FONTS,
    title_font_family=FONTS,
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    title_font_size=16,
)


def balance_chart(by_category: Mapping[str, str], title: str) -> bytes:
    """A horizontal bar per category (``{label: "12.5"}``, in the order given), its value
    printed on the bar; an empty mapping draws the axes and says so."""
    chart = pygal.HorizontalBar(
        js=[],
        style=_STYLE,
        title=title,
        show_legend=False,
        print_values=True,
        width=640,
        height=max(160, 70 + 48 * len(by_category)),
        no_data_text="暂无学分",
        # pygal measures labels as Latin letters; a Chinese one is about twice as wide
        margin_left=max((len(label) for label in by_category), default=0) * 8,
        value_formatter=lambda value: f"{value:.1f}",
    )
    chart.x_labels = list(by_category)
    chart.add("学分", [float(value) for value in by_category.values()])
    return without_scripts(chart.render())


def without_scripts(svg: bytes) -> bytes:
    return _SCRIPT.sub(b"", svg)
