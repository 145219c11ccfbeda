"""Benchmark: invoices per second, translate+validate alone and the whole path through `hub up`.

    python -m bench.invoices [--invoices 200] [--lines 20]

Prints (1) Peppol BIS 3 invoices/s translated and validated with the official EN 16931 + Peppol rules on one
core, (2) the time to validate and translate one 1,000-line invoice, (3) invoices/s for the whole path:
intake (archive + ledger + publish, broker ack) → bundled broker → faust translate agent → ERP sink (SQLite,
or PostgreSQL with HUB_BENCH_DATABASE_URL), measured from the first intake to the last ERP row.
Needs the official rule files (HUB_VALIDATION_ARTEFACTS, default ../shared/corpus/peppol-validation).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from bench.validation import ARTEFACTS, invoice_with_lines
from hub.canonical.invoice import SupplierInvoice
from hub.db.engine import make_engine
from hub.formats.base import TranslationContext
from hub.formats.peppol_bis3 import PeppolBis3Translator
from hub.intake.service import Delivery
from hub.runtime import build_runtime
from hub.settings import load_settings
from hub.sinks.erp.tables import supplier_invoice
from hub.validation import load_validator

PROJECT = Path(__file__).resolve().parents[1]


def numbered(template: bytes, number: int) -> bytes:
    return template.replace(b"<cbc:ID>F2026-1187</cbc:ID>", f"<cbc:ID>B{number:06d}</cbc:ID>".encode(), 1)


def translate_rate(context: TranslationContext, template: bytes, count: int) -> float:
    translator = PeppolBis3Translator()
    documents = [numbered(template, i) for i in range(count)]
    started = time.perf_counter()
    for data in documents:
        [_invoice] = [r for r in translator.translate(io.BytesIO(data), context) if isinstance(r, SupplierInvoice)]
    return count / (time.perf_counter() - started)


def on_one_cpu(fn: Callable[..., float], *args: object) -> float:
    """Run ``fn`` with this process (Saxon's own threads included) pinned to one CPU: the goal is per core."""
    allowed = os.sched_getaffinity(0)
    _pin_threads({min(allowed)})  # Linux pins per thread: every thread of the process, not only this one
    try:
        return fn(*args)
    finally:
        _pin_threads(allowed)


def _pin_threads(cpus: set[int]) -> None:
    for task in Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(task.name), cpus)


def one_large(context: TranslationContext, lines: int) -> tuple[float, float]:
    data = invoice_with_lines(lines)
    assert context.validator is not None
    started = time.perf_counter()
    context.validator.validate(data, peppol=True)
    validate_s = time.perf_counter() - started
    started = time.perf_counter()
    list(PeppolBis3Translator().translate(io.BytesIO(data), context))
    return validate_s, time.perf_counter() - started


def whole_path(template: bytes, count: int, workdir: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(workdir / "var"),
        HUB_PARTNERS_FILE=str(PROJECT / "config" / "partners.yaml"),
        HUB_VALIDATION_ARTEFACTS=str(ARTEFACTS),
        HUB_LOG_LEVEL="WARNING",
    )
    if os.environ.get("HUB_BENCH_DATABASE_URL"):
        env["HUB_ERP_DATABASE_URL"] = os.environ["HUB_BENCH_DATABASE_URL"]
    hub = subprocess.Popen([sys.executable, "-m", "hub", "up"], env=env, cwd=workdir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=(workdir / "hub.log").open("wb"))  # fmt: skip
    try:
        return _drive(env, template, count, workdir)
    finally:
        hub.send_signal(signal.SIGINT)
        hub.wait(timeout=30)


def _drive(env: dict[str, str], template: bytes, count: int, workdir: Path) -> float:
    settings = load_settings(**{k.removeprefix("HUB_").lower(): v for k, v in env.items() if k.startswith("HUB_")})
    while not (workdir / "var" / "run" / "broker.json").exists():
        time.sleep(0.2)
    runtime = build_runtime(settings)
    intake, engine = runtime.intake(), make_engine(settings.erp_url)
    _wait_for_rows(engine, 0, timeout_s=60)
    time.sleep(8)  # let the agents join their consumer group before the clock starts
    started = time.perf_counter()
    for i in range(count):
        intake.take(io.BytesIO(numbered(template, i)), Delivery("elgrossisten-syd", "upload", filename=f"{i}.xml"))
    _wait_for_rows(engine, count, timeout_s=600)
    elapsed = time.perf_counter() - started
    runtime.close()
    return count / elapsed


def _wait_for_rows(engine: object, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:  # type: ignore[attr-defined]
                if conn.scalar(select(func.count()).select_from(supplier_invoice)) >= count:
                    return
        except Exception:  # the hub may still be creating its tables
            pass
        time.sleep(0.2)
    msg = f"ERP did not reach {count} invoices within {timeout_s}s"
    raise SystemExit(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--lines", type=int, default=20)
    args = parser.parse_args()
    validator = load_validator(ARTEFACTS, Path(tempfile.gettempdir()) / "grossisthub-bench-cache")
    context = TranslationContext(validator=validator)
    template = invoice_with_lines(args.lines)
    rate = on_one_cpu(translate_rate, context, template, args.invoices)
    validate_s, translate_s = one_large(context, 1000)
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end = whole_path(template, args.invoices, Path(tmp))
    print(f"CPUs: {os.cpu_count()}; {args.invoices} invoices of {args.lines} lines")
    print(f"{'translate + validate (one core)':<48} {rate:8.1f} invoices/s   (goal >= 50)")
    print(f"{'1,000-line invoice: validation only':<48} {validate_s * 1000:8.0f} ms")
    print(f"{'1,000-line invoice: translate + validate':<48} {translate_s * 1000:8.0f} ms")
    print(f"{'whole path (intake -> broker -> faust -> ERP)':<48} {end_to_end:8.1f} invoices/s")


if __name__ == "__main__":
    main()
