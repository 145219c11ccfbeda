"""``As2Service``: what ``hub up`` starts — the AS2 receiver (uvicorn, in a thread) and the async MDN sender.

Wiring (see docs/as2.md)::

    service = As2Service.from_runtime(runtime)   # None when the partners file has no as2_station
    if service:
        service.start()                          # binds station.host:port (127.0.0.1 by default)
        ...
        service.stop()                           # graceful: in-flight requests finish

``serve(stop_event)`` is the same as start / wait / stop for a thread of its own.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import structlog
import uvicorn
from sqlalchemy import Engine

from hub.archive import Archive
from hub.connectors.as2.app import create_app
from hub.connectors.as2.certs import Certificate, load_station_keys, report_expiry
from hub.connectors.as2.config import As2Station
from hub.connectors.as2.receiver import As2Receiver, partner_directory
from hub.connectors.as2.sender import AsyncMdnSender
from hub.connectors.as2.store import As2Store
from hub.errors import ConfigError
from hub.intake.ledger import Ledger
from hub.intake.service import IntakeService
from hub.partners import Partners
from hub.settings import HubSettings

log = structlog.get_logger(__name__)
EXPIRY_CHECK_S = 6 * 3600


class RuntimeParts(Protocol):
    """What the service needs of :class:`hub.runtime.Runtime` (kept as a protocol: no import cycle)."""

    settings: HubSettings
    partners: Partners

    @property
    def archive(self) -> Archive: ...
    @property
    def state_engine(self) -> Engine: ...
    @property
    def ledger(self) -> Ledger: ...
    def intake(self) -> IntakeService: ...


@dataclass
class _Running:
    server: uvicorn.Server
    threads: list[threading.Thread]
    stop: threading.Event


class As2Service:
    def __init__(self, station: As2Station, receiver: As2Receiver, sender: AsyncMdnSender, work_dir: Path) -> None:
        self.station, self.receiver, self.sender, self.work_dir = station, receiver, sender, work_dir
        self.certificates: list[Certificate] = [k.certificate for k in receiver.keys] + [
            c for e in receiver.directory.values() for c in e.certificates
        ]
        self.port: int | None = None
        self._running: _Running | None = None

    @classmethod
    def from_runtime(cls, runtime: RuntimeParts) -> As2Service | None:
        station = runtime.partners.data.as2_station
        if station is None:
            return None
        store = As2Store(runtime.state_engine)
        receiver = As2Receiver(
            station=station,
            keys=load_station_keys(station),
            directory=partner_directory(runtime.partners),
            intake=runtime.intake(),
            archive=runtime.archive,
            store=store,
            work_dir=runtime.settings.data_dir / "tmp" / "as2",
        )
        ledger = runtime.ledger
        sender = AsyncMdnSender(store, runtime.archive, station.async_mdn, ledger.mark_acknowledged)
        return cls(station, receiver, sender, runtime.settings.data_dir / "tmp" / "as2")

    @property
    def url(self) -> str:
        return f"http://{self.station.host}:{self.port}{self.station.path}"

    def start(self, timeout_s: float = 10.0) -> None:
        report_expiry(self.certificates)
        sock = _bind(self.station.host, self.station.port)
        self.port = sock.getsockname()[1]
        app = create_app(self.receiver, path=self.station.path, max_bytes=self.station.max_message_bytes,
                         work_dir=self.work_dir)  # fmt: skip
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=10)
        server = uvicorn.Server(config)
        stop = threading.Event()
        threads = [
            threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="as2-receiver", daemon=True),
            threading.Thread(target=self._background, args=(stop,), name="as2-mdn-sender", daemon=True),
        ]
        for thread in threads:
            thread.start()
        self._running = _Running(server, threads, stop)
        _wait_started(server, timeout_s)
        log.info("as2.listening", url=self.url, station=self.station.as2_id, partners=len(self.receiver.directory))

    def stop(self, timeout_s: float = 15.0) -> None:
        running, self._running = self._running, None
        if running is None:
            return
        running.server.should_exit = True
        running.stop.set()
        for thread in running.threads:
            thread.join(timeout=timeout_s)

    def serve(self, stop: threading.Event) -> None:
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def _background(self, stop: threading.Event) -> None:
        """The async MDN sender, plus the certificate expiry check every few hours."""
        last_check = time.monotonic()
        while not stop.is_set():
            self.sender.run_once_logged()
            if time.monotonic() - last_check > EXPIRY_CHECK_S:
                report_expiry(self.certificates)
                last_check = time.monotonic()
            stop.wait(self.station.async_mdn.poll_interval_seconds)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"AS2 receiver cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _wait_started(server: uvicorn.Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline:
            raise ConfigError(f"AS2 receiver did not start within {timeout_s:.0f}s")
        time.sleep(0.02)
