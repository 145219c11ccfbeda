"""The specialised Price codec (hub.kafka.price_codec) against fastavro: same bytes, same values.

fastavro is the reference: every record is also written and read by ``schemaless_writer``/``schemaless_reader``
on the real schema, and the codec must write byte-identical bodies and read them back to the same values
(fastavro's decimals normalised). Fixed cases cover every shape; a seeded random generator covers 5,000 more.
"""

from __future__ import annotations

import io
import json
import random
import shutil
from dataclasses import replace
from datetime import date
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import fastavro
import pytest

from hub.canonical.codec import from_dict, normalized
from hub.canonical.pricelist import Alternative, Price
from hub.canonical.schemas import SchemaStore, SchemaVersion
from hub.errors import UndecodableRecordError
from hub.kafka import price_codec
from hub.kafka.price_codec import DecodedPrice, PriceDecoder, PriceEncoder, decode_price_row
from hub.kafka.serde import AvroSerde
from hub.pipeline.catalog import price_row
from hub.pipeline.pricelists import price_avro
from hub.sinks.catalog.writer import PRICE_COLUMNS

STORE = SchemaStore()
SCHEMA = STORE.latest("price")
VERSION = ("01a24000-0000-7000-8000-00000000c0de", "onninen-no", "central", date(2026, 11, 1))
TYPICAL = Price(
    *VERSION,
    article_number="1416002",
    number_type="NO_EL_NUMBER",
    list_price=Decimal("1190.00"),
    price_quantity=Decimal(1),
    unit_list_price=Decimal("1190.000000"),
    price_type="GROSS",
    status="ACTIVE",
    line=2,
    description="INSTALLASJONSKABEL 3G1,5",
    unit="HECTOMETER",
    unit_code="HMT",
    discount_group="14AA",
    raw_status="1",
    stocked=True,
    pack_size=Decimal("1.0000"),
    price_date=date(2026, 11, 1),
    extra={"maaleenhet": "2"},
)
EVERYTHING = replace(
    TYPICAL,
    gtin="7012345678903",
    description_2="HALOGENFRI KRAFTKABEL",
    discount_percent=Decimal("12.5"),
    brand="Nexans",
    manufacturer_article="PFSP 3G1,5",
    alternatives=(
        Alternative("REPLACEMENT", "NO_EL_NUMBER", "1416003"),
        Alternative("ALTERNATIVE", "GTIN", "7012345678910"),
        Alternative("ALTERNATIVE_ID", None, "X-1"),
        Alternative("PACK", None, None, Decimal("100.0000")),
    ),
    extra={"maaleenhet": "2", "blokknummer": "7", "vx_bilde": "http://www.example.no/1416002.gif"},
)
NOTHING = replace(TYPICAL, description=None, unit=None, unit_code=None, discount_group=None, raw_status=None)
NOTHING = replace(NOTHING, stocked=None, pack_size=None, price_date=None, extra={})


def version_of(p: Price) -> tuple[str, str, str, date]:
    return p.version_id, p.wholesaler_id, p.scope, p.valid_from


def fastavro_body(p: Price) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, SCHEMA.parsed, price_avro(p, *version_of(p)))
    return buffer.getvalue()


def fastavro_read(body: bytes) -> dict[str, Any]:
    return fastavro.schemaless_reader(io.BytesIO(body), SCHEMA.parsed, None)  # type: ignore[return-value]


def exact(value: Any) -> Any:
    """A comparable view: decimals normalised exactly (no context rounding) and shown with their exponent."""
    if isinstance(value, Decimal):
        with localcontext(Context(prec=100)):
            return ("Decimal", str(normalized(value)))
    if isinstance(value, list):
        return [exact(v) for v in value]
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    return value


def assert_same(p: Price) -> None:
    """Byte-identical encoding, and a decode equal to fastavro's (field order included)."""
    expected = fastavro_body(p)
    assert PriceEncoder(*version_of(p)).encode(p) == expected, p
    decoded = PriceDecoder().decode(expected)
    reference = fastavro_read(expected)
    assert list(decoded) == list(reference)
    assert exact(dict(decoded)) == exact(reference)


