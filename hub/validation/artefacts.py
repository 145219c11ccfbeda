"""The official rule files and their compiled forms: owns where they are read and how they are cached.

The artefacts are third-party (CEN TC434, OpenPeppol) and never part of the project: they are read
from a configured directory (``HUB_VALIDATION_ARTEFACTS``). What we derive from them — the Peppol
stylesheet compiled from the ``.sch`` and the rewritten (:mod:`hub.validation.optimise`) CEN stylesheet —
is written to a cache directory under a name that carries the SHA-256 of everything it was made from
(source file, skeleton, rewrite version), so a restart reuses it and a new release never meets a stale one.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ConfigError
from hub.validation.optimise import REWRITE_VERSION, optimise
from hub.validation.schematron import compile_schematron, skeleton_digest

CEN_XSLT = "EN16931-UBL-validation.xslt"
PEPPOL_SCH = "PEPPOL-EN16931-UBL.sch"
WHERE_TO_GET = (
    "Get the official releases and put the files in that directory: "
    f'{CEN_XSLT} from CEN TC434\'s "eInvoicing-EN16931" releases on GitHub '
    "(github.com/ConnectingEurope/eInvoicing-EN16931/releases, ubl/xslt/), and "
    f'{PEPPOL_SCH} from OpenPeppol\'s "peppol-bis-invoice-3" releases on GitHub '
    "(github.com/OpenPEPPOL/peppol-bis-invoice-3/releases, rules/sch/)."
)


@dataclass(frozen=True, slots=True)
class Stylesheets:
    """Ready-to-compile XSLT files: the CEN EN 16931 rules and the Peppol (incl. national) rules."""

    cen: Path
    peppol: Path


def prepare(artefacts_dir: Path, cache_dir: Path, *, optimise_rules: bool = True) -> Stylesheets:
    """The two stylesheets, built into ``cache_dir`` unless an identical build is already there."""
    cen_source = require(artefacts_dir, CEN_XSLT)
    sch_source = require(artefacts_dir, PEPPOL_SCH)
    skeleton = skeleton_digest().encode()
    if optimise_rules:
        cen = _cached(
            cache_dir,
            "cen-ubl",
            [b"cen", REWRITE_VERSION.encode(), cen_source.read_bytes()],
            lambda: optimise(cen_source.read_bytes(), CEN_XSLT),
        )
    else:
        cen = cen_source  # exactly as published
    rewrite = REWRITE_VERSION.encode() if optimise_rules else b"as-published"
    peppol = _cached(
        cache_dir,
        "peppol-ubl",
        [b"peppol", skeleton, rewrite, sch_source.read_bytes()],
        lambda: _peppol(sch_source, optimise_rules),
    )
    return Stylesheets(cen=cen, peppol=peppol)


def require(artefacts_dir: Path, name: str) -> Path:
    """``artefacts_dir / name``, or a ConfigError that says what is missing and where to get it."""
    if not artefacts_dir.is_dir():
        raise ConfigError(f"the validation artefacts directory {artefacts_dir} does not exist. {WHERE_TO_GET}")
    path = artefacts_dir / name
    if not path.is_file():
        raise ConfigError(f"the validation artefact {name} is missing from {artefacts_dir}. {WHERE_TO_GET}")
    return path


def _peppol(sch_source: Path, optimise_rules: bool) -> bytes:
    compiled = compile_schematron(sch_source)
    return optimise(compiled, PEPPOL_SCH) if optimise_rules else compiled


def _cached(cache_dir: Path, stem: str, key_parts: list[bytes], build: Callable[[], bytes]) -> Path:
    """``cache_dir/stem-<sha256>.xsl``, built (and written atomically) only if it is not there yet."""
    key = hashlib.sha256()
    for part in key_parts:
        key.update(hashlib.sha256(part).digest())
    path = cache_dir / f"{stem}-{key.hexdigest()[:32]}.xsl"
    if path.is_file():
        return path
    content = build()
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
    except OSError as exc:
        raise ConfigError(f"cannot write the validation cache {cache_dir}: {exc}") from exc
    return path
