"""The hub's HTTP API: ERP consumers' tenant-scoped reads, admin operations, health and metrics.

``create_app(runtime)`` builds the ASGI app; ``ApiServer(runtime, host, port)`` runs it in a thread (for
``hub up``); tokens are managed with ``hub tokens`` (:mod:`hub.api.tokens`). Must not write ERP data.
"""

from hub.api.app import create_app
from hub.api.server import ApiServer

__all__ = ["ApiServer", "create_app"]
