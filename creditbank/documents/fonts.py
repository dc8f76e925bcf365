"""A font that writes Chinese into PDFs that every viewer can show.

A TrueType CJK font installed on the machine (Debian: fonts-wqy-microhei, fonts-wqy-zenhei,
fonts-arphic-uming…) is embedded as a subset, so the PDF carries its own glyphs. Only when none
is installed do we fall back to reportlab's built-in CID font STSong-Light, which is *not*
embedded: Acrobat supplies it, but many other viewers show blanks or boxes without the Adobe
Asian font packs. reportlab reads TrueType outlines only, so OpenType/CFF fonts such as Noto
Sans CJK's ``.ttc`` are tried and skipped when they cannot be loaded.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

FONT_NAME = "CreditbankCJK"
FALLBACK_CID_FONT = "STSong-Light"
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
# (file name, sub-font index in a .ttc): the preferred simplified-Chinese face first.
KNOWN_FONTS = (
    ("wqy-microhei.ttc", 0),
    ("wqy-zenhei.ttc", 0),
    ("NotoSansCJKsc-Regular.ttf", 0),
    ("NotoSansSC-Regular.ttf", 0),
    ("NotoSansCJK-Regular.ttc", 2),  # JP, KR, SC, TC, HK: 2 is SC
    ("NotoSerifCJK-Regular.ttc", 2),
    ("DroidSansFallbackFull.ttf", 0),
    ("uming.ttc", 0),
    ("ukai.ttc", 0),
    ("simsun.ttc", 0),
    ("msyh.ttc", 0),
)
# Characters every transcript prints; a font that lacks them is no use.
_PROBE = "学分银行张"


@dataclass(frozen=True)
class PdfFont:
    """The font a PDF is written in; ``path`` is None for the non-embedded CID fallback."""

    name: str
    path: Path | None = None
    subfont_index: int = 0

    @property
    def embedded(self) -> bool:
        return self.path is not None


@functools.cache
def cjk_font() -> PdfFont:
    """The best CJK font of this machine, registered with reportlab (looked up once)."""
    font = find_cjk_font(candidate_files(FONT_DIRS))
    if font is None:
        log.warning(
            "no TrueType CJK font installed; PDFs use the non-embedded CID font %s "
            "(install fonts-wqy-microhei so every viewer can show them)",
            FALLBACK_CID_FONT,
        )
        return fallback_font()
    return font


def candidate_files(directories: Iterable[Path]) -> list[tuple[Path, int]]:
    """Installed files among :data:`KNOWN_FONTS`, in that order of preference."""
    found: dict[str, list[Path]] = {}
    wanted = {name.lower() for name, _ in KNOWN_FONTS}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.rglob("*")):
            if path.name.lower() in wanted and path.is_file():
                found.setdefault(path.name.lower(), []).append(path)
    return [(path, index) for name, index in KNOWN_FONTS for path in found.get(name.lower(), [])]


def find_cjk_font(candidates: Iterable[tuple[Path, int]]) -> PdfFont | None:
    """Register the first candidate reportlab can load and that has Chinese glyphs."""
    for path, index in candidates:
        try:
            font = TTFont(FONT_NAME, str(path), subfontIndex=index)
        except (TTFError, OSError, ValueError) as exc:  # CFF outlines, a broken file
            log.info("skipping font %s: %s", path, exc)
            continue
        if all(ord(char) in font.face.charToGlyph for char in _PROBE):
            pdfmetrics.registerFont(font)
            return PdfFont(FONT_NAME, path, index)
    return None


def fallback_font() -> PdfFont:
    """reportlab's built-in CID font: Chinese that only some viewers can render."""
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return PdfFont(FALLBACK_CID_FONT)
