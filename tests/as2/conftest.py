"""AS2 fixtures: test PKI, the hub's AS2 receiver on a real runtime, and the django-pyas2 peer.

The hub side runs in-process: a runtime from ``make_runtime`` (real broker, SQLite), the AS2
migrations, and :class:`As2Service` on 127.0.0.1 with a free port. The translate and sink stages are
driven directly (as in tests/integration/test_pipeline.py) to bring a document into the ERP tables.

The peer is django-pyas2 1.2.3 in its own virtualenv (``scripts/as2-peer.sh``), run with
``django-admin runserver 127.0.0.1:PORT --noreload`` and driven through ``peer_tool.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.connectors.as2.migrations import AS2_MIGRATIONS
from hub.connectors.as2.server import As2Service
from hub.connectors.as2.store import As2Store
from hub.db.migrate import upgrade
from hub.kafka.consumer import read_records
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.runtime import Runtime
from hub.sinks.erp.queries import list_invoices
from tests.as2.pki import KeyPair, make_pair
from tests.conftest import EXAMPLES, PROJECT_ROOT
from tests.support import make_runtime, make_settings, wait_for

INVOICE = EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml"
HUB_ID, PARTNER_ID = "grossisthub-test", "elgrossisten-as2"


@dataclass(frozen=True)
class Pki:
    hub: KeyPair
    partner: KeyPair
    wrong: KeyPair
    root: Path


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    return Pki(make_pair(root, "hub"), make_pair(root, "partner"), make_pair(root, "wrong"), root)


def partner_profile(pki: Pki, **overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "as2_id": PARTNER_ID,
        "certificates": [{"certificate_file": str(pki.partner.cert_file)}],
    }
    return {**profile, **overrides}


def station(pki: Pki, **overrides: Any) -> dict[str, Any]:
    keys = [{"certificate_file": str(pki.hub.cert_file), "private_key_file": str(pki.hub.key_file)}]
    base = {
        "as2_id": HUB_ID,
        "keys": keys,
        "port": 0,
        "async_mdn": {"first_retry_seconds": 0.5, "poll_interval_seconds": 0.2},
    }
    return {**base, **overrides}


@dataclass
class As2Hub:
    runtime: Runtime
    service: As2Service
    unique: str
    store: As2Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = As2Store(self.runtime.state_engine)

    @property
    def url(self) -> str:
        return self.service.url

    def to_erp(self, raw_count: int) -> list[dict[str, Any]]:
        """Drive translate and sink for the first ``raw_count`` raw documents; return the ERP invoices."""
        rt, servers = self.runtime, self.runtime.publisher._config["bootstrap.servers"]
        raws = list(read_records(servers, [rt.topics.raw], group_id=f"r-{time.monotonic_ns()}", max_records=raw_count))
        assert len(raws) == raw_count, f"expected {raw_count} raw document(s), got {len(raws)}"
        translated = [rt.translate_stage().process(r) for r in raws]
        count = translated.count("translated")
        events = list(
            read_records(servers, [rt.topics.invoice], group_id=f"i-{time.monotonic_ns()}", max_records=count)
        )
        for event in events:
            rt.sink_stage().process(event)
        return list_invoices(rt.erp_engine)


def make_hub(
    tmp_path: Path, bootstrap_servers: str, unique: str, *, profile: dict[str, Any], station_cfg: dict[str, Any]
) -> As2Hub:
    block = f"    as2: {json.dumps(profile)}"
    settings = make_settings(tmp_path, bootstrap_servers=bootstrap_servers, unique=unique, sftp=block)
    with settings.partners_file.open("a", encoding="utf-8") as out:
        out.write(f"as2_station: {json.dumps(station_cfg)}\n")
    return _start(settings, unique)


def _start(settings: Any, unique: str) -> As2Hub:
    runtime = make_runtime(settings)
    upgrade(runtime.state_engine, "as2", AS2_MIGRATIONS)
    apply_topics(settings.bootstrap_servers, load_topic_specs(), runtime.topics)
    service = As2Service.from_runtime(runtime)
    assert service is not None
    service.start()
    return As2Hub(runtime, service, unique)


@pytest.fixture
def hub_factory(tmp_path: Path, bootstrap_servers: str, unique: str, pki: Pki) -> Iterator[Any]:
    started: list[As2Hub] = []

    def factory(*, profile: dict[str, Any] | None = None, **station_overrides: Any) -> As2Hub:
        hub = make_hub(
            tmp_path, bootstrap_servers, unique,
            profile=profile or partner_profile(pki), station_cfg=station(pki, **station_overrides),
        )  # fmt: skip
        started.append(hub)
        return hub

    yield factory
    for hub in started:
        hub.service.stop()
        hub.runtime.close()


@pytest.fixture
def hub(hub_factory: Any) -> As2Hub:
    return hub_factory()  # type: ignore[no-any-return]


# --- the django-pyas2 peer ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Peer:
    python: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def tool(self, *args: str) -> dict[str, Any]:
        tool = Path(__file__).with_name("peer_tool.py")
        result = subprocess.run(
            [str(self.python), str(tool), str(self.root), *args],
            capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"peer_tool {args[0]} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    def configure(self, pki: Pki, url: str, *, sign: KeyPair | None = None, **profile: Any) -> None:
        spec = {
            "org": PARTNER_ID,
            "partner": HUB_ID,
            "url": url,
            "sign_bundle": str(self._bundle(sign or pki.partner)),
            "decrypt_bundle": str(self._bundle(pki.partner)),
            "hub_cert": str(pki.hub.cert_file),
            **profile,
        }
        self.tool("configure", json.dumps(spec))

    def send(self, path: Path) -> dict[str, Any]:
        target = self.root / "media" / path.name
        target.write_bytes(path.read_bytes())
        return self.tool("send", path.name, PARTNER_ID, HUB_ID)

    def _bundle(self, pair: KeyPair) -> Path:
        path = self.root / f"{pair.name}.bundle.pem"
        path.write_bytes(pair.bundle)
        return path

    @property
    def receive_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pyas2/as2receive"


@pytest.fixture(scope="session")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    script = PROJECT_ROOT / "scripts" / "as2-peer.sh"
    venv = subprocess.run([str(script)], capture_output=True, text=True, check=False, timeout=900)
    if venv.returncode != 0:
        pytest.fail(f"cannot create the django-pyas2 peer venv:\n{venv.stderr[-3000:]}", pytrace=False)
    root = tmp_path_factory.mktemp("as2peer")
    peer = Peer(Path(venv.stdout.strip().splitlines()[-1]) / "bin" / "python", root, free_port())
    peer.tool("init", str(peer.port))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peer_settings", "PYTHONPATH": str(root)}
    with (root / "runserver.log").open("ab") as log:
        peer.process = subprocess.Popen(
            [str(peer.python.parent / "django-admin"), "runserver", f"127.0.0.1:{peer.port}", "--noreload"],
            cwd=root / "media", env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        wait_for(lambda: _answers(peer.receive_url), timeout_s=30, what="django-pyas2 runserver")
        yield peer
    finally:
        peer.process.terminate()
        peer.process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
