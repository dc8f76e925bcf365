"""The items of one posting request, and how their errors are keyed: ``items.<i>.<field>``
in a batch, the field alone for a single outcome (API.md § Outcomes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def error_path(items: Sequence[Mapping[str, Any]], index: int, name: str) -> str:
    return f"items.{index}.{name}" if getattr(items, "batch", True) else name


class Items(list[Mapping[str, Any]]):
    """The items of one request, remembering whether they came as a batch."""

    def __init__(self, items: Sequence[Mapping[str, Any]], batch: bool) -> None:
        super().__init__(items)
        self.batch = batch