# --- (a) fixed shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [TYPICAL, EVERYTHING, NOTHING], ids=["typical", "everything", "nothing"])
def test_whole_records(price: Price) -> None:
    assert_same(price)


@pytest.mark.parametrize("kind", ["REPLACEMENT", "ALTERNATIVE", "ALTERNATIVE_ID", "PACK"])
@pytest.mark.parametrize("number_type", [None, "SE_E_NUMBER", "SUPPLIER"])
def test_alternatives_of_every_kind(kind: str, number_type: str | None) -> None:
    for article, pack in [(None, None), ("4711", None), (None, Decimal("0.5")), ("ÅÄÖ-ø", Decimal(-3))]:
        assert_same(replace(TYPICAL, alternatives=(Alternative(kind, number_type, article, pack),)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "å ä ö ø", "ÅÄÖØÆ", "🔌 kontakt", "a" * 63, "b" * 64, "ø" * 100, "x" * 8191, "y" * 8192, "z" * 20000]
)
def test_strings_ascii_or_not_short_or_long(text: str) -> None:
    assert_same(replace(EVERYTHING, article_number=text or "0", description=text, brand=text, extra={text: text}))
    assert_same(replace(TYPICAL, unit=text, unit_code=text, discount_group=text, raw_status=text))


@pytest.mark.parametrize(
    "value",
    [
        "0", "-0", "0.00", "1", "-1", "1.5", "0.0000000001", "-0.0000000001", "1.0000000000", "1E+3", "1.3E+3",
        "1E-7", "12.34", "0.05", "1234567.8901234567",
        "9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999",
        "0.0000000127", "0.0000000128", "-0.0000000128", "-0.0000000129", "0.0000000255", "-0.0000032768",
        "1E+27", "12345678901234567890123456789012345678", "-1E+39",
    ],
)  # fmt: skip
def test_decimals(value: str) -> None:
    number = Decimal(value)
    for p in (
        replace(TYPICAL, list_price=number, price_quantity=number, unit_list_price=number),
        replace(
            EVERYTHING,
            discount_percent=number,
            pack_size=number,
            alternatives=(Alternative("PACK", None, None, number),),
        ),
    ):
        assert_same(p)


@pytest.mark.parametrize(
    "value", ["1.00000000000", "0.12345678901", "1E-11", "123456789012345678901234567890123456789"]
)
def test_decimals_fastavro_refuses_are_refused(value: str) -> None:
    p = replace(TYPICAL, list_price=Decimal(value))
    with pytest.raises(ValueError, match=r"decimal|Decimal|precision|[Ss]cale"):
        fastavro_body(p)
    with pytest.raises(ValueError):
        PriceEncoder(*VERSION).encode(p)


@pytest.mark.parametrize(
    "day", [date(1, 1, 1), date(1900, 1, 1), date(1969, 12, 31), date(1970, 1, 1), date(9999, 12, 31)]
)
def test_dates_before_and_after_1970(day: date) -> None:
    assert_same(replace(TYPICAL, valid_from=day, price_date=day))


@pytest.mark.parametrize("line", [0, 1, 63, 64, 8191, 8192, 1_048_575, 1_048_576, 2**40, -1, -(2**40), 2**63 - 1])
def test_line_numbers(line: int) -> None:
    assert_same(replace(TYPICAL, line=line))


@pytest.mark.parametrize("extra", [{}, {"a": ""}, {"maaleenhet": "1"}, {f"k{i}": f"v{i}" for i in range(100)}])
def test_extra_empty_and_not(extra: dict[str, str]) -> None:
    assert_same(replace(TYPICAL, extra=extra))


