"""The hub's translators, listed explicitly, and the choice of one for a document.

Owns :data:`TRANSLATORS` (a literal tuple: adding a format means adding a line here, nothing
registers itself at import time), :func:`select` (highest ``accepts`` score wins, a tie is an
error), :func:`check_unambiguous` (the startup/unit check that no two translators tie), and
:func:`translate_bytes`, the one-call path used by ``hub translate`` and the translate agent.

Plugin hook: :func:`install_extra_translators` adds the translators named in ``HUB_EXTRA_TRANSLATORS``
(comma-separated ``module:Class``, instantiated without arguments) to the active set; for a name that
is already taken, the highest :class:`TranslatorId` version wins (a plugin wins a tie). The process calls
it once at start-up with its settings; without it the active set is exactly :data:`TRANSLATORS`.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Iterable, Sequence
from typing import cast

from hub.errors import ConfigError, UnknownFormatError
from hub.formats.base import Sniffed, TranslationContext, Translator, TranslatorId
from hub.formats.edifact_invoic import EdifactInvoicTranslator
from hub.formats.edifact_orders import EdifactDesadvTranslator, EdifactOrdrspTranslator
from hub.formats.edifact_pricat import EdifactPricatTranslator
from hub.formats.mapped import MappedCsvTranslator, MappedXlsxTranslator
from hub.formats.nelfo_discounts import NelfoDiscountTranslator
from hub.formats.nelfo_orders import NelfoOrderConfirmationTranslator
from hub.formats.nelfo_prices import NelfoPriceListTranslator
from hub.formats.peppol_bis3 import UBL_CREDIT_NOTE_ROOT, UBL_INVOICE_ROOT, PeppolBis3Translator
from hub.formats.peppol_orders import PeppolDespatchAdviceTranslator, PeppolOrderResponseTranslator
from hub.formats.sniff import HEAD_SIZE, sniff
from hub.formats.storel import StorelDiscountTranslator, StorelNetPriceTranslator, StorelPriceListTranslator
from hub.formats.svefaktura import SvefakturaTranslator
from hub.formats.xmlsafe import refuse_hostile_prolog

TRANSLATORS: tuple[Translator, ...] = (
    PeppolBis3Translator(),
    SvefakturaTranslator(),
    EdifactInvoicTranslator(),
    EdifactPricatTranslator(),
    NelfoPriceListTranslator(),
    NelfoDiscountTranslator(),
    StorelPriceListTranslator(),
    StorelDiscountTranslator(),
    StorelNetPriceTranslator(),
    MappedCsvTranslator(),
    MappedXlsxTranslator(),
    PeppolOrderResponseTranslator(),
    PeppolDespatchAdviceTranslator(),
    NelfoOrderConfirmationTranslator(),
    EdifactOrdrspTranslator(),
    EdifactDesadvTranslator(),
)

# Sniffs that stand for every kind of document the hub meets; no two translators may tie on one.
PROBES: tuple[Sniffed, ...] = (
    Sniffed("xml", root=UBL_INVOICE_ROOT, customization_id="urn:cen.eu:en16931:2017"),
    Sniffed(
        "xml",
        root=UBL_INVOICE_ROOT,
        customization_id="urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    ),
    Sniffed("xml", root=UBL_INVOICE_ROOT),
    Sniffed("xml", root=UBL_CREDIT_NOTE_ROOT, customization_id="urn:cen.eu:en16931:2017"),
    Sniffed("xml", root=UBL_CREDIT_NOTE_ROOT),
    Sniffed("xml", root="{urn:sfti:documents:BasicInvoice:1:0}Invoice"),
    Sniffed("xml", root="{urn:sfti:documents:ObjectEnvelope:1:0}ObjectEnvelope"),
    Sniffed("edifact", head=b"UNA:+.? 'UNB+UNOC:3+S+R+260101:1200+1'UNH+1+INVOIC:D:96A:UN:EAN008'"),
    Sniffed("edifact", head=b"UNA:+.? 'UNB+UNOC:3+S+R+260101:1200+1'UNH+1+PRICAT:D:96A:UN:EAN008'"),
    Sniffed("edifact", head=b"UNA:+.? 'UNB+UNOC:3+S+R+260101:1200+1'UNH+1+ORDRSP:D:96A:UN:EAN009'"),
    Sniffed("edifact", head=b"UNA:+.? 'UNB+UNOC:3+S+R+260101:1200+1'UNH+1+DESADV:D:96A:UN:EAN007'"),
    Sniffed("nelfo", head=b"CH;EFONELFO;4.0;NO910478656MVA;;20260101;1;;;1;;;;;;;"),
    Sniffed("xml", root="{urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2}DespatchAdvice"),
    Sniffed("xml", root="{urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2}OrderResponse"),
    Sniffed("edifact"),
    Sniffed("nelfo"),
    Sniffed("csv"),
    Sniffed("unknown"),
)


_active: tuple[Translator, ...] = TRANSLATORS


def install_extra_translators(spec: str | None) -> tuple[Translator, ...]:
    """Make the built-ins plus the ``module:Class`` translators of ``spec`` the active set; returns it."""
    global _active
    extras = [_load_plugin(item.strip()) for item in (spec or "").split(",") if item.strip()]
    _active = merge_translators(TRANSLATORS, extras)
    return _active


def merge_translators(base: Iterable[Translator], extras: Iterable[Translator]) -> tuple[Translator, ...]:
    """One translator per name: an extra replaces a base translator of the same name unless that is newer."""
    chosen: dict[str, Translator] = {t.id.name: t for t in base}
    for translator in extras:
        current = chosen.get(translator.id.name)
        if current is None or translator.id.version >= current.id.version:
            chosen[translator.id.name] = translator
    return tuple(chosen.values())


def _load_plugin(item: str) -> Translator:
    module_name, _, class_name = item.partition(":")
    where = f"HUB_EXTRA_TRANSLATORS: {item!r}"
    if not module_name or not class_name:
        raise ConfigError(f"{where} is not of the form module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{where}: cannot import {module_name!r} ({exc}); is it on PYTHONPATH?") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ConfigError(f"{where}: module {module_name!r} has no class {class_name!r}")
    try:
        translator = cls()
    except Exception as exc:  # a plugin's constructor is foreign code: any failure is a configuration problem
        raise ConfigError(f"{where}: {class_name}() failed: {exc}") from None
    if not isinstance(getattr(translator, "id", None), TranslatorId) or not all(
        callable(getattr(translator, name, None)) for name in ("accepts", "translate")
    ):
        raise ConfigError(f"{where} is not a translator (needs id: TranslatorId, accepts() and translate())")
    return cast(Translator, translator)


def all_translators() -> tuple[Translator, ...]:
    return _active


def known_names() -> list[str]:
    return [t.id.name for t in _active]


def by_name(name: str) -> Translator:
    """The translator called ``name`` (e.g. ``peppol-bis3-invoice``)."""
    for translator in _active:
        if translator.id.name == name:
            return translator
    raise UnknownFormatError(f"no translator is named {name!r}; known formats: {', '.join(known_names())}")


def select(sniffed: Sniffed, *, format_hint: str | None = None, allowed: Sequence[str] = ()) -> Translator:
    """The translator for a sniffed document.

    ``format_hint`` (from partner config or an operator) forces a translator by name, skipping the
    scores; ``allowed`` (the partner's configured formats) limits the candidates when non-empty, and
    a hint outside it is refused too. A DOCTYPE in an XML head is refused here already, so a hostile
    document is reported as such even when no translator would have recognised it.
    """
    if sniffed.syntax == "xml":
        refuse_hostile_prolog(sniffed.head)
    if format_hint is not None:
        if allowed and format_hint not in allowed:
            raise UnknownFormatError(
                f"format {format_hint!r} is not among this partner's formats ({', '.join(allowed)})"
            )
        return by_name(format_hint)
    candidates = [t for t in _active if not allowed or t.id.name in allowed]
    best = _best(sniffed, candidates)
    if not best:
        raise UnknownFormatError(
            f"document is not a format this hub knows (looked like: {_looks_like(sniffed)}); "
            f"known formats: {', '.join(t.id.name for t in candidates) or 'none configured'}"
        )
    if len(best) > 1:
        raise UnknownFormatError(
            f"document is claimed equally by {', '.join(t.id.name for t in best)} "
            f"(looked like: {_looks_like(sniffed)}); set the partner's format explicitly"
        )
    return best[0]


def _best(sniffed: Sniffed, candidates: Iterable[Translator]) -> list[Translator]:
    """The translators with the highest positive score (empty when nobody accepts)."""
    scored = [(t.accepts(sniffed), t) for t in candidates]
    top = max((score for score, _ in scored), default=0)
    return [t for score, t in scored if score == top] if top > 0 else []


def _looks_like(sniffed: Sniffed) -> str:
    return " ".join(p for p in (sniffed.syntax, sniffed.root, sniffed.customization_id) if p)


def check_unambiguous(probes: Iterable[Sniffed] = PROBES) -> list[str]:
    """Problems with the registry: duplicate names, or two translators tying on a probe sniff."""
    problems = [f"translator name {n!r} is used twice" for n in set(known_names()) if known_names().count(n) > 1]
    for probe in probes:
        best = _best(probe, _active)
        if len(best) > 1:
            names = ", ".join(t.id.name for t in best)
            problems.append(f"{names} tie on {_looks_like(probe)}")
    return problems


def translate_bytes(
    data: bytes,
    context: TranslationContext,
    *,
    format_hint: str | None = None,
    allowed: Sequence[str] = (),
) -> tuple[Translator, list[object]]:
    """Sniff, select and translate a whole document held in memory; returns the translator used."""
    translator = select(sniff(data[:HEAD_SIZE]), format_hint=format_hint, allowed=allowed)
    return translator, list(translator.translate(io.BytesIO(data), context))
