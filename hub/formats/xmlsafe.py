"""Safe XML intake for every XML translator, and the namespaced lookups they share.

This module owns three things:

* the *prolog guard*: a document whose prolog holds a ``<!DOCTYPE`` (or any other markup
  declaration) is refused before lxml sees a byte of it (DESIGN §9.7) — no DTD, no entities, no
  XXE, no billion laughs;
* :func:`parse_xml`: size cap, a locked-down lxml parser, line/column on syntax errors, and the
  unwrapping of a Peppol SBDH envelope;
* :class:`Node`: an element plus the XPath a person reads in an error and the namespace prefixes its
  relative paths use (UBL 2.1's by default), with typed value access (:class:`~decimal.Decimal`,
  :class:`~datetime.date`) that raises the hub's document errors.

Pure: bytes in, elements out; no file, network, clock or environment access.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.errors import HostileInputError, InvalidValueError, MissingFieldError, ParseError

SBDH_NS = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
SBDH_ROOT = f"{{{SBDH_NS}}}StandardBusinessDocument"
SBDH_HEADER = f"{{{SBDH_NS}}}StandardBusinessDocumentHeader"

NS: Mapping[str | None, str] = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "sh": SBDH_NS,
}

UTF8_BOM = b"\xef\xbb\xbf"
# Encodings that are not ASCII-compatible: the prolog guard must read them decoded, or a
# UTF-16 "<!DOCTYPE" would slip past a byte search. Order matters: UTF-32 BOMs start like UTF-16's.
_WIDE_ENCODINGS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC "<?xm"
)
_WHITESPACE = b" \t\r\n"
# libxml2's own resource limits (active because huge_tree=False) report these; they are attacks
# or runaway generators rather than typos, so they are hostile input, not parse errors.
_LIMIT_MARKERS = ("XML_PARSE_HUGE", "Excessive depth", "Huge input lookup", "entity reference loop")
_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*(\(.*\))?\s*$")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True, slots=True)
class Prolog:
    """What precedes the root element, found without an XML parser (offsets into the scanned bytes)."""

    declaration_end: int = 0  # end of ``<?xml …?>``; 0 when there is none
    root_start: int | None = None  # offset of the root's ``<``, if the prolog was clean and complete
    markup_at: int | None = None  # offset of a ``<!DOCTYPE``/``<!ENTITY``/other declaration


def wide_codec(data: bytes) -> str | None:
    """The Python codec of a document that is not ASCII-compatible (UTF-16/32, EBCDIC), else None."""
    for marker, codec in _WIDE_ENCODINGS:
        if data.startswith(marker):
            return codec
    return None


def ascii_view(data: bytes) -> bytes:
    """The bytes the prolog guard scans: a wide encoding transcoded to UTF-8, a UTF-8 BOM dropped."""
    codec = wide_codec(data)
    if codec is not None:
        return data.decode(codec, errors="replace").lstrip("\ufeff").encode("utf-8")
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data


def scan_prolog(data: bytes) -> Prolog:
    """Walk the prolog of ASCII-compatible bytes: XML declaration, PIs, comments, then the root."""
    pos, declaration_end = 0, 0
    while True:
        while pos < len(data) and data[pos] in _WHITESPACE:
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            if end < 0:
                return Prolog(declaration_end)
            if pos == 0 and data.startswith(b"<?xml"):
                declaration_end = end + 2
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                return Prolog(declaration_end)
            pos = end + 3
        elif data.startswith(b"<!", pos):
            return Prolog(declaration_end, markup_at=pos)
        elif data.startswith(b"<", pos):
            return Prolog(declaration_end, root_start=pos)
        else:
            return Prolog(declaration_end)  # text before the root: let the parser word the error


def refuse_hostile_prolog(data: bytes) -> None:
    """Raise :class:`HostileInputError` when the prolog declares a DOCTYPE, entities or a DTD."""
    view = ascii_view(data)
    markup_at = scan_prolog(view).markup_at
    if markup_at is None:
        return
    line = view.count(b"\n", 0, markup_at) + 1
    found = view[markup_at : markup_at + 10].decode("ascii", errors="replace")
    raise HostileInputError(
        f"XML with a DOCTYPE or entity declaration is refused (found {found!r}); send the document without a DTD",
        location=f"line {line}",
    )


def make_parser() -> etree.XMLParser:
    """A parser that never resolves entities, loads a DTD, touches the network or lifts limits."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,  # so that element text is never split by a comment
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse a whole XML document safely and return the business root (an SBDH envelope unwrapped)."""
    if len(data) > max_bytes:
        raise HostileInputError(
            f"XML document is {len(data)} bytes, over the limit of {max_bytes} bytes for XML documents"
        )
    refuse_hostile_prolog(data)
    try:
        root = etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as err:
        raise _syntax_error(err) from None
    # Belt and braces: an encoding the guard could not read must still not smuggle a DTD in.
    if root.getroottree().docinfo.doctype:
        raise HostileInputError("XML with a DOCTYPE is refused", location="line 1")
    return unwrap_sbdh(root)


def _syntax_error(err: etree.XMLSyntaxError) -> ParseError | HostileInputError:
    line, column = err.position if err.position else (err.lineno or 0, 0)
    reason = _POSITION_SUFFIX.sub("", str(err.msg or err)).strip()
    location = f"line {line}, column {column}"
    if any(marker in reason for marker in _LIMIT_MARKERS):
        return HostileInputError(f"XML exceeds a safety limit: {reason!r}", location=location)
    return ParseError(f"XML is not well-formed: {reason!r}", location=location)


def unwrap_sbdh(root: etree._Element) -> etree._Element:
    """The payload of a ``StandardBusinessDocument``: its first element child that is not the header."""
    if root.tag != SBDH_ROOT:
        return root
    for child in root.iterchildren(tag=etree.Element):
        if child.tag != SBDH_HEADER:
            return child
    raise MissingFieldError(
        "SBDH envelope holds no business document after its header", location="/sh:StandardBusinessDocument"
    )


def prefixed(tag: str, ns: Mapping[str | None, str] = NS) -> str:
    """``{ns}Local`` as ``cbc:Local`` for the namespaces in ``ns`` (:data:`NS` by default), else just ``Local``.

    A namespace mapped to the ``None`` prefix (a document's default namespace) also reads as just ``Local``.
    """
    qname = etree.QName(tag)
    prefix = next((p for p, uri in ns.items() if uri == qname.namespace), None)
    return f"{prefix}:{qname.localname}" if prefix else str(qname.localname)


def _default_ns() -> Mapping[str | None, str]:
    return NS


_STEPS: dict[tuple[str, int], tuple[str, ...] | None] = {}


def _clark_steps(rel: str, ns: Mapping[str | None, str]) -> tuple[str, ...] | None:
    """``cac:Price/cbc:PriceAmount`` as Clark tags, or None for anything but plain child steps (cached)."""
    key = (rel, id(ns))  # namespace maps are module constants that live as long as the process
    if key not in _STEPS:
        _STEPS[key] = _parse_steps(rel, ns)
    return _STEPS[key]


def _parse_steps(rel: str, ns: Mapping[str | None, str]) -> tuple[str, ...] | None:
    steps = []
    for step in rel.split("/"):
        if not step or any(c in step for c in "[]@*.(){}"):
            return None
        prefix, _, local = step.rpartition(":")
        uri = ns.get(prefix or None)
        if uri is None and prefix:
            return None
        steps.append(f"{{{uri}}}{local}" if uri else local)
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class Node:
    """An element, its XPath (``/Invoice/cac:InvoiceLine[2]``) and the prefixes its relative paths use.

    The prefixes are those of :data:`NS` (UBL 2.1: ``cac:Price/cbc:PriceAmount``) unless ``ns`` names others;
    a ``None`` key is the default namespace, so unprefixed steps find its elements. Children are nodes of the
    same class and map. Subclasses may read dates differently by overriding :meth:`parse_date`.
    """

    el: etree._Element
    path: str
    ns: Mapping[str | None, str] = field(default_factory=_default_ns, hash=False)
    # Children by tag, per element, shared by every node of one document: a translator asks each element
    # for many children, and lxml's find() costs ~10 µs a call while a dict lookup costs ~0.1 µs.
    _index: dict[Any, dict[str, list[Any]]] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @classmethod
    def root(cls, el: etree._Element, ns: Mapping[str | None, str] = NS, path: str | None = None) -> Self:
        """The node of a document root; its path is ``path``, else ``/`` and the root's tag prefixed by ``ns``."""
        return cls(el, path or "/" + prefixed(el.tag, ns), ns)

    def at(self, rel: str) -> str:
        return f"{self.path}/{rel}"

    def _make(self, el: etree._Element, path: str) -> Self:
        return type(self)(el, path, self.ns, self._index)

    def _find_all(self, rel: str) -> list[Any]:
        steps = _clark_steps(rel, self.ns)
        if steps is None:  # not a plain child path: let lxml evaluate it
            return list(self.el.findall(rel, self.ns))
        current = [self.el]
        for tag in steps:
            current = [c for e in current for c in self._children_of(e).get(tag, ())]
        return current

    def _find(self, rel: str) -> Any:
        found = self._find_all(rel)
        return found[0] if found else None

    def _children_of(self, el: Any) -> dict[str, list[Any]]:
        index = self._index.get(el)
        if index is None:
            index = {}
            for child in el.iterchildren(etree.Element):
                index.setdefault(child.tag, []).append(child)
            self._index[el] = index
        return index

    def child(self, rel: str) -> Self | None:
        found = self._find(rel)
        return None if found is None else self._make(found, self.at(rel))

    def children(self, rel: str) -> list[Self]:
        where = self.at(rel) if "/" not in rel else f"({self.at(rel)})"
        return [self._make(el, f"{where}[{i}]") for i, el in enumerate(self._find_all(rel), start=1)]

    def text(self, rel: str | None = None) -> str | None:
        """Stripped text of the child at ``rel`` (or of this element); None when absent or empty."""
        return _clean_text(self.el if rel is None else self._find(rel))

    def texts(self, rel: str) -> list[str]:
        """Stripped, non-empty texts of every match of ``rel``, in document order."""
        return [t for t in map(_clean_text, self._find_all(rel)) if t is not None]

    def attr(self, rel: str | None, name: str) -> str | None:
        """Stripped attribute ``name`` of the child at ``rel`` (or of this element); None when absent or empty."""
        el = self.el if rel is None else self._find(rel)
        value = None if el is None else el.get(name)
        if value is None:
            return None
        return value.strip() or None

    def require_text(self, rel: str, what: str) -> str:
        value = self.text(rel)
        if value is None:
            raise MissingFieldError(f"{what} is missing or empty ({rel})", location=self.at(rel))
        return value

    def decimal(self, rel: str) -> Decimal | None:
        value = self.text(rel)
        return None if value is None else to_decimal(value, self.at(rel))

    def require_decimal(self, rel: str, what: str) -> Decimal:
        return to_decimal(self.require_text(rel, what), self.at(rel))

    def date(self, rel: str) -> datetime.date | None:
        value = self.text(rel)
        return None if value is None else self.parse_date(value, self.at(rel))

    def require_date(self, rel: str, what: str) -> datetime.date:
        return self.parse_date(self.require_text(rel, what), self.at(rel))

    def parse_date(self, text: str, location: str) -> datetime.date:
        """How this node reads a date: an ``xsd:date`` (:func:`to_date`)."""
        return to_date(text, location)


def _clean_text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return str(el.text).strip() or None


def to_decimal(text: str, location: str) -> Decimal:
    """The exact decimal the document wrote (``"25.0"`` stays ``Decimal("25.0")``); no exponents or NaN."""
    value = text.strip()
    if not _DECIMAL.fullmatch(value):
        raise InvalidValueError(f"{value!r} is not a decimal number", location=location)
    return Decimal(value)


def to_date(text: str, location: str) -> datetime.date:
    """An ``xsd:date`` (``YYYY-MM-DD`` with an optional zone, which a calendar date ignores)."""
    value = text.strip()
    match = _DATE.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        return datetime.date.fromisoformat(match.group(1))
    except ValueError:
        raise InvalidValueError(f"{value!r} is not a date (YYYY-MM-DD)", location=location) from None
