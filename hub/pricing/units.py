"""One table for units: a file's unit text → UN/ECE Recommendation 20 code, and price bases.

DESIGN §9.5: every record carries a Rec 20 ``unit_code`` beside the file's own unit text; price quantities
are normalised through this one table (HMT = 100 MTR, "per 100 st", packs). A unit not in the table is
``None`` — "cannot compare" — never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class UnitInfo:
    code: str  # Rec 20 code as written (EA, MTR, HMT, …)
    base: str  # the base unit it converts to (EA for C62/EA/ST, MTR for HMT/KMT, …)
    factor: Decimal  # how many base units one of this unit is


_CODES: dict[str, UnitInfo] = {
    "EA": UnitInfo("EA", "EA", Decimal(1)),  # each
    "C62": UnitInfo("C62", "EA", Decimal(1)),  # one (piece)
    "H87": UnitInfo("H87", "EA", Decimal(1)),  # piece
    "PR": UnitInfo("PR", "PR", Decimal(1)),  # pair
    "MTR": UnitInfo("MTR", "MTR", Decimal(1)),
    "HMT": UnitInfo("HMT", "MTR", Decimal(100)),  # hectometre: cable priced per 100 m
    "KMT": UnitInfo("KMT", "MTR", Decimal(1000)),
    "CMT": UnitInfo("CMT", "MTR", Decimal("0.01")),
    "MTK": UnitInfo("MTK", "MTK", Decimal(1)),  # square metre
    "MTQ": UnitInfo("MTQ", "MTQ", Decimal(1)),  # cubic metre
    "KGM": UnitInfo("KGM", "KGM", Decimal(1)),
    "GRM": UnitInfo("GRM", "KGM", Decimal("0.001")),
    "TNE": UnitInfo("TNE", "KGM", Decimal(1000)),
    "LTR": UnitInfo("LTR", "LTR", Decimal(1)),
    "HUR": UnitInfo("HUR", "HUR", Decimal(1)),
    "RO": UnitInfo("RO", "RO", Decimal(1)),  # roll
    "PK": UnitInfo("PK", "PK", Decimal(1)),  # pack
    "BX": UnitInfo("BX", "BX", Decimal(1)),  # box
    "SET": UnitInfo("SET", "SET", Decimal(1)),
    # UN/ECE Rec 21 package codes (X + code), which invoices must use for packages (EN 16931 BR-CL-23)
    "XPK": UnitInfo("XPK", "PK", Decimal(1)),
    "XRO": UnitInfo("XRO", "RO", Decimal(1)),
    "XBX": UnitInfo("XBX", "BX", Decimal(1)),
    "XBK": UnitInfo("XBK", "BK", Decimal(1)),  # basket (NELFO BK / KURV)
    "BK": UnitInfo("BK", "BK", Decimal(1)),
}

# The texts wholesalers write (Swedish, Norwegian, Finnish, Danish and common abbreviations), upper case.
_TEXTS: dict[str, str] = {
    "PCE": "EA",
    "NAR": "EA",
    "ST": "EA",
    "STK": "EA",
    "STY": "EA",
    "STYCK": "EA",
    "STYKK": "EA",
    "STK.": "EA",
    "PCS": "EA",
    "PC": "EA",
    "KPL": "EA",
    "KAPPALE": "EA",
    "PAR": "PR",
    "M": "MTR",
    "METER": "MTR",
    "METRE": "MTR",
    "MTR.": "MTR",
    "LM": "MTR",
    "M2": "MTK",
    "KVM": "MTK",
    "M3": "MTQ",
    "KG": "KGM",
    "KILO": "KGM",
    "G": "GRM",
    "L": "LTR",
    "LITER": "LTR",
    "LITRE": "LTR",
    "RULLE": "RO",
    "RULL": "RO",
    "RLE": "RO",
    "FP": "PK",
    "PAKKE": "PK",
    "PKT": "PK",
    "FRP": "PK",
    "FORP": "PK",
    "ASK": "BX",
    "ESKE": "BX",
    "KART": "BX",
    "TIM": "HUR",
    "TIMME": "HUR",
}


def unit_info(text: str | None) -> UnitInfo | None:
    """The Rec 20 unit for a file's unit text or code, or None when it is not known."""
    if not text:
        return None
    key = text.strip().upper()
    code = key if key in _CODES else _TEXTS.get(key)
    return _CODES.get(code) if code else None


def unit_code(text: str | None) -> str | None:
    info = unit_info(text)
    return info.code if info else None


def to_base(quantity: Decimal, text: str | None) -> tuple[Decimal, str] | None:
    """``quantity`` of the unit ``text`` expressed in its base unit (2 HMT → 200 MTR); None if unknown."""
    info = unit_info(text)
    return (quantity * info.factor, info.base) if info else None