def test_every_enum_symbol() -> None:
    for number_type in price_codec.NUMBER_TYPES:
        for price_type in price_codec.PRICE_TYPES:
            for status in price_codec.STATUSES:
                assert_same(replace(TYPICAL, number_type=number_type, price_type=price_type, status=status))  # type: ignore[arg-type]
    for stocked in (None, False, True):
        assert_same(replace(TYPICAL, stocked=stocked))


def test_an_encoder_stamps_its_version_and_keeps_its_caches_exact() -> None:
    encoder = PriceEncoder(*VERSION)
    other = replace(TYPICAL, version_id="x", wholesaler_id="y", scope="z", valid_from=date(2000, 1, 1))
    assert encoder.encode(other) == fastavro_body(TYPICAL)  # the version's fields, not the price's own
    assert PriceEncoder(*VERSION, header=b"HEAD").encode(TYPICAL) == b"HEAD" + fastavro_body(TYPICAL)
    prices = [replace(TYPICAL, list_price=Decimal(n) / 4, line=n, pack_size=Decimal(n % 3)) for n in range(300)]
    for _ in range(2):  # the second round is served from the caches
        assert [encoder.encode(p) for p in prices] == [fastavro_body(p) for p in prices]


def test_bad_values_are_value_errors() -> None:
    for bad in (
        replace(TYPICAL, number_type="EAN"),  # type: ignore[arg-type]
        replace(TYPICAL, status="GONE"),  # type: ignore[arg-type]
        replace(TYPICAL, description=17),  # type: ignore[arg-type]
        replace(TYPICAL, list_price=1.5),  # type: ignore[arg-type]
        replace(TYPICAL, extra={"a": 1}),  # type: ignore[dict-item]
        replace(TYPICAL, line=2**64),
        replace(TYPICAL, description="y" * 9000, status="GONE"),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError):
            PriceEncoder(*VERSION).encode(bad)


# --- (b) random records --------------------------------------------------------------------------------

ALPHABET = "abcXYZ019 -,./åäöøæÅÄÖØÆé€🔌"


def random_text(rng: random.Random) -> str:
    size = rng.choice((0, 1, 2, 5, 13, 40, 63, 64, 65, 100, 300))
    return "".join(rng.choices(ALPHABET, k=size))


def random_decimal(rng: random.Random) -> Decimal:
    """At most 38 digits and 10 places (what fastavro accepts); two's complement edges now and then."""
    digits = rng.randint(1, 38)
    coefficient = rng.randrange(10 ** (digits - 1), 10**digits)
    if rng.random() < 0.3:
        coefficient = rng.choice((0, 1, 100, 127, 128, 255, 256, 32767, 32768))
    sign = "-" if rng.random() < 0.3 else ""
    return Decimal(f"{sign}{coefficient}E{-rng.randint(-5, 10)}")


def maybe(rng: random.Random, make: Any, *args: Any) -> Any:
    return None if rng.random() < 0.35 else make(*args)


def random_day(rng: random.Random) -> date:
    return date.fromordinal(
        rng.choice((1, 719_163, 3_652_059, rng.randint(1, 3_652_059), rng.randint(715_000, 745_000)))
    )


def random_alternative(rng: random.Random) -> Alternative:
    return Alternative(
        rng.choice(price_codec.KINDS),  # type: ignore[arg-type]
        maybe(rng, rng.choice, price_codec.NUMBER_TYPES),
        maybe(rng, random_text, rng),
        maybe(rng, random_decimal, rng),
    )


