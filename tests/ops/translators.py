"""Plugin translators for the format-fix story (loaded through HUB_EXTRA_TRANSLATORS).

``BuggyPeppolV1`` is the Peppol translator as a wholesaler-specific fix-up might have shipped it: it folds the
price base quantity into the unit price the wrong way round (1190.00 per 100 m becomes 119000 per metre) and
refuses a base quantity that is not a whole number. ``FixedPeppolV2`` is the corrected release: the built-in
behaviour, under version 2, so the sinks accept its output as newer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO, ClassVar

from hub.canonical.invoice import InvoiceLine, SupplierInvoice
from hub.errors import InvalidValueError
from hub.formats.base import TranslationContext, TranslatorId
from hub.formats.peppol_bis3 import PeppolBis3Translator
from tests.conftest import EXAMPLES

DEMO = (EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml").read_bytes()
BUGGY = "tests.ops.translators:BuggyPeppolV1"
FIXED = "tests.ops.translators:FixedPeppolV2"


def variant(number: str, *, price: bytes = b"1190.00", base: bytes = b"100") -> bytes:
    """The demo invoice under another number; line 1 priced ``price`` per ``base`` metres (same amounts)."""
    data = DEMO.replace(b"<cbc:ID>F2026-1187</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>".encode())
    old = b'<cbc:PriceAmount currencyID="SEK">1190.00</cbc:PriceAmount>\n      <cbc:BaseQuantity unitCode="MTR">100<'
    new = b'<cbc:PriceAmount currencyID="SEK">' + price + b'</cbc:PriceAmount>\n      <cbc:BaseQuantity unitCode="MTR">'
    return data.replace(old, new + base + b"<")


class BuggyPeppolV1(PeppolBis3Translator):
    id: ClassVar[TranslatorId] = TranslatorId("peppol-bis3-invoice", 1)

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        for item in super().translate(stream, context):
            if isinstance(item, SupplierInvoice):
                lines = tuple(_mangle(position, line) for position, line in enumerate(item.lines, start=1))
                item = dataclasses.replace(item, lines=lines)
            yield item


def _mangle(position: int, line: InvoiceLine) -> InvoiceLine:
    base = line.price_base_quantity
    if base is None or line.unit_price is None:
        return line
    if base != base.to_integral_value():
        raise InvalidValueError(
            f"price base quantity {base} is not a whole number",
            location=f"/Invoice/cac:InvoiceLine[{position}]/cac:Price/cbc:BaseQuantity",
        )
    return dataclasses.replace(line, unit_price=line.unit_price * base, price_base_quantity=Decimal(1))


class FixedPeppolV2(PeppolBis3Translator):
    id: ClassVar[TranslatorId] = TranslatorId("peppol-bis3-invoice", 2)
