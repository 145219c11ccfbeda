"""EDIFACT ORDRSP and DESADV (EANCOM) → canonical ``OrderConfirmation``: order responses and delivery notes.

Two translators share one reading (FORMATS.md §5.3), told apart by a :class:`Profile`: an ORDRSP is an
``ORDER_RESPONSE`` (what the wholesaler confirms), a DESADV a ``DELIVERY_NOTE`` (what it despatched; no
prices, the rows are priced from the catalog). Directories D93A … D16B are read alike (DESIGN §9.8). One
record per message, in order; a message that fails (UNT, a missing BGM number or DTM+137, a bad value,
another message type) becomes a :class:`FailedRecord` and the others go on. Envelope errors come from
:mod:`hub.formats.edifact` and fail the whole interchange. Missing values are None, never invented.

Header qualifiers (the segments before the first LIN or CPS):

* BGM C106 1004 → ``document_number``; C106 1056 version (else 1060 revision) → ``document_version``
  (BGM 1225 is no version: 9 original, 5 replace, 31 copy; it is kept as ``extra["message_function"]``).
  In an ORDRSP, 1225 is the answer — 29 accepted, 4 changed, 27 not accepted — and is ``response_code``.
* DTM+137 → ``issue_date`` (required). ``delivery_date``: ORDRSP DTM+69 promised, +17 estimated, +2
  requested; DESADV DTM+35 actual, +17/+191 estimated, +358 scheduled, +132 arrival, +69, +2, and the
  despatch date DTM+11 last; ``extra["delivery_date_basis"]`` says which (as the Peppol translators do).
* RFF+ON ORDER, +VN SALES_ORDER, +CR BUYER_REFERENCE, +AEP PROJECT, +DQ/+AAK DESPATCH, +CT CONTRACT; FTX →
  FREE_TEXT and ``notes``. Under NAD: RFF+VA the VAT number, +XA/+GN the registration number; under NAD+BY
  RFF+IT the customer number and RFF+CR the buyer's reference.
* NAD+SU (else SE) seller, NAD+BY buyer; a party id with agency 9 (GS1) or scheme 0088 is a GLN.
  ``customer_number``: RFF+IT, else the buyer's party id when it is not a GLN. CUX+2 (else the first) currency.

The lines are read in :mod:`hub.formats.edifact_orders_lines`; per-line facts without a canonical field
travel in ``extra`` as ``line.<id>.<fact>`` (``package``: the DESADV CPS level, ``sscc``: its GIN+BJ).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO, ClassVar

from hub.canonical.invoice import Party
from hub.canonical.orders import OrderConfirmation, OrderLine, Reference
from hub.errors import DocumentError, InvalidValueError, MissingFieldError, ParseError, UnknownFormatError
from hub.formats.base import FailedRecord, Sniffed, TranslationContext, TranslatorId
from hub.formats.edifact import Interchange, Message, Segment, parse_interchange
from hub.formats.edifact_orders_lines import (
    DATE_BASIS,
    DESADV,
    ORDRSP,
    LineGroup,
    Profile,
    dates,
    first_date,
    free_text,
    line_groups,
    order_line,
    reference,
)

__all__ = ["EdifactDesadvTranslator", "EdifactOrdrspTranslator", "names_message", "translate_message"]

_DIRECTORIES = ((1993, "A"), (2016, "B"))
_HEADER_GROUPS = frozenset({"RFF", "NAD", "CUX", "PAT", "TDT", "TOD", "PAC", "EQD", "ALC", "LOC", "SCC", "TAX"})
_BODY_START = frozenset({"LIN", "CPS", "UNS", "CNT"})


class _EdifactOrderDocument:
    """The shared ``accepts``/``translate``; ``profile`` says which message type a subclass takes."""

    profile: ClassVar[Profile]
    record_type: ClassVar[str] = OrderConfirmation.TYPE

    def accepts(self, sniffed: Sniffed) -> int:
        return 20 if sniffed.syntax == "edifact" and names_message(sniffed.head, self.profile.message_type) else 0

    def translate(self, stream: BinaryIO, context: TranslationContext) -> Iterator[object]:
        # Read whole (bounded): the envelope (UNZ) is verified before the first record is yielded, as an
        # envelope error dead-letters the interchange. Order documents are small.
        data = stream.read(context.max_xml_bytes + 1)
        if len(data) > context.max_xml_bytes:
            raise ParseError(f"interchange larger than {context.max_xml_bytes} bytes", location="byte 0")
        interchange = parse_interchange(data)
        for message in interchange.messages:
            yield translate_message(interchange, message, self.profile)


class EdifactOrdrspTranslator(_EdifactOrderDocument):
    """EDIFACT ORDRSP (EANCOM purchase order response), one order confirmation per message."""

    id: ClassVar[TranslatorId] = TranslatorId("edifact-ordrsp", 1)
    description: ClassVar[str] = "EDIFACT ORDRSP D93A…D16B (EANCOM order response / orderbekräftelse)"
    profile: ClassVar[Profile] = ORDRSP


class EdifactDesadvTranslator(_EdifactOrderDocument):
    """EDIFACT DESADV (EANCOM despatch advice), one delivery note per message."""

    id: ClassVar[TranslatorId] = TranslatorId("edifact-desadv", 1)
    description: ClassVar[str] = "EDIFACT DESADV D93A…D16B (EANCOM despatch advice / följesedel)"
    profile: ClassVar[Profile] = DESADV


def names_message(head: bytes, message_type: str) -> bool:
    """Whether a UNH in the head names ``message_type`` (UNA separators and level B separators respected)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("latin-1")
    plus, colon = "+", ":"
    if text.startswith("UNA") and len(text) > 8:
        plus, colon = text[4], text[3]
    elif text.startswith("UNB\x1d"):
        plus, colon = "\x1d", "\x1f"
    plus, colon = re.escape(plus), re.escape(colon)
    return re.search(f"UNH{plus}[^{plus}]*{plus}{re.escape(message_type)}{colon}", text) is not None


