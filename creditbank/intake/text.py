"""Text from outside: the characters the bank cannot keep, and excerpts of bad input short
enough to quote back in an error message.

A NUL (U+0000) cannot be stored in PostgreSQL text, and no name, reference or note has a use for
one. A lone UTF-16 surrogate (U+D800–U+DFFF, which JSON can spell as ``"\\ud800"``) is no
character at all: it cannot be encoded as UTF-8, so it could be neither hashed, stored nor logged.
"""

from __future__ import annotations

import re

NUL_MESSAGE = "Text may not contain U+0000 (NUL)."
SURROGATE_MESSAGE = "Text may not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)."
# Characters of bad input quoted back in a message: enough to recognise it, never the whole of a
# megabyte header.
EXCERPT_LENGTH = 40

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNKEEPABLE = re.compile("[\x00\ud800-\udfff]")


def unkeepable(text: str) -> str | None:
    """Why ``text`` cannot be kept (a lone surrogate before a NUL), or None when it can."""
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    if "\x00" in text:
        return NUL_MESSAGE
    return None


def excerpt(text: str) -> str:
    """At most :data:`EXCERPT_LENGTH` characters of ``text`` (the last an ellipsis when cut),
    with any character that cannot be kept shown as U+FFFD."""
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1] + "…"
    return _UNKEEPABLE.sub("\ufffd", text)
