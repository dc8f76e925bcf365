"""Work that goes on after a response: :func:`creditbank.context.in_background`, shared with
the pages (which may not import the API)."""

from __future__ import annotations

from creditbank.context import in_background

__all__ = ["in_background"]