def translate_message(interchange: Interchange, message: Message, profile: Profile) -> OrderConfirmation | FailedRecord:
    """One message → record, or a FailedRecord naming the message."""
    reference_text = f"message {message.index} (UNH {message.ref})"
    try:
        _check_message(message, profile)
        return _read(interchange, message, profile)
    except DocumentError as exc:
        return FailedRecord(exc, reference_text)
    except ArithmeticError as exc:  # a value Decimal cannot hold exactly
        error = InvalidValueError(f"value out of range: {exc}", location=message.location())
        return FailedRecord(error, reference_text)


def _check_message(message: Message, profile: Profile) -> None:
    if message.error is not None:
        raise message.error
    if message.type != profile.message_type:
        text = f"{message.type} message is not an {profile.message_type}"
        raise UnknownFormatError(text, location=message.location())
    match = re.fullmatch(r"D(\d\d)([A-Z])", message.version)
    year = int(match.group(1)) if match else 0
    directory = (year + (1900 if year >= 90 else 2000), match.group(2)) if match else None
    if directory is None or not _DIRECTORIES[0] <= directory <= _DIRECTORIES[1]:
        text = f"{profile.message_type} {message.version or '(no version)'} is not supported (D93A…D16B)"
        raise UnknownFormatError(text, location=message.location())


def _read(interchange: Interchange, message: Message, profile: Profile) -> OrderConfirmation:
    body = message.segments
    start = next((i for i, s in enumerate(body) if s.tag in _BODY_START), len(body))
    header = _read_header(message, body[:start])
    groups = line_groups(body[start:])
    lines = tuple(order_line(message, profile, n, group) for n, group in enumerate(groups, start=1))
    return _assemble(interchange, message, profile, header, lines, groups)


# --- header ----------------------------------------------------------------------------------------


@dataclass
class _Header:
    """What the segments before the first LIN/CPS say."""

    bgm: Segment | None = None
    dtms: list[Segment] = field(default_factory=list)  # the message's own DTMs (not those of a group)
    references: list[Reference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)
    customer_number: str | None = None
    currency: str | None = None
    owner: str | None = ""  # whose RFFs follow: "" the document, a NAD qualifier, None another group


def _read_header(message: Message, segments: Sequence[Segment]) -> _Header:
    header = _Header()
    in_group = False
    for segment in segments:
        if segment.tag in _HEADER_GROUPS:
            in_group = True
            if segment.tag != "RFF":
                header.owner = (segment.qualifier or "?") if segment.tag == "NAD" else None
        _header_segment(header, segment, in_group)
    return header


def _header_segment(h: _Header, segment: Segment, in_group: bool) -> None:
    tag = segment.tag
    if tag == "BGM" and h.bgm is None:
        h.bgm = segment
    elif tag == "DTM" and not in_group:
        h.dtms.append(segment)
    elif tag == "FTX" and (text := free_text(segment)):
        h.notes.append(text)
        h.references.append(Reference("FREE_TEXT", text))
    elif tag == "NAD":
        h.parties.setdefault(segment.qualifier or "?", _party(segment))
    elif tag == "RFF":
        _header_reference(h, segment)
    elif tag == "CUX" and segment.get(0, 1) and (h.currency is None or segment.get(0, 0) == "2"):
        h.currency = segment.get(0, 1)  # C504 6347 = 2: the reference currency; else the first one


