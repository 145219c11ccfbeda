"""Benchmark: a 1,000,000-article NELFO price list from intake to queryable net prices.

    python -m bench.pricelist [--articles 1000000] [--small 100000] [--skip-stages]

Needs PostgreSQL (HUB_BENCH_POSTGRES_URL, default the server on 127.0.0.1:5432); starts the bundled broker.
Prints each stage alone next to the raw library figure for the same work, then the end-to-end time in the
deployment shape — `hub run translate-bulk` and `hub run sink-catalog` as two processes (two cores) — with
each process's peak RSS, for the small and the large file (memory must not grow with the file).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from hub.canonical.pricelist import Price
from hub.formats.base import TranslationContext
from hub.formats.nelfo_prices import NelfoPriceListTranslator
from hub.intake.service import Delivery
from hub.kafka.consumer import BatchConsumer
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.producer import DeliveryTracker, Publisher
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.runtime import build_runtime
from hub.settings import load_settings

PROJECT = Path(__file__).resolve().parents[1]
PARTNERS = """\
wholesalers:
  - id: onninen-no
    name: Onninen AS
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
"""
HEADER = "VH;EFONELFO;4.0;NO910478656MVA;;;20261201;;NOK;;Onninen AS;Postboks 1;;0101;OSLO;NO\r\n"


def write_list(path: Path, articles: int) -> None:
    units = (("EA", "STYKK", "10000"), ("HMT", "HECTOMETER", "10000"), ("EA", "STYKK", "1000000"))
    with path.open("w", encoding="iso-8859-1", newline="") as out:
        out.write(HEADER)
        for i in range(articles):
            unit, text_, qty = units[i % 3]
            out.write(
                f"VL;1;{1_000_000 + i};INSTALLASJONSKABEL {i % 977} X {i % 13} MM²;PVC GRÅ {i % 7};1;{unit};{text_};"
                f"{1000 + (i * 7919) % 250_000};{qty};20261201;1;;G{i % 300:03d};NEXANS;T{i};J;10000;0;B\r\n"
            )


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str]] = []

    def run(self, label: str, count: int, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        result = fn(*args)
        seconds = time.perf_counter() - started
        self.rows.append((label, seconds, f"{count / seconds:,.0f}/s"))
        return result


def parse(path: Path) -> list[Price]:
    with path.open("rb") as handle:
        return [
            p
            for p in NelfoPriceListTranslator().translate(handle, TranslationContext(partner_id="onninen-no"))
            if isinstance(p, Price)
        ]


def csv_reader(path: Path) -> int:
    with path.open(encoding="iso-8859-1", newline="") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=";"))


def stages(path: Path, articles: int, bootstrap: str, pg_url: str) -> Timer:
    timer = Timer()
    timer.run("raw: csv.reader over the file", articles, csv_reader, path)
    prices = timer.run("parse (nelfo4-prices translator)", articles, parse, path)
    settings = load_settings(topic_prefix=f"s{uuid.uuid4().hex[:6]}.", data_dir=Path(tempfile.mkdtemp()))
    runtime = build_runtime_for(settings, bootstrap)
    encode = runtime.serde.price_encoder(runtime.topics.price, "v-bench", "onninen-no", "central", prices[0].valid_from)
    payloads = timer.run("Avro encode (hub serde)", articles, encode_all, encode, prices)
    prices.clear()
    apply_topics(bootstrap, load_topic_specs(), runtime.topics)
    timer.run("produce (hub publisher, idempotent, acks=all)", articles, produce, runtime, payloads)
    timer.run("raw: confluent produce, no headers", articles, raw_produce, bootstrap, payloads)
    payloads.clear()
    timer.run("consume + decode + write (catalog stage)", articles, consume_write, runtime, pg_url, articles)
    timer.run("raw: PostgreSQL COPY of the same rows", articles, raw_copy, pg_url, articles)
    runtime.close()
    return timer


def encode_all(encode: Any, prices: list[Price]) -> list[bytes]:
    return [encode(p) for p in prices]


def consume_write(runtime: Any, pg_url: str, articles: int) -> None:
    settings = runtime.settings.model_copy(update={"erp_database_url": pg_url})
    writer_runtime = build_runtime(settings, bootstrap_servers=runtime.bootstrap_servers)
    writer_runtime.migrate()
    stage = writer_runtime.catalog_stage()
    consumer = BatchConsumer(runtime.bootstrap_servers, [runtime.topics.price], group_id=f"b-{uuid.uuid4().hex[:6]}")
    seen = 0
    while seen < articles:
        batch = consumer.poll_batch(5000, timeout_s=1.0)
        stage.process_batch(batch)
        seen += len(batch)
    consumer.close()
    writer_runtime.close()


def build_runtime_for(settings: Any, bootstrap: str) -> Any:
    return build_runtime(settings, bootstrap_servers=bootstrap)


def produce(runtime: Any, payloads: list[bytes]) -> None:
    tracker, topic = DeliveryTracker(), runtime.topics.price
    headers = [("hub.document_id", "bench"), ("hub.translator", "nelfo4-prices"), ("hub.translator.version", "1")]
    for i, payload in enumerate(payloads):
        runtime.publisher.publish_tracked(
            topic, payload, key=f"onninen-no|central|{i}", headers=headers, tracker=tracker
        )
    tracker.wait(600)


def raw_produce(bootstrap: str, payloads: list[bytes]) -> None:
    publisher = Publisher(bootstrap, extra_config={"enable.idempotence": False, "acks": "1"})
    tracker = DeliveryTracker()
    for i, payload in enumerate(payloads):
        publisher.publish_tracked("bench.raw.v1", payload, key=str(i), headers=(), tracker=tracker)
    tracker.wait(600)
    publisher.close()


def raw_copy(pg_url: str, articles: int) -> None:
    import psycopg

    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql")) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_copy (version_id text, line bigint, article text, price numeric)")
        with cur.copy("COPY bench_copy FROM STDIN") as copy:
            for i in range(articles):
                copy.write_row(("v", i, str(1_000_000 + i), f"{1000 + i % 250_000}.00"))


def end_to_end(path: Path, articles: int, bootstrap: str, pg_url: str, workdir: Path) -> dict[str, Any]:
    env = _env(workdir, bootstrap, pg_url)
    procs = {role: _start(role, env, workdir) for role in ("translate-bulk", "sink-catalog")}
    try:
        time.sleep(12)  # consumer groups join before the clock starts
        settings = load_settings(**{k.removeprefix("HUB_").lower(): v for k, v in env.items() if k.startswith("HUB_")})
        runtime = build_runtime(settings, bootstrap_servers=bootstrap)
        runtime.migrate()
        started = time.perf_counter()
        with path.open("rb") as handle:
            runtime.intake().take(handle, Delivery("onninen-no", "upload", filename=path.name))
        _wait_merged(pg_url, articles)
        seconds = time.perf_counter() - started
        runtime.close()
        rss = {role: _peak_rss_mb(p.pid) for role, p in procs.items()}
        return {"seconds": seconds, "rss": rss, "bench_rss": _peak_rss_mb(os.getpid())}
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGINT)
        for proc in procs.values():
            proc.wait(timeout=30)


def _env(workdir: Path, bootstrap: str, pg_url: str) -> dict[str, str]:
    partners = workdir / "partners.yaml"
    partners.write_text(PARTNERS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(workdir / "var"),
        HUB_PARTNERS_FILE=str(partners),
        HUB_BOOTSTRAP_SERVERS=bootstrap,
        HUB_ERP_DATABASE_URL=pg_url,
        HUB_TOPIC_PREFIX=f"e{uuid.uuid4().hex[:6]}.",
        HUB_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        HUB_APP_ID=f"bench-{uuid.uuid4().hex[:6]}",
        # every size takes the bulk path here, so a small --small run measures the same two roles
        HUB_BULK_THRESHOLD_BYTES="1024",
    )
    return env


def _start(role: str, env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    log = (workdir / f"{role}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "run", role],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )


def _wait_merged(pg_url: str, articles: int, timeout_s: float = 900) -> None:
    engine = create_engine(pg_url)
    deadline = time.monotonic() + timeout_s
    query = text("SELECT article_count FROM catalog_price_list_version WHERE merged_at IS NOT NULL")
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(query).scalar() == articles:
                    return
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise SystemExit(f"the version was not merged within {timeout_s}s")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _database(admin_url: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--skip-stages", action="store_true")
    args = parser.parse_args()
    admin = os.environ.get("HUB_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(log_file=Path(tmp) / "broker.log") as broker:
        results = {}
        for articles in (args.small, args.articles):
            path = Path(tmp) / f"V4_{articles}.csv"
            write_list(path, articles)
            for url in _database(admin):
                if not args.skip_stages and articles == args.articles:
                    _print_stages(stages(path, articles, broker.bootstrap_servers, url), path)
                workdir = Path(tmp) / f"run{articles}"
                workdir.mkdir()
                results[articles] = end_to_end(path, articles, broker.bootstrap_servers, url, workdir)
            path.unlink()
        _print_end_to_end(results)


def _print_stages(timer: Timer, path: Path) -> None:
    print(f"\nStages alone ({os.cpu_count()} CPUs), file {path.stat().st_size / 1e6:.0f} MB:")
    for label, seconds, rate in timer.rows:
        print(f"  {label:<52} {seconds:7.1f} s  {rate:>12}")


def _print_end_to_end(results: dict[int, dict[str, Any]]) -> None:
    print("\nEnd to end (intake -> hub.raw.bulk.v1 -> translate-bulk -> hub.price.v1 -> sink-catalog -> merged):")
    for articles, r in results.items():
        rss = ", ".join(f"{role} {mb:.0f} MB" for role, mb in r["rss"].items())
        print(
            f"  {articles:>9,} articles  {r['seconds']:7.1f} s  {articles / r['seconds']:>10,.0f}/s  peak RSS: {rss}"
            f"; intake (bench process) {r['bench_rss']:.0f} MB"
        )


if __name__ == "__main__":
    main()
