"""The official EN 16931 (CEN) and Peppol rules run by Saxon-HE: owns :class:`OfficialValidator`.

A document is parsed once into a Saxon tree; the CEN stylesheet — and, for Peppol documents, the
Peppol stylesheet — run on that same tree, and a third small stylesheet flattens each SVRL report
(:mod:`hub.validation.svrl`). Stylesheets are compiled once per process; what they are compiled from
is prepared and cached on disk by :mod:`hub.validation.artefacts`.

Threads: one process-wide lock serialises every call into saxonche. Its objects (processor, document
builder, executables) are not thread-safe, and the extension holds the GIL while Saxon works — a
clone-per-thread design measured no faster on two cores — so the lock costs no throughput.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import saxonche  # type: ignore[import-not-found, import-untyped, unused-ignore]  # no stubs

from hub.canonical.invoice import ValidationIssue
from hub.errors import ConfigError
from hub.validation import svrl
from hub.validation.artefacts import prepare

PARSE_RULE = "XML-PARSE"
EVALUATION_RULE = "RULES-NOT-EVALUATED"
_SAXON = threading.Lock()  # guards every saxonche object below and in OfficialValidator
_processor: Any = None
_executables: dict[str, Any] = {}  # SHA-256 of the stylesheet text → compiled executable
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")


class OfficialValidator:
    """EN 16931 + Peppol business rules, compiled once; ``validate`` may be called from any thread."""

    def __init__(self, cen: Any, peppol: Any, reader: Any) -> None:
        """Use :meth:`load`; the arguments are compiled Saxon executables."""
        self._cen = cen
        self._peppol = peppol
        self._reader = reader
        with _SAXON:
            self._builder = _saxon().new_document_builder()

    @classmethod
    def load(cls, artefacts_dir: Path, cache_dir: Path, *, optimise: bool = True) -> OfficialValidator:
        """Compile the rules in ``artefacts_dir`` (see :mod:`hub.validation.artefacts` for the files).

        ``optimise=False`` runs the stylesheets exactly as published (slower; for checking the rewrites).
        Raises :class:`ConfigError` if a file is missing or unusable.
        """
        stylesheets = prepare(artefacts_dir, cache_dir, optimise_rules=optimise)
        with _SAXON:
            cen = _compiled(stylesheets.cen.read_bytes(), stylesheets.cen)
            peppol = _compiled(stylesheets.peppol.read_bytes(), stylesheets.peppol)
            reader = _compiled(svrl.READER_XSLT.encode(), None)
        return cls(cen, peppol, reader)

    def validate(self, data: bytes, *, peppol: bool) -> Sequence[ValidationIssue]:
        """Every finding (fatal and warning) of the CEN rules, plus the Peppol rules if ``peppol``."""
        text = _decoded(data)
        if isinstance(text, ValidationIssue):
            return [text]
        stylesheets = [("EN 16931 (CEN)", self._cen)] + ([("Peppol", self._peppol)] if peppol else [])
        with _SAXON:
            try:
                document = self._builder.parse_xml(xml_text=text, encoding="utf-8")
            except saxonche.PySaxonApiError as exc:
                return [ValidationIssue(PARSE_RULE, "fatal", f"not well-formed XML: {_first_line(exc)}")]
            reports = [self._report(name, stylesheet, document) for name, stylesheet in stylesheets]
        found = svrl.issues(report for report in reports if isinstance(report, str))
        return [*found, *(report for report in reports if isinstance(report, ValidationIssue))]

    def _report(self, name: str, stylesheet: Any, document: Any) -> str | ValidationIssue:
        """One stylesheet's SVRL, flattened by the reader while still a Saxon tree (call with the lock).

        A dynamic error in the rules (the official ones cast amounts with ``xs:decimal``, so ``abc`` as an
        amount stops them) becomes one fatal finding: the document is not shown valid, nor does it crash.
        """
        try:
            report = stylesheet.transform_to_value(xdm_node=document)
            if report is None:
                return ""
            return str(self._reader.transform_to_string(xdm_node=report.item_at(0)) or "")
        except saxonche.PySaxonApiError as exc:
            message = f"the {name} rules could not be evaluated on this document: {_first_line(exc)}"
            return ValidationIssue(EVALUATION_RULE, "fatal", message)


def load_validator(artefacts_dir: Path | None, cache_dir: Path) -> OfficialValidator | None:
    """The official rules from ``artefacts_dir``; None when no directory is configured."""
    if artefacts_dir is None:
        return None
    return OfficialValidator.load(artefacts_dir, cache_dir)


def _saxon() -> Any:
    """The process's one Saxon processor (call with ``_SAXON`` held)."""
    global _processor
    if _processor is None:
        _processor = saxonche.PySaxonProcessor(license=False)
    return _processor


def _compiled(stylesheet: bytes, path: Path | None) -> Any:
    """The executable for ``stylesheet``, compiled once per process (call with ``_SAXON`` held)."""
    key = hashlib.sha256(stylesheet).hexdigest()
    if key not in _executables:
        compiler = _saxon().new_xslt30_processor()
        try:
            if path is None:
                _executables[key] = compiler.compile_stylesheet(stylesheet_text=stylesheet.decode())
            else:
                _executables[key] = compiler.compile_stylesheet(stylesheet_file=str(path))
        except saxonche.PySaxonApiError as exc:
            raise ConfigError(f"Saxon cannot compile the validation stylesheet {path}: {exc}") from exc
    return _executables[key]


def _decoded(data: bytes) -> str | ValidationIssue:
    """The document as text, decoded as its BOM or XML declaration says; DOCTYPEs are refused."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    declared = _DECLARED.match(data)
    try:
        text = data.decode(encoding or (declared.group(1).decode() if declared else "utf-8"))
    except (LookupError, UnicodeDecodeError) as exc:
        return ValidationIssue(PARSE_RULE, "fatal", f"cannot decode the document: {exc}")
    if "<!DOCTYPE" in text:
        return ValidationIssue(PARSE_RULE, "fatal", "a DOCTYPE is not allowed (DESIGN §9.7)")
    return text


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n", 1)[0].split())
