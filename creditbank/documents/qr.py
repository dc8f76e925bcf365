"""QR codes of verify URLs for pages (the PDFs draw theirs: documents/verification.py)."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape


def qr_svg(url: str, label: str = "核验二维码") -> Markup:
    """The QR code of ``url`` as an inline ``<svg>`` (the page loads nothing from elsewhere).
    segno writes the markup itself: modules as one path, the escaped ``label`` as its title."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, svgclass="qr", omitsize=False)
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(labelled)  # noqa: S704 (segno's own SVG, the label escaped)
