"""Format sniffing: a cheap look at the first bytes of a document, never a full parse.

Owns :func:`sniff`, which tells XML (with its business root and UBL ``CustomizationID``),
EDIFACT, NELFO and generic semicolon CSV apart. It reads at most :data:`HEAD_SIZE` bytes and never
raises, whatever the bytes are: deciding that a document is bad is the translator's job.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.formats.base import Sniffed
from hub.formats.xmlsafe import NS, SBDH_HEADER, SBDH_ROOT, UTF8_BOM, ascii_view, scan_prolog, wide_codec

HEAD_SIZE = 64 * 1024
_CUSTOMIZATION_ID = f"{{{NS['cbc']}}}CustomizationID"
_NELFO_HEADS = (b"VH;", b"PH;", b"RH;", b"BH;", b"CH;", b"DH;")


def sniff(head: bytes) -> Sniffed:
    """Classify a document by its first bytes (only the first :data:`HEAD_SIZE` are looked at)."""
    head = head[:HEAD_SIZE]
    text = _strip_start(head)
    if _looks_like_xml(head, text):
        root, customization_id = _xml_facts(head)
        return Sniffed("xml", root=root, customization_id=customization_id, head=head)
    if text.startswith((b"UNA", b"UNB+")):
        return Sniffed("edifact", head=head)
    first_record = text.split(b"\n", 1)[0]
    if first_record.startswith(_NELFO_HEADS) and b";EFONELFO;" in first_record:
        return Sniffed("nelfo", head=head)
    if b";" in first_record and b"\x00" not in text:
        return Sniffed("csv", head=head)
    return Sniffed("unknown", head=head)


def _strip_start(head: bytes) -> bytes:
    """The head without a UTF-8 byte order mark and leading whitespace."""
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    return body.lstrip(b" \t\r\n")


def _looks_like_xml(head: bytes, text: bytes) -> bool:
    # UTF-16/32 documents start with a BOM or a NUL-padded "<"; ascii_view makes them readable.
    return text.startswith(b"<") or (wide_codec(head) is not None and ascii_view(head).lstrip().startswith(b"<"))


def _xml_facts(head: bytes) -> tuple[str | None, str | None]:
    """Business root (Clark name, after SBDH) and ``cbc:CustomizationID`` from a possibly truncated head."""
    view = ascii_view(head)
    prolog = scan_prolog(view)
    start = prolog.root_start
    if start is None and prolog.markup_at is not None:
        start = _root_after_doctype(view, prolog.markup_at)
    if start is None:
        return None, None
    # Feed lxml only the XML declaration (it names the encoding) and what follows the prolog, so a
    # DOCTYPE never reaches a parser, not even here; the translator refuses such a document later.
    # A transcoded view is UTF-8 whatever its declaration says, so the declaration is dropped then.
    declaration = view[: prolog.declaration_end] if wide_codec(head) is None else b""
    return _scan_elements(declaration + b"\n" + view[start:])


def _root_after_doctype(view: bytes, markup_at: int) -> int | None:
    """Where the root starts after a DOCTYPE (internal subset included); a best guess, or None."""
    first_close = view.find(b">", markup_at)
    has_subset = b"[" in view[markup_at:first_close] if first_close >= 0 else False
    close = view.find(b"]>", markup_at) + 1 if has_subset else first_close
    if close <= 0:
        return None
    rest = scan_prolog(view[close + 1 :])
    return None if rest.root_start is None else close + 1 + rest.root_start


def _events(data: bytes) -> Iterator[tuple[str, etree._Element]]:
    """Start/end events from a locked-down incremental parser (no entities, DTD or network)."""
    return etree.iterparse(  # type: ignore[no-any-return, unused-ignore]
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _scan_elements(data: bytes) -> tuple[str | None, str | None]:
    """Walk events until the business root's ``cbc:CustomizationID`` closes or the head runs out."""
    root: str | None = None
    root_depth, depth = 1, 0
    # A truncated or broken head ends the scan with whatever it found so far; lxml raises several
    # types (XMLSyntaxError, LookupError for an unknown encoding, ...) and sniffing must never raise.
    with contextlib.suppress(Exception):
        for event, el in _events(data):
            if event == "start":
                depth += 1
                root_depth = 2 if depth == 1 and el.tag == SBDH_ROOT else root_depth
                if depth == root_depth and root is None and el.tag not in (SBDH_ROOT, SBDH_HEADER):
                    root = el.tag if isinstance(el.tag, str) else None
            else:
                if root is not None and depth == root_depth + 1 and el.tag == _CUSTOMIZATION_ID:
                    return root, (el.text or "").strip() or None
                depth -= 1
    return root, None