def random_price(rng: random.Random) -> Price:
    return Price(
        *VERSION,
        article_number=random_text(rng),
        number_type=rng.choice(price_codec.NUMBER_TYPES),  # type: ignore[arg-type]
        list_price=random_decimal(rng),
        price_quantity=rng.choice((Decimal(1), Decimal(100), random_decimal(rng))),
        unit_list_price=random_decimal(rng),
        price_type=rng.choice(price_codec.PRICE_TYPES),  # type: ignore[arg-type]
        status=rng.choice(price_codec.STATUSES),  # type: ignore[arg-type]
        line=rng.choice((0, rng.randint(1, 100), rng.randint(1, 2_000_000), rng.randint(-(2**63), 2**63 - 1))),
        **{name: maybe(rng, random_text, rng) for name in STRING_FIELDS},
        discount_percent=maybe(rng, random_decimal, rng),
        stocked=maybe(rng, rng.choice, (False, True)),
        pack_size=maybe(rng, random_decimal, rng),
        price_date=maybe(rng, random_day, rng),
        alternatives=tuple(random_alternative(rng) for _ in range(rng.choice((0, 0, 1, 2, 5)))),
        extra={random_text(rng): random_text(rng) for _ in range(rng.choice((0, 1, 1, 2, 7)))},
    )


STRING_FIELDS = ("gtin", "description", "description_2", "unit", "unit_code", "discount_group")
STRING_FIELDS += ("raw_status", "brand", "manufacturer_article")


def test_5000_random_records_like_fastavro() -> None:
    rng = random.Random(20261101)
    encoder, decoder = PriceEncoder(*VERSION), PriceDecoder()  # shared: the caches see every record
    for _ in range(5000):
        p = random_price(rng)
        expected = fastavro_body(p)
        assert encoder.encode(p) == expected, p
        decoded = decoder.decode(expected)
        assert exact(dict(decoded)) == exact(fastavro_read(expected)), p


def test_decoded_prices_become_the_same_dataclass() -> None:
    for p in (TYPICAL, EVERYTHING, NOTHING):
        decoded = decode_price_row(memoryview(PriceEncoder(*VERSION).encode(p)))
        assert from_dict(Price, decoded) == p


# --- (c) multi-block arrays and maps -------------------------------------------------------------------


def zigzag(n: int) -> bytes:
    return price_codec.long_bytes(n)


def test_multi_block_and_negative_count_blocks_read_like_fastavro() -> None:
    bare = fastavro_body(replace(EVERYTHING, alternatives=(), extra={}))
    prefix = bare[:-2]  # everything before the empty array and the empty map
    items = [
        fastavro_body(replace(EVERYTHING, alternatives=(a,), extra={}))[len(prefix) + 1 : -2]
        for a in EVERYTHING.alternatives
    ]
    entries = [
        fastavro_body(replace(EVERYTHING, alternatives=(), extra={k: v}))[len(prefix) + 2 : -1]
        for k, v in EVERYTHING.extra.items()
    ]
    array = (
        zigzag(2) + items[0] + items[1] + zigzag(-1) + zigzag(len(items[2])) + items[2] + zigzag(1) + items[3] + b"\x00"
    )
    mapping = (
        zigzag(-2) + zigzag(len(entries[0] + entries[1])) + entries[0] + entries[1] + zigzag(1) + entries[2] + b"\x00"
    )
    body = prefix + array + mapping
    reference = fastavro_read(body)
    assert len(reference["alternatives"]) == 4 and len(reference["extra"]) == 3
    decoder = PriceDecoder()
    for _ in range(2):  # the second time from the caches
        assert exact(dict(decoder.decode(body))) == exact(reference)


@pytest.mark.parametrize("cut", [1, 5, 30, 60, 100])
def test_truncated_or_corrupt_bodies_raise(cut: int) -> None:
    body = PriceEncoder(*VERSION).encode(EVERYTHING)
    decoder = PriceDecoder()
    decoder.decode(body)  # warm: the version prefix is remembered
    with pytest.raises(UndecodableRecordError):
        decoder.decode(body[:-cut])
    with pytest.raises(UndecodableRecordError):
        decoder.decode(body[: len(body) - cut] + b"\x7f" * cut)


# --- (d) the schema guard ------------------------------------------------------------------------------


def with_definition(definition: dict[str, Any]) -> SchemaVersion:
    return SchemaVersion("price", (9, 9, 9), SCHEMA.path, definition)


