"""What every command gets: the settings, and lazily the runtime built from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.runtime import Runtime, build_runtime
from hub.settings import HubSettings


@dataclass
class Ctx:
    settings: HubSettings
    _runtime: Runtime | None = field(default=None, repr=False)

    def runtime(self, *, bootstrap_servers: str | None = None) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings, bootstrap_servers=bootstrap_servers)
        return self._runtime
