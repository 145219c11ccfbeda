"""Helpers for integration tests: per-test settings, partners files, waiting for outcomes."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hub.runtime import Runtime, build_runtime
from hub.settings import HubSettings, load_settings

T = TypeVar("T")
VALIDATION_ARTEFACTS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "peppol-validation"
# Compiled rule sets are cached once per test run, not per test.
CACHE_DIR = Path(tempfile.gettempdir()) / f"grossisthub-test-cache-{os.getuid()}"

# The fictional wholesaler and tenant of SCENARIOS.md, plus a catch-all wholesaler for the
# third-party Peppol examples (it has no identifiers configured, so its seller check is skipped)
# and a tenant that buys in the official base example (buyer endpoint 0002:FR23342).
PARTNERS = """\
wholesalers:
  - id: elgrossisten-syd
    name: Elgrossisten Syd AB
    identifiers: {{org_number: "556301-2342", vat_number: SE556301234201, endpoint_ids: ["0007:5563012342"]}}
{sftp}
  - id: peppol-examples
    name: Senders of the official Peppol examples
tenants:
  - id: nordstrom
    name: Elfirma Nordström AB
    identifiers:
      - {{type: org_number, value: "556604-5679"}}
      - {{type: customer_number, wholesaler: elgrossisten-syd, value: "10042"}}
  - id: example-buyer
    name: Buyer Official Name
    identifiers:
      - {{type: endpoint_id, scheme: "0002", value: FR23342}}
"""


def sftp_block(*, host: str, port: int, username: str, key: Path, host_key: str, remote_dir: str) -> str:
    return (
        f"    sftp: {{host: {host}, port: {port}, username: {username}, private_key_file: '{key}',\n"
        f"           host_key: '{host_key}', remote_dir: {remote_dir}, min_age_seconds: 0.3,\n"
        f"           poll_interval_seconds: 0.3, timeout_seconds: 5}}"
    )


def write_partners(directory: Path, sftp: str = "") -> Path:
    path = directory / "partners.yaml"
    path.write_text(PARTNERS.format(sftp=sftp), encoding="utf-8")
    return path


def make_settings(
    tmp_path: Path,
    *,
    bootstrap_servers: str | None,
    unique: str,
    erp_url: str | None = None,
    sftp: str = "",
    **overrides: object,
) -> HubSettings:
    values: dict[str, object] = dict(
        data_dir=tmp_path / "var",
        partners_file=write_partners(tmp_path, sftp),
        bootstrap_servers=bootstrap_servers,
        topic_prefix=f"t{unique}.",
        app_id=f"hubtest-{unique}",
        erp_database_url=erp_url,
        kafka_delivery_timeout_s=10,
        kafka_session_timeout_s=6,
        drop_min_age_s=0.3,
        drop_poll_interval_s=0.3,
        validation_artefacts=VALIDATION_ARTEFACTS if VALIDATION_ARTEFACTS.is_dir() else None,
        cache_dir=CACHE_DIR,
    )
    return load_settings(**{**values, **overrides})


def make_runtime(settings: HubSettings) -> Runtime:
    runtime = build_runtime(settings, bootstrap_servers=settings.bootstrap_servers)
    runtime.migrate()
    return runtime


def broker_runtime(erp_url: str | None, tmp_path: Path, bootstrap_servers: str, unique: str) -> Runtime:
    """A runtime on the test broker (its topics created) with SQLite, or the ERP at ``erp_url``."""
    from hub.kafka.topics import apply_topics, load_topic_specs

    rt = make_runtime(make_settings(tmp_path, bootstrap_servers=bootstrap_servers, unique=unique, erp_url=erp_url))
    apply_topics(bootstrap_servers, load_topic_specs(), rt.topics)
    return rt


def wait_for(probe: Callable[[], T | None], *, timeout_s: float = 60.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    msg = f"timed out after {timeout_s:.0f}s waiting for {what}"
    raise AssertionError(msg)
