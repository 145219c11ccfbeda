"""Health and metrics: ``/livez`` (the process answers), ``/readyz`` (broker metadata and database reachable,
each within a short timeout; 503 naming what failed) and ``/metrics`` (Prometheus text, see hub.metrics).

Probes run in a small thread pool of their own and are abandoned after the timeout, so a hung database
connect never holds a request (or the event loop) for longer than that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, text

from hub.api.models import Check, Readiness
from hub.kafka.topics import TopicNames, apply_topics
from hub.runtime import resolve_bootstrap
from hub.settings import HubSettings


class ProbedRuntime(Protocol):
    """What the probes need of :class:`hub.runtime.Runtime`."""

    settings: HubSettings
    bootstrap_servers: str | None

    @property
    def state_engine(self) -> Engine: ...
    @property
    def erp_engine(self) -> Engine: ...


@dataclass(frozen=True)
class Probe:
    name: str
    check: Callable[[], str]  # returns a short detail; raises when the dependency is not usable


class Probes:
    def __init__(self, probes: Sequence[Probe], timeout_s: float = 2.0) -> None:
        self.probes, self.timeout_s = list(probes), timeout_s
        self._executor = ThreadPoolExecutor(max_workers=2 * max(1, len(self.probes)), thread_name_prefix="api-probe")

    async def readiness(self) -> Readiness:
        checks = await asyncio.gather(*(self._run(p) for p in self.probes))
        failed = [c.name for c in checks if not c.ok]
        return Readiness(status="unavailable" if failed else "ready", failed=failed, checks=list(checks))

    async def _run(self, probe: Probe) -> Check:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            detail = await asyncio.wait_for(loop.run_in_executor(self._executor, probe.check), self.timeout_s)
            ok = True
        except TimeoutError:
            ok, detail = False, f"no answer within {self.timeout_s:g}s"
        except Exception as exc:  # any failure of the dependency is the answer, not an error of ours
            ok, detail = False, _first_line(exc)
        return Check(name=probe.name, ok=ok, detail=detail, seconds=round(time.perf_counter() - started, 4))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def default_probes(runtime: ProbedRuntime, timeout_s: float = 2.0) -> Probes:
    """The state database (and the ERP database when it is another one) and the broker's metadata."""
    state, erp = runtime.state_engine, runtime.erp_engine
    if erp is state:
        probes = [Probe("database", lambda: _database(state))]
    else:
        probes = [Probe("state_database", lambda: _database(state)), Probe("erp_database", lambda: _database(erp))]
    probes.append(Probe("broker", lambda: _broker(runtime, timeout_s)))
    return Probes(probes, timeout_s)


def _database(engine: Engine) -> str:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return f"{engine.dialect.name} answered"


def _broker(runtime: ProbedRuntime, timeout_s: float) -> str:
    bootstrap = runtime.bootstrap_servers or resolve_bootstrap(runtime.settings)
    # A metadata request (list topics) with no topics to create: proves the broker answers the protocol.
    # Its own timeout is shorter than the probe's, so the client's reason is reported rather than a timeout.
    settings = runtime.settings
    apply_topics(
        bootstrap, [], TopicNames(settings.topic_prefix), timeout_s=timeout_s * 0.75, security=settings.kafka_security
    )
    return f"metadata from {bootstrap}"


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text_[0] if text_ else ''}".rstrip(": ")
