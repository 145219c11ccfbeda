"""`hub run sftp-inbox` and `hub run as2` as their own processes (the Helm chart's server roles).

The inbox role listens where --listen-host says (a pod's own IP), answers with an SSH banner, refuses a
wildcard address with a message naming the option, and stops cleanly on SIGTERM; a role whose section is
missing from the partners file says so instead of idling.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.hubproc import HUB, hub_env
from tests.inbox.hosted import generate_key, inbox_partners
from tests.support import wait_for, write_partners

pytestmark = pytest.mark.integration
PROJECT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, partners: Path, bootstrap_servers: str) -> dict[str, str]:
    return hub_env(tmp_path / "var", partners, HUB_BOOTSTRAP_SERVERS=bootstrap_servers)


def _serving_address(process: subprocess.Popen[str]) -> tuple[str, int]:
    assert process.stdout is not None
    for line in process.stdout:  # structured log lines; the role announces where it listens
        if '"hub.serving"' in line:
            host, port = json.loads(line)["address"].rsplit(":", 1)
            return host, int(port)
    raise AssertionError(f"hub run exited ({process.wait()}) without serving")


def test_sftp_inbox_role_listens_on_the_given_host_and_stops_on_sigterm(tmp_path: Path, bootstrap_servers: str) -> None:
    public = generate_key(tmp_path / "wholesaler_ed25519")
    partners = inbox_partners(tmp_path, public, "{host: 127.0.0.2, port: 0}")
    command = [*HUB, "run", "sftp-inbox", "--listen-host", "127.0.0.1"]
    env = _env(tmp_path, partners, bootstrap_servers)
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        try:
            host, port = _serving_address(process)
            assert host == "127.0.0.1"  # --listen-host, not the file's 127.0.0.2
            with socket.create_connection((host, port), timeout=10) as conn:
                assert conn.recv(64).startswith(b"SSH-2.0-")
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_sftp_inbox_role_refuses_a_wildcard_listen_host(tmp_path: Path, bootstrap_servers: str) -> None:
    public = generate_key(tmp_path / "wholesaler_ed25519")
    partners = inbox_partners(tmp_path, public, "{host: 127.0.0.1, port: 0}")
    result = subprocess.run(
        [*HUB, "run", "sftp-inbox", "--listen-host", "0.0.0.0"],
        env=_env(tmp_path, partners, bootstrap_servers), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "--listen-host '0.0.0.0'" in result.stderr and "wildcard address" in result.stderr
    assert "Traceback" not in result.stderr


def test_as2_role_without_an_as2_station_says_so(tmp_path: Path, bootstrap_servers: str) -> None:
    result = subprocess.run(
        [*HUB, "run", "as2"], env=_env(tmp_path, write_partners(tmp_path), bootstrap_servers),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "hub run as2: the partners file has no as2_station section; nothing to serve" in result.stderr


def test_a_consumer_role_creates_its_topics_before_it_subscribes(tmp_path: Path, bootstrap_servers: str) -> None:
    """Started before anything else (a fresh deploy), `hub run sink-catalog` must not subscribe to topics that do
    not exist yet: librdkafka would only notice them at its next metadata refresh, and a price list published in
    the meantime sat unread for up to five minutes (found by bench/pricelist.py)."""
    from confluent_kafka.admin import AdminClient

    from hub.kafka.topics import TopicNames

    prefix = f"r{uuid.uuid4().hex[:6]}."
    env = _env(tmp_path, write_partners(tmp_path), bootstrap_servers) | {"HUB_TOPIC_PREFIX": prefix}
    wanted = {TopicNames(prefix)(name) for name in ("hub.price.v1", "hub.pricelist.v1", "hub.discount.v1")}
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    assert not wanted & set(admin.list_topics(timeout=10).topics)
    command = [*HUB, "run", "sink-catalog"]
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as p:
        try:
            present = wait_for(
                lambda: wanted <= set(admin.list_topics(timeout=10).topics) or None, timeout_s=60, what="topics"
            )
            assert present is True
            assert p.poll() is None  # still running, consuming
        finally:
            p.send_signal(signal.SIGINT)
        p.wait(timeout=30)


def _listening_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if '"api.listening"' in line:
            return str(json.loads(line)["url"])
    raise AssertionError(f"hub run exited ({process.wait()}) without its health port")


def _translated(metrics: str) -> float:
    lines = [x for x in metrics.splitlines() if x.startswith("hub_documents_translated_total{")]
    return sum(float(x.rsplit(" ", 1)[1]) for x in lines)


@pytest.mark.timeout(180)  # the log is read line by line: a role that never announces its port must not hang
def test_a_worker_role_serves_health_and_its_own_counters(tmp_path: Path, bootstrap_servers: str) -> None:
    """HUB_ROLE_HTTP_PORT: the translate worker answers /livez and /readyz, and its /metrics counts the invoice
    it translated — the count lives in the process that did the work, not in the API's."""
    env = _env(tmp_path, write_partners(tmp_path), bootstrap_servers) | {
        "HUB_TOPIC_PREFIX": f"h{uuid.uuid4().hex[:6]}.", "HUB_ROLE_HTTP_PORT": "0", "HUB_APP_ID": "role-http",
    }  # fmt: skip
    command = [*HUB, "run", "translate"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        try:
            url = _listening_url(process)
            assert httpx.get(f"{url}/livez", timeout=10).json() == {"status": "ok"}
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["status"] == "ready", ready.text
            assert _translated(httpx.get(f"{url}/metrics", timeout=10).text) == 0
            invoice = PROJECT / "examples" / "invoices" / "elgrossisten-syd-F2026-1187.xml"
            imported = subprocess.run(
                [*HUB, "import", str(invoice), "--partner", "elgrossisten-syd"],
                env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert imported.returncode == 0, imported.stderr
            counted = wait_for(
                lambda: _translated(httpx.get(f"{url}/metrics", timeout=10).text) or None, timeout_s=90, what="count"
            )
            assert counted == 1
            assert httpx.get(f"{url}/openapi.json", timeout=10).status_code == 404  # health only, no API
        finally:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
