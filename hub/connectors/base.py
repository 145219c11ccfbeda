"""What every polling connector shares: the stable-file rule and the poll loop.

The contract (DESIGN §5, STYLE §6.2): a connector hands bytes to :class:`IntakeService`, which
returns only after the broker acked; only then does the connector acknowledge its partner
(move the file to ``done/``, send the MDN, flag the mail). On a transient failure it leaves the
delivery where it is, so the next poll (or the partner's resend) brings it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from hub.errors import HubError, TransientError

log = structlog.get_logger(__name__)


class Poller(Protocol):
    name: str
    interval_s: float

    def poll_once(self) -> int:
        """Take what is ready; return how many deliveries were taken."""
        ...


@dataclass(frozen=True, slots=True)
class Observation:
    size: int
    mtime: float
    since: float  # monotonic time when this (size, mtime) was first seen


class StabilityTracker:
    """A file is ready when its size and mtime stayed unchanged for ``min_age_s`` between polls.

    This guards against taking a half-written file (a classic complaint about SFTP and drop-folder
    integrations) without relying on the remote clock.
    """

    def __init__(self, min_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_age_s = min_age_s
        self._clock = clock
        self._seen: dict[str, Observation] = {}

    def ready(self, path: str, size: int, mtime: float) -> bool:
        now = self._clock()
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime) != (size, mtime):
            self._seen[path] = Observation(size, mtime, now)
            return self.min_age_s == 0
        return now - seen.since >= self.min_age_s

    def forget(self, path: str) -> None:
        self._seen.pop(path, None)

    def keep_only(self, present: set[str]) -> None:
        for path in set(self._seen) - present:
            del self._seen[path]


def run_poller(poller: Poller, stop: threading.Event, *, max_backoff_s: float = 60.0) -> None:
    """Poll until ``stop`` is set; back off on failures; never let an exception kill the thread silently."""
    backoff = poller.interval_s
    while not stop.is_set():
        try:
            poller.poll_once()
            backoff = poller.interval_s
        except TransientError as exc:
            log.warning("connector.unavailable", connector=poller.name, error=exc.render(), retry_in_s=backoff)
            backoff = min(max_backoff_s, backoff * 2)
        except HubError as exc:
            log.error("connector.failed", connector=poller.name, error=exc.render(), retry_in_s=backoff)
            backoff = min(max_backoff_s, backoff * 2)
        except Exception:
            log.exception("connector.crashed", connector=poller.name, retry_in_s=backoff)
            backoff = min(max_backoff_s, backoff * 2)
        stop.wait(backoff)
