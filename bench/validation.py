"""Throughput of the official EN 16931 + Peppol rules (hub.validation): ``python -m bench.validation``.

Builds a ~20-line and a 1,000-line Swedish Peppol invoice from ``examples/invoices`` (the example's
lines repeated, totals recomputed so that the invoice stays valid — checked before timing), then prints
validations per second single-threaded over at least 200 runs, and the time of one validation of the
large invoice. The rules as published (no rewrites) are timed too: on a shared virtual machine the
absolute figures move with the host's load, the ratio much less.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from hub.validation import OfficialValidator

PROJECT = Path(__file__).resolve().parents[1]
ARTEFACTS = PROJECT.parent / "shared" / "corpus" / "peppol-validation"
EXAMPLE = PROJECT / "examples" / "invoices" / "elgrossisten-syd-F2026-1187.xml"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CENT = Decimal("0.01")


def invoice_with_lines(count: int) -> bytes:
    """The Swedish example with ``count`` lines (its own lines in turn) and totals that add up."""
    root = etree.parse(str(EXAMPLE)).getroot()
    lines = root.findall("cac:InvoiceLine", NS)
    for line in lines:
        root.remove(line)
    net = Decimal(0)
    for number in range(1, count + 1):
        line = copy.deepcopy(lines[(number - 1) % len(lines)])
        line.find("cbc:ID", NS).text = str(number)
        net += Decimal(line.find("cbc:LineExtensionAmount", NS).text)
        root.append(line)
    _set_totals(root, net)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _set_totals(root: etree._Element, net: Decimal) -> None:
    vat = (net * Decimal("0.25")).quantize(CENT, ROUND_HALF_UP)
    gross = net + vat
    payable = gross.quantize(Decimal(1), ROUND_HALF_UP)  # whole kronor, as in the example
    values = {
        "cac:TaxTotal/cbc:TaxAmount": vat,
        "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount": vat,
        "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount": net,
        "cac:LegalMonetaryTotal/cbc:LineExtensionAmount": net,
        "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount": net,
        "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount": gross,
        "cac:LegalMonetaryTotal/cbc:PayableRoundingAmount": payable - gross,
        "cac:LegalMonetaryTotal/cbc:PayableAmount": payable,
    }
    for path, value in values.items():
        root.find(path, NS).text = f"{value.quantize(CENT)}"


def _check_valid(validator: OfficialValidator, data: bytes, label: str) -> None:
    fatal = [issue for issue in validator.validate(data, peppol=True) if issue.severity == "fatal"]
    if fatal:
        raise SystemExit(f"the {label} invoice is not valid, nothing timed: {fatal}")


def _per_second(validator: OfficialValidator, data: bytes, runs: int) -> float:
    for _ in range(max(10, runs // 10)):  # warm-up
        validator.validate(data, peppol=True)
    started = time.perf_counter()
    for _ in range(runs):
        validator.validate(data, peppol=True)
    return runs / (time.perf_counter() - started)


def _one_validation(validator: OfficialValidator, data: bytes, repeats: int) -> float:
    validator.validate(data, peppol=True)  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        validator.validate(data, peppol=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _load(artefacts: Path, cache: Path, *, optimise: bool) -> tuple[OfficialValidator, float]:
    started = time.perf_counter()
    validator = OfficialValidator.load(artefacts, cache, optimise=optimise)
    return validator, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--artefacts", type=Path, default=ARTEFACTS, help="official validation artefacts")
    parser.add_argument("--runs", type=int, default=300, help="validations of the 20-line invoice (>= 200)")
    args = parser.parse_args()
    runs = max(200, args.runs)
    small, large = invoice_with_lines(20), invoice_with_lines(1000)
    with tempfile.TemporaryDirectory(prefix="hub-bench-validation-") as cache:
        validator, load_s = _load(args.artefacts, Path(cache), optimise=True)
        _check_valid(validator, small, "20-line")
        _check_valid(validator, large, "1,000-line")
        rate = _per_second(validator, small, runs)
        large_s = _one_validation(validator, large, 3)
        published, _ = _load(args.artefacts, Path(cache), optimise=False)
        published_rate = _per_second(published, small, runs)
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    _table(
        [
            ("CPUs (os.cpu_count / usable by this process)", f"{cpus} / {usable}"),
            ("load: compile the rules, empty cache", f"{load_s:.2f} s"),
            (f"20-line invoice, 1 thread, {runs} runs", f"{rate:.1f} validations/s ({1000 / rate:.1f} ms each)"),
            ("1,000-line invoice, one validation (median of 3)", f"{large_s * 1000:.0f} ms"),
            (f"  for comparison: rules as published, {runs} runs", f"{published_rate:.1f} validations/s"),
        ]
    )


def _table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print(f"{'official EN 16931 + Peppol rules, Saxon-HE':<{width}} | result")
    print(f"{'-' * width}-+-{'-' * 42}")
    for label, value in rows:
        print(f"{label:<{width}} | {value}")


if __name__ == "__main__":
    main()