def _header_reference(h: _Header, rff: Segment) -> None:
    kind, value, owner = rff.qualifier, rff.get(0, 1), h.owner
    if value is None or owner is None:
        return
    found = reference(rff)
    if kind == "IT" and owner in ("", "BY"):
        h.customer_number = h.customer_number or value
    elif found is not None and (owner == "" or (owner == "BY" and kind == "CR")):
        h.references.append(found)
    elif owner and kind == "VA" and h.parties[owner].vat_number is None:
        h.parties[owner] = dataclasses.replace(h.parties[owner], vat_number=value)
    elif owner and kind in ("XA", "GN") and h.parties[owner].org_number is None:
        h.parties[owner] = dataclasses.replace(h.parties[owner], org_number=value)


def _party(nad: Segment) -> Party:
    """NAD: party id (GLN when agency 9 = GS1 or scheme 0088), name, street, city, postcode, country."""
    party_id = nad.get(1, 0)
    is_gln = party_id is not None and (nad.get(1, 2) == "9" or nad.get(1, 1) == "0088")
    return Party(
        name=" ".join(nad.texts(3, 0, 4)) or " ".join(nad.texts(2, 0, 4)) or None,  # C080 name, else C058
        gln=party_id if is_gln else None,
        party_ids=(party_id,) if party_id and not is_gln else (),
        street=" ".join(nad.texts(4, 0, 3)) or None,
        city=nad.get(5, 0),
        postal_zone=nad.get(7, 0),
        country_code=nad.get(8, 0),
    )


# --- assembly ---------------------------------------------------------------------------------------


def _assemble(
    interchange: Interchange,
    message: Message,
    profile: Profile,
    header: _Header,
    lines: tuple[OrderLine, ...],
    groups: list[LineGroup],
) -> OrderConfirmation:
    bgm, found_dates = header.bgm, dates(message, header.dtms)
    number, issued = (bgm.get(1) if bgm else None), found_dates.get("137")
    if number is None or issued is None:
        missing = " and ".join(w for v, w in ((number, "number (BGM 1004)"), (issued, "date (DTM+137)")) if v is None)
        raise MissingFieldError(f"no document {missing}", location=message.location(bgm))
    delivery, basis = first_date(found_dates, profile.header_dates)
    buyer = header.parties.get("BY") or Party()
    return OrderConfirmation(
        document_number=number,
        kind=profile.kind,
        issue_date=issued,
        document_version=(bgm.get(1, 1) or bgm.get(1, 2)) if bgm else None,
        seller=header.parties.get("SU") or header.parties.get("SE") or Party(),
        buyer=buyer,
        customer_number=header.customer_number or next(iter(buyer.party_ids), None),
        currency=header.currency,
        delivery_date=delivery,
        response_code=bgm.get(2) if bgm and profile.kind == "ORDER_RESPONSE" else None,
        references=tuple(dict.fromkeys(header.references)),
        lines=lines,
        notes=tuple(header.notes),
        extra=_extra(interchange, message, header, DATE_BASIS.get(basis or ""), found_dates.get("11"))
        | _line_extra(lines, groups),
    )


def _extra(
    interchange: Interchange, message: Message, header: _Header, basis: str | None, despatched: date | None
) -> dict[str, str]:
    """Envelope facts, BGM 1225, the delivery date's basis and the delivery party (NAD+DP, else ST)."""
    bgm, delivery_party = header.bgm, header.parties.get("DP") or header.parties.get("ST") or Party()
    optional = {
        "association": message.association,  # EANCOM subset, e.g. EAN009
        "message_function": bgm.get(2) if bgm else None,
        "test_interchange": "1" if interchange.test else None,
        "delivery_date_basis": basis,
        "despatch_date": despatched.isoformat() if despatched else None,
        "delivery_party_id": delivery_party.gln or next(iter(delivery_party.party_ids), None),
        "delivery_party_name": delivery_party.name,
        "notices": "; ".join(f"[{n.rule}] {n.message}" for n in interchange.notices) or None,
    }
    return {
        "format": "edifact",
        "charset": interchange.charset,
        "syntax_version": interchange.syntax_version,
        "message_version": message.version,
        "message_ref": message.ref,
        "sender": interchange.sender,
        "recipient": interchange.recipient,
        "interchange_ref": interchange.control_ref,
        **{key: value for key, value in optional.items() if value},
    }


def _line_extra(lines: tuple[OrderLine, ...], groups: list[LineGroup]) -> dict[str, str]:
    """``line.<id>.package`` and ``line.<id>.sscc``: where a DESADV line sits in the package hierarchy."""
    extra: dict[str, str] = {}
    for line, group in zip(lines, groups, strict=True):
        if group.package:
            extra[f"line.{line.line_id}.package"] = group.package
        if group.sscc:
            extra[f"line.{line.line_id}.sscc"] = " ".join(group.sscc)
    return extra
