"""Throughput of the Price Avro codec (hub.kafka.price_codec) against fastavro: ``python -m bench.price_codec``.

Generates ``--records`` (default 200,000) realistic prices of one version, shaped like a NELFO varefil after
translation: el-numbers and supplier numbers, EA/MTR/HMT/RO units, Mengde 1 or 100 (``unit_list_price`` at
six places), list prices drawn from a skewed pool so that about one in four is new (the ETMAN sample has 701
distinct prices in 2,165 lines), descriptions from a vocabulary, a GTIN on every fourth line, an alternative
on every third, pack size 1 on eighteen lines of twenty, ``extra`` with MåleEnhet and now and then a VX
picture link. Checks on the first thousand that both encoders write the same bytes, then prints records per
second for fastavro encode (``price_avro`` + ``schemaless_writer``), the fast encoder, fastavro decode
(``schemaless_reader``) and the fast decoder — each the best of its runs, CPU time of this process, the
decoders keeping one batch of 5,000 results at a time like the catalog stage. On a shared virtual machine
the absolute figures move with the host's load; the ratios move much less.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import fastavro

from hub.canonical.pricelist import Alternative, Price
from hub.canonical.schemas import SchemaStore
from hub.kafka.price_codec import PriceDecoder, PriceEncoder
from hub.pipeline.pricelists import price_avro

VERSION = ("01a24000-0000-7000-8000-00000000c0de", "onninen-no", "central", date(2026, 11, 1))
UNITS = (("EA", "STYKK", "1"), ("MTR", "METER", "2"), ("HMT", "HECTOMETER", "2"), ("RO", "RULL", "1"))
WORDS = ("KABEL", "PFSP", "APPARATBOKS", "JORDFEILBRYTER", "STIKKONTAKT", "HALOGENFRI", "RØR", "ØVRE", "2-V", "IP44")
ONE, HUNDRED, PLACES_6 = Decimal(1), Decimal(100), Decimal("0.000001")
PACKS = (Decimal("1.0000"),) * 18 + (Decimal("100.0000"), Decimal("200.0000"))  # SalgsPakning as in the sample


def realistic(count: int, seed: int = 20261101) -> list[Price]:
    """``count`` prices of one version (deterministic for a seed)."""
    rng = random.Random(seed)
    pool = [Decimal(round(10 ** rng.uniform(0.5, 5), 2)).quantize(Decimal("0.01")) for _ in range(count // 4 + 1)]
    day = VERSION[3]
    return [_price(rng, n, pool, day) for n in range(count)]


def _price(rng: random.Random, n: int, pool: list[Decimal], day: date) -> Price:
    code, text, measure = UNITS[n % 7 % 4]
    supplier = n % 10 == 9
    number = f"OS-{rng.randrange(10**6)}" if supplier else str(1_000_000 + n)
    price = pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)] if n % 4 else pool[n // 4]
    quantity = HUNDRED if code == "HMT" and n % 5 == 0 else ONE
    extra = {"maaleenhet": measure}
    if n % 10 == 0:
        extra["vx_bilde"] = f"http://www.example.no/image/products/{number}.gif"
    return Price(
        *VERSION,
        article_number=number,
        number_type="SUPPLIER" if supplier else "NO_EL_NUMBER",
        list_price=price,
        price_quantity=quantity,
        unit_list_price=(price / quantity).quantize(PLACES_6, ROUND_HALF_UP),
        price_type="NET" if n % 17 == 0 else "GROSS",
        status="ACTIVE" if n % 50 else "DISCONTINUED",
        line=n + 2,
        gtin=f"70{rng.randrange(10**11):011d}" if n % 4 == 0 else None,
        description=" ".join(rng.choices(WORDS, k=3)) + f" {rng.randrange(1, 400)}X{rng.randrange(1, 10)}",
        description_2="HALOGENFRI KRAFTKABEL" if n % 2 else None,
        unit=text,
        unit_code=code,
        discount_group=str(1000 + n % 300),
        raw_status="1" if n % 50 else "3",
        brand="ELKO" if n % 5 == 0 else None,
        manufacturer_article=f"T{rng.randrange(10**5)}" if n % 3 == 1 else None,
        stocked=True,
        pack_size=PACKS[n % 20],
        price_date=day,
        alternatives=(Alternative("ALTERNATIVE", "NO_EL_NUMBER", str(2_000_000 + n)),) if n % 3 == 0 else (),
        extra=extra,
    )


def best_rate(function: Callable[[], Any], count: int, runs: int) -> float:
    """Records per second of the fastest of ``runs`` calls (CPU time)."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return count / min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="prices to encode and decode")
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast codec; the best is shown")
    parser.add_argument("--fastavro-runs", type=int, default=1, help="runs of fastavro (slow); the best is shown")
    args = parser.parse_args()
    prices = realistic(args.records)
    parsed = SchemaStore().latest("price").parsed
    bodies = [PriceEncoder(*VERSION).encode(p) for p in prices]
    assert bodies[:1000] == [_fastavro_encode(parsed, p) for p in prices[:1000]], "the encoders disagree"

    def fast_encode() -> None:
        encode = PriceEncoder(*VERSION).encode  # a new encoder: its caches start cold, as for each version
        for p in prices:
            encode(p)

    def fast_decode() -> None:
        _drain(PriceDecoder().decode, bodies)

    rows = [
        (
            "fastavro encode",
            best_rate(lambda: [_fastavro_encode(parsed, p) for p in prices], len(prices), args.fastavro_runs),
        ),
        ("fast encode", best_rate(fast_encode, len(prices), args.runs)),
        (
            "fastavro decode",
            best_rate(lambda: _drain(lambda b: _fastavro_decode(parsed, b), bodies), len(bodies), args.fastavro_runs),
        ),
        ("fast decode", best_rate(fast_decode, len(bodies), args.runs)),
    ]
    print(f"{len(prices):,} prices, {sum(map(len, bodies)) / len(bodies):.0f} bytes each on average")
    for name, rate in rows:
        print(f"{name:16s} {rate:>10,.0f} records/s")


def _fastavro_encode(parsed: Any, p: Price) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, price_avro(p, *VERSION))
    return buffer.getvalue()


def _fastavro_decode(parsed: Any, body: bytes) -> Any:
    return fastavro.schemaless_reader(io.BytesIO(body), parsed, None)


def _drain(decode: Callable[[bytes], Any], bodies: Iterable[bytes]) -> None:
    """Decode everything, keeping one batch of results at a time (as the catalog stage does)."""
    batch: list[Any] = []
    for body in bodies:
        batch.append(decode(body))
        if len(batch) == 5000:
            batch = []


if __name__ == "__main__":
    main()
