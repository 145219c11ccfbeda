"""Parse speed of the NELFO varefil translator: ``python -m bench.nelfo_parse [--lines 1000000]``.

Writes a generated EFONELFO 4.0 varefil to a temporary file (``--lines`` VL lines shaped like the real ETMAN
file: el-numbers and supplier numbers, EA/MTR/HMT/RO units, Mengde 1/100, one VA per third line, one VX per
tenth, a written decimal comma now and then), then streams it through ``NelfoPriceListTranslator`` and through
a bare ``csv.reader`` (Latin-1, ``;``) that only splits the same file. Prints VL lines per second for both, so
the translator's own cost is visible. On a shared virtual machine the absolute figures move with the host's
load (each figure is the best of ``--runs``, CPU time of this process); the ratio moves much less.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from hub.canonical.pricelist import Price
from hub.formats.base import TranslationContext
from hub.formats.nelfo_prices import NelfoPriceListTranslator

HEADER = "VH;EFONELFO;4.0;NO939765360MVA;;;20110901;20111231;NOK;PRISFIL;ETMAN AS;GAMLE VEI 87;;4370;EGERSUND;NO"
UNITS = (  # PrisEnhet, PrisEnhetTxt, MåleEnhet, Mengde
    ("EA", "STYKK", "1", "10000"), ("MTR", "METER", "2", "10000"),
    ("HMT", "", "2", "1000000"), ("RO", "RULL", "1", "10000"),
)  # fmt: skip


def varefil(lines: int) -> Iterator[str]:
    """The lines of a generated varefil (CR LF added by the writer)."""
    yield HEADER
    for n in range(lines):
        unit, text, measure, quantity = UNITS[n % 7 % 4]
        mark, number = ("3", f"OS-{n}") if n % 10 == 9 else ("1", str(1000000 + n))
        price = f"{n % 9000 + 100},5" if n % 500 == 0 else str(1000 + n * 37 % 250000)
        name = f"KABEL PFSP {n % 40}x2,5 ØVRE"
        yield (
            f"VL;{mark};{number};{name};HALOGENFRI KRAFTKABEL;{measure};{unit};{text};{price};{quantity};20110901;"
            f"{'3' if n % 50 == 0 else '1'};;{1000 + n % 300};;;J;10000;0;"
        )
        if n % 3 == 0:
            yield f"VA;1;{2000000 + n};A;"
        if n % 10 == 0:
            yield f"VX;BILDE;http://www.example.no/image/products/{number}.gif"


def write(path: Path, lines: int) -> int:
    """Writes the file; returns its VL count."""
    with path.open("w", encoding="latin-1", newline="\r\n") as out:
        out.writelines(f"{line}\n" for line in varefil(lines))
    return lines


def translate(path: Path) -> int:
    with path.open("rb") as stream:
        records = NelfoPriceListTranslator().translate(stream, TranslationContext(partner_id="bench"))
        return sum(1 for record in records if type(record) is Price)


def csv_split(path: Path) -> int:
    with path.open(encoding="latin-1", newline="") as stream:
        return sum(1 for row in csv.reader(stream, delimiter=";") if row and row[0] == "VL")


def best(function: Callable[[Path], int], path: Path, runs: int) -> tuple[float, int]:
    """The shortest CPU time of ``runs`` calls, and the VL count the last call saw."""
    times, count = [], 0
    for _ in range(runs):
        started = time.process_time()
        count = function(path)
        times.append(time.process_time() - started)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="VL lines in the generated file")
    parser.add_argument("--runs", type=int, default=2, help="runs per reader; the best is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "V4_bench.csv"
        lines = write(path, args.lines)
        print(f"generated varefil: {lines:,} VL lines, {path.stat().st_size / 1e6:.0f} MB")
        raw_s, raw_count = best(csv_split, path, args.runs)
        ours_s, ours_count = best(translate, path, args.runs)
    assert raw_count == ours_count == lines, (raw_count, ours_count, lines)
    print(f"csv.reader (split only):  {lines / raw_s:>11,.0f} VL lines/s  ({raw_s:6.2f} s)")
    ratio = ours_s / raw_s
    print(f"NelfoPriceListTranslator: {lines / ours_s:>11,.0f} VL lines/s  ({ours_s:6.2f} s, {ratio:.1f}x csv)")
    print(f"translator per VL line:   {ours_s / lines * 1e6:11.2f} µs")


if __name__ == "__main__":
    main()
