"""Benchmarks: each measures a figure against a baseline taken in the same run and reports the
ratio, so that a slower or faster machine moves both and the ratio stays comparable.

A benchmark is a module of this package with ``run(options) -> Result``; ``python -m bench``
finds them all. They print figures and never fail a build: targets are reported as met or not.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Options:
    """What ``python -m bench`` was asked for."""

    database_url: str | None = None  # a PostgreSQL server to run on as well as SQLite
    profile: bool = False  # write a pyinstrument profile where a benchmark offers one
    results: Path = RESULTS


@dataclass(frozen=True)
class Figure:
    """One measured value, its same-run baseline, and the target it is held to."""

    name: str
    value: float
    unit: str = "ms"
    baseline: float | None = None
    max_ratio: float | None = None
    max_value: float | None = None
    min_ratio: float | None = None  # for rates, where higher is better
    min_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        targets = []
        if self.max_ratio is not None:
            targets.append(f"ratio ≤ {self.max_ratio:g}")
        if self.min_ratio is not None:
            targets.append(f"ratio ≥ {self.min_ratio:g}")
        if self.max_value is not None:
            targets.append(f"≤ {self.max_value:g} {self.unit}")
        if self.min_value is not None:
            targets.append(f"≥ {self.min_value:g} {self.unit}")
        return ", ".join(targets) or "—"

    @property
    def met(self) -> bool | None:
        bounds = (self.max_ratio, self.min_ratio, self.max_value, self.min_value)
        if all(bound is None for bound in bounds):
            return None
        ratio = self.ratio
        checks = [
            self.max_ratio is None or (ratio is not None and ratio <= self.max_ratio),
            self.min_ratio is None or (ratio is not None and ratio >= self.min_ratio),
            self.max_value is None or self.value <= self.max_value,
            self.min_value is None or self.value >= self.min_value,
        ]
        return all(checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target,
            "met": self.met,
        }


@dataclass
class Result:
    """What one benchmark measured: its figures, and details worth keeping with them."""

    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


Benchmark = Callable[[Options], Result]


def benchmarks() -> dict[str, Benchmark]:
    """Every benchmark module of this package, by name (``_private`` modules are helpers)."""
    found: dict[str, Benchmark] = {}
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("_"):
            continue
        imported = importlib.import_module(f"{__name__}.{module.name}")
        run = getattr(imported, "run", None)
        if callable(run):
            found[module.name] = run
    return dict(sorted(found.items()))
