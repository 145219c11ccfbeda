"""ISO Schematron → XSLT, without Java: owns the compilation of the Peppol ``.sch`` rule file.

OpenPeppol publishes its rules (``PEPPOL-EN16931-UBL.sch``, with the national SE/NO/DK/… rules) as ISO
Schematron with ``queryBinding="xslt2"``; the compiled XSLT exists only in release zips. We compile it
here with the ISO Schematron skeleton that ships inside lxml
(``lxml/isoschematron/resources/xsl/iso-schematron-xslt1``), run by libxslt in three stages::

    iso_dsdl_include.xsl → iso_abstract_expand.xsl → iso_svrl_for_xslt1.xsl (allow-foreign=true)

Why this way: it needs only packages the project already depends on (lxml, saxonche), no JVM and no
download, and the skeleton is the reference implementation the official artefacts were built with.
The skeleton only *copies* the rules' XPath text into the generated stylesheet, so XPath 2 expressions
and the ``xsl:function`` helpers (passed through by ``allow-foreign``) survive untouched; the schema's
``queryBinding`` is set to ``xslt`` so that the XSLT1 skeleton accepts it, and the generated
stylesheet's ``version`` is raised to ``2.0`` so that Saxon-HE runs it with XPath 2 semantics (under
1.0 numbers become doubles and ``u:gln`` fails). This reproduced the official Swedish rule tests
(SE-R-001…013). Alternatives considered: SchXslt (an XSLT 2 compiler, but not shipped by any package
we can install) and pure-Python Schematron interpreters (far too slow for the throughput goal).

Locations use the skeleton's notation 2 (``/Invoice/cac:AccountingSupplierParty/…``: the document's
own prefixes, meant for people) instead of notation 1 (``/*[local-name()='Invoice' and
namespace-uri()='…']/…``, ~100 characters a step); ``svrl:fired-rule`` output is off (never read).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from lxml import etree, isoschematron  # type: ignore[import-untyped, unused-ignore]

from hub.errors import ConfigError

SKELETON_DIR = Path(isoschematron.__file__).parent / "resources" / "xsl" / "iso-schematron-xslt1"
_STAGES = ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt1.xsl")
_SKELETON_FILES = (*_STAGES, "iso_schematron_skeleton_for_xslt1.xsl")
_SVRL_PARAMETERS = {"allow-foreign": "true", "generate-fired-rule": "false"}
_XSL = "{http://www.w3.org/1999/XSL/Transform}"
_XSLT2_BINDINGS = frozenset({"xslt2", "xslt3"})


def skeleton_digest() -> str:
    """SHA-256 over the skeleton files: part of the cache key of every stylesheet compiled with them."""
    digest = hashlib.sha256()
    for name in _SKELETON_FILES:
        digest.update((SKELETON_DIR / name).read_bytes())
    return digest.hexdigest()


def compile_schematron(sch_path: Path) -> bytes:
    """The XSLT 2.0 stylesheet (UTF-8 bytes) that reports ``sch_path``'s rules as SVRL."""
    schema = _parse(sch_path)
    root = schema.getroot()
    if (root.get("queryBinding") or "").lower() in _XSLT2_BINDINGS:
        root.set("queryBinding", "xslt")  # the rules stay XPath 2; only the skeleton's check is satisfied
    include, expand, svrl = (_stage(name) for name in _STAGES)
    try:
        parameters = {key: etree.XSLT.strparam(value) for key, value in _SVRL_PARAMETERS.items()}
        result = svrl(expand(include(schema)), **parameters)
    except etree.XSLTError as exc:
        raise ConfigError(f"cannot compile the Schematron rules in {sch_path}: {exc}") from exc
    stylesheet = result.getroot()
    if stylesheet is None:
        raise ConfigError(f"compiling {sch_path} produced no stylesheet: {_messages(svrl)}")
    stylesheet.set("version", "2.0")
    _readable_locations(stylesheet)
    return bytes(etree.tostring(result, xml_declaration=True, encoding="UTF-8"))


def _readable_locations(stylesheet: Any) -> None:
    """Have ``@location`` use the skeleton's notation 2 (the XSLT1 SVRL stage hard-codes notation 1)."""
    for attribute in stylesheet.iter(f"{_XSL}attribute"):
        if attribute.get("name") == "location":
            for path in attribute.iter(f"{_XSL}apply-templates"):
                if path.get("mode") == "schematron-get-full-path":
                    path.set("mode", "schematron-get-full-path-2")


def _parse(path: Path) -> Any:
    """Parse a trusted artefact file (no DTD loading, no network), keeping its base URI for includes."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.parse(str(path), parser)
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"cannot read the Schematron rules {path}: {exc}") from exc


def _stage(name: str) -> Any:
    return etree.XSLT(etree.parse(str(SKELETON_DIR / name)))


def _messages(transform: Any) -> str:
    return "; ".join(str(entry.message) for entry in transform.error_log) or "no message"
