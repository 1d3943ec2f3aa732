"""Cutting a long text into messages under a platform's limit, at line breaks where possible."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """The parts of `text`, each at most `limit` characters, cut at line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    parts.append(text)
    return parts
