"""``ApiServer``: the HTTP API under uvicorn in a thread of its own — what ``hub up`` and ``hub api`` start.

::

    server = ApiServer(runtime, port=runtime.settings.api_port)   # host 127.0.0.1 unless told otherwise
    server.start()       # binds, serves in a thread, returns once uvicorn is up; ConfigError if it cannot bind
    ...
    server.stop()        # graceful: in-flight requests finish
"""

from __future__ import annotations

import socket
import threading
import time

import structlog
import uvicorn

from hub.api.app import create_app, create_health_app
from hub.errors import ConfigError
from hub.runtime import Runtime

log = structlog.get_logger(__name__)
LOOPBACK = "127.0.0.1"


class ApiServer:
    def __init__(self, runtime: Runtime, host: str = LOOPBACK, port: int = 8780, *, health_only: bool = False) -> None:
        self.runtime, self.host, self.port, self.health_only = runtime, host, port, health_only
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        sock = _bind(self.host, self.port, "HUB_ROLE_HTTP_PORT" if self.health_only else "HUB_API_PORT")
        self.port = sock.getsockname()[1]
        app = create_health_app(self.runtime) if self.health_only else create_app(self.runtime)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="api-server", daemon=True
        )
        self._thread.start()
        _wait_started(self._server, self._thread, timeout_s)
        log.info("api.listening", url=self.url, health_only=self.health_only)

    def stop(self, timeout_s: float = 15.0) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=timeout_s)

    def serve(self, stop: threading.Event) -> None:
        """start, wait for ``stop``, stop — for a thread of its own or the foreground of ``hub api``."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()


def _bind(host: str, port: int, setting: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        what = "the role's health port" if setting == "HUB_ROLE_HTTP_PORT" else "the HTTP API"
        raise ConfigError(f"{what} cannot listen on {host}:{port}: {exc.strerror} (set {setting})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"the HTTP API did not start within {timeout_s:.0f}s (see the log)")
        time.sleep(0.02)
