"""The async-MDN outbox shared by several AS2 receivers (replicas): every MDN is sent exactly once.

Two senders on two engines over one database (SQLite file, PostgreSQL) drain a queue of MDNs to a real HTTP
endpoint on loopback at the same time; each MDN must arrive once and every row end ``sent``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine

from hub.archive.local import LocalArchive
from hub.connectors.as2.config import AsyncMdnPolicy
from hub.connectors.as2.mdn import RenderedMdn
from hub.connectors.as2.migrations import AS2_MIGRATIONS
from hub.connectors.as2.sender import AsyncMdnSender
from hub.connectors.as2.store import As2Store
from hub.db.engine import make_engine
from hub.db.migrate import upgrade

MDNS = 40


class _Partner(BaseHTTPRequestHandler):
    received: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.received[self.headers["Message-ID"]] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def partner() -> Iterator[str]:
    _Partner.received = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Partner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mdn"
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


def _queue(engine: Engine, archive: LocalArchive, url: str) -> None:
    store = As2Store(engine)
    for i in range(MDNS):
        mdn = RenderedMdn(f"mdn-{i}@hub", [("Message-ID", f"<mdn-{i}@hub>"), ("Content-Type", "text/plain")], b"ok")
        store.enqueue(f"row-{i}", url, archive.put_bytes(mdn.to_bytes()).uri, f"doc-{i}")


def test_two_receivers_sharing_the_outbox_send_every_mdn_exactly_once(
    database_url: str, partner: str, tmp_path: Path
) -> None:
    engines = [make_engine(database_url), make_engine(database_url)]
    upgrade(engines[0], "as2", AS2_MIGRATIONS)
    archive = LocalArchive(tmp_path / "archive")
    _queue(engines[0], archive, partner)
    acknowledged: list[str] = []
    senders = [
        AsyncMdnSender(As2Store(e), archive, AsyncMdnPolicy(timeout_seconds=5), acknowledged.append) for e in engines
    ]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda s=s: counts.append(s.deliver_due())) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(counts) == MDNS
    assert _Partner.received == Counter({f"<mdn-{i}@hub>": 1 for i in range(MDNS)})
    assert sorted(acknowledged) == sorted(f"doc-{i}" for i in range(MDNS))
    assert {row["state"] for row in As2Store(engines[0]).outbox_rows()} == {"sent"}
    for engine in engines:
        engine.dispose()
