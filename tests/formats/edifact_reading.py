"""An independent reading of EDIFACT by plain splitting, to check the translators against (tests only)."""

from __future__ import annotations

import re


def read_segments(data: bytes) -> list[list[list[str]]]:
    """Segments as [tag-element, element, …] of component lists, by plain splitting."""
    text = data.decode("latin-1").lstrip("\ufeffï»¿ \r\n")
    comp, elem, rel, term = ":", "+", "?", "'"
    if text.startswith("UNA"):
        comp, elem, rel, term, text = text[3], text[4], text[6], text[8], text[9:]

    def split(value: str, sep: str) -> list[str]:
        return re.split(f"(?<!{re.escape(rel)}){re.escape(sep)}", value)

    def clean(value: str) -> str:
        return re.sub(f"{re.escape(rel)}(.)", r"\1", value)

    segments = [s.strip() for s in split(text, term) if s.strip()]
    return [[[clean(c) for c in split(e, comp)] for e in split(s, elem)] for s in segments]
