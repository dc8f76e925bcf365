"""The table of every benchmark's figures, and the chart: ``bench/results/summary.{json,png}``.

Built from the results of each benchmark present in ``bench/results/`` (after ``make bench``,
all of this run), so that a benchmark added later — the audit, say — joins both by itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench import Figure

CHART = "summary.png"
SUMMARY = "summary.json"


def collect(results: Path, names: Iterable[str]) -> list[tuple[str, Figure]]:
    """``(benchmark, figure)`` for every figure in the results of ``names`` found there."""
    found = []
    for name in names:
        path = results / f"{name}.json"
        if not path.exists():
            continue
        for figure in json.loads(path.read_text())["figures"]:
            found.append((name, _figure(figure)))
    return found


def _figure(saved: dict[str, Any]) -> Figure:
    """A figure back from its JSON (its target survives as text, and whether it was met)."""
    return _Saved(
        saved["name"],
        saved["value"],
        saved["unit"],
        saved["baseline"],
        saved["target"],
        saved["met"],
    )


class _Saved(Figure):
    def __init__(
        self,
        name: str,
        value: float,
        unit: str,
        baseline: float | None,
        target: str,
        met: bool | None,
    ) -> None:
        super().__init__(name=name, value=value, unit=unit, baseline=baseline)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_met", met)

    @property
    def target(self) -> str:
        return self._target  # type: ignore[attr-defined,no-any-return]

    @property
    def met(self) -> bool | None:
        return self._met  # type: ignore[attr-defined,no-any-return]


def write(results: Path, figures: list[tuple[str, Figure]]) -> Path | None:
    """``summary.json``, and the chart if matplotlib is installed; the chart's path."""
    (results / SUMMARY).write_text(
        json.dumps(
            [{"benchmark": name, **figure.as_json()} for name, figure in figures],
            indent=2,
            ensure_ascii=False,
        )
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print("(matplotlib is not installed: no chart; `make bench` installs it)")
        return None
    plotted = [(name, f) for name, f in figures if f.ratio is not None]
    height = 1.0 + 0.32 * len(plotted)
    fig, axes = pyplot.subplots(figsize=(12, height))
    labels = [f.name for _, f in plotted]
    ratios = [f.ratio or 0.0 for _, f in plotted]
    colours = [{True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}[f.met] for _, f in plotted]
    rows = range(len(plotted))
    axes.barh(rows, ratios, color=colours)
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_yticks(list(rows), labels, fontsize=7)
    axes.invert_yaxis()
    for row, (_, figure) in zip(rows, plotted, strict=True):
        text = f" {figure.value:,.4g} {figure.unit} / {figure.baseline:,.4g} ({figure.target})"
        axes.text(figure.ratio or 0.0, row, text, va="center", fontsize=6)
    axes.set_xlabel(
        "value ÷ same-run baseline (log scale); green: target met, red: missed, grey: no target"
    )
    axes.set_title("creditbank benchmarks, each next to its baseline in the same run")
    fig.tight_layout()
    path = results / CHART
    fig.savefig(path, dpi=120)
    pyplot.close(fig)
    return path