def test_supports_only_the_schema_it_implements() -> None:
    assert price_codec.supports(SCHEMA)
    assert SCHEMA.fingerprint == price_codec.FINGERPRINT
    changed = json.loads(json.dumps(SCHEMA.definition))
    changed["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    assert not price_codec.supports(with_definition(changed))
    reordered = json.loads(json.dumps(SCHEMA.definition))
    reordered["fields"][12], reordered["fields"][13] = reordered["fields"][13], reordered["fields"][12]
    assert not price_codec.supports(with_definition(reordered))
    documented = json.loads(json.dumps(SCHEMA.definition))
    documented["doc"] = "documentation is not part of the encoding"
    assert price_codec.supports(with_definition(documented))


def test_a_newer_price_schema_makes_the_serde_fall_back(tmp_path: Path) -> None:
    shutil.copytree(STORE.root, tmp_path / "schemas")
    newer = json.loads(json.dumps(SCHEMA.definition))
    newer["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    (tmp_path / "schemas" / "price" / "1.1.0.avsc").write_text(json.dumps(newer), encoding="utf-8")
    serde = AvroSerde(SchemaStore(tmp_path / "schemas"))
    encode = serde.price_encoder("hub.price.v1", *VERSION)
    assert not isinstance(getattr(encode, "__self__", None), PriceEncoder)
    payload = encode(TYPICAL)
    assert payload[2:10] == serde.store.latest("price").fingerprint != price_codec.FINGERPRINT
    schema, data = serde.decode(payload)
    assert schema.version == (1, 1, 0) and type(data) is dict and data["note"] is None
    schema, data = serde.decode(AvroSerde(STORE).price_encoder("t", *VERSION)(TYPICAL))  # 1.0.0, resolved
    assert schema.version == (1, 1, 0) and type(data) is dict and data["note"] is None


# --- (e) the serde paths -------------------------------------------------------------------------------


def test_serde_fast_and_generic_paths_decode_to_the_same_values() -> None:
    serde = AvroSerde(STORE)
    for p in (TYPICAL, EVERYTHING, NOTHING):
        fast = serde.price_encoder("hub.price.v1", *VERSION)(p)
        generic = serde.encode("hub.price.v1", "Price", price_avro(p, *VERSION))
        assert fast == generic
        schema, decoded = serde.decode(fast)
        reference = fastavro_read(fast[10:])  # what the generic path decodes
        assert schema is SCHEMA and type(decoded) is DecodedPrice
        assert exact(dict(decoded)) == exact(reference)
        row, generic_row = price_row(decoded), price_row(reference)
        assert {c: row[c] for c in PRICE_COLUMNS} == generic_row
        assert all(str(row[c]) == str(generic_row[c]) for c in PRICE_COLUMNS)


def test_serde_with_a_registry_takes_the_generic_path() -> None:
    serde = AvroSerde(STORE, registry_url="mock://price-codec-test")
    payload = serde.price_encoder("hub.price.v1", *VERSION)(EVERYTHING)
    assert payload[:1] == b"\x00"
    _schema, data = serde.decode(payload)
    assert type(data) is dict
    assert from_dict(Price, data) == EVERYTHING


def test_serde_reports_a_corrupt_price_body() -> None:
    serde = AvroSerde(STORE)
    payload = serde.price_encoder("t", *VERSION)(EVERYTHING)
    with pytest.raises(UndecodableRecordError, match=r"corrupt Avro body for price/1\.0\.0"):
        serde.decode(payload[:40])


def test_price_row_of_either_path_has_every_column() -> None:
    fast = price_row(decode_price_row(PriceEncoder(*VERSION).encode(EVERYTHING)))
    generic = price_row(fastavro_read(fastavro_body(EVERYTHING)))
    assert set(PRICE_COLUMNS) <= set(fast) and set(generic) == set(PRICE_COLUMNS)
    assert {c: fast[c] for c in PRICE_COLUMNS} == generic
