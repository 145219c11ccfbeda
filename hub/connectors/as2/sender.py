"""The asynchronous MDN sender: delivers queued MDNs (``hub_as2_outbox``) with retries and backoff.

The queue lives in the hub state database, so an MDN that could not be delivered before a restart
is delivered after it. A failed attempt is retried after ``first_retry_seconds``, doubling up to
``max_backoff_seconds``; after ``max_attempts`` the MDN is given up with an error in the log (it stays
in the table and in the archive for a person). The partner is acknowledged in the intake ledger
only when its server accepted the MDN (HTTP 2xx).
"""

from __future__ import annotations

import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from hub.archive import Archive
from hub.connectors.as2.config import AsyncMdnPolicy
from hub.connectors.as2.mdn import RenderedMdn
from hub.connectors.as2.store import As2Store, OutboxItem
from hub.db.types import utcnow
from hub.errors import HubError

log = structlog.get_logger(__name__)
Post = Callable[[str, list[tuple[str, str]], bytes, float], int]


def http_post(url: str, headers: list[tuple[str, str]], body: bytes, timeout: float) -> int:
    """POST and return the HTTP status; network errors raise OSError."""
    if not url.startswith(("http://", "https://")):
        msg = f"not an http(s) URL: {url}"
        raise OSError(msg)
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def backoff(policy: AsyncMdnPolicy, attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: exponential with ±10 % jitter, capped."""
    base = min(policy.max_backoff_seconds, policy.first_retry_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * random.uniform(0.9, 1.1))  # noqa: S311 (jitter, not security)


class AsyncMdnSender:
    def __init__(
        self,
        store: As2Store,
        archive: Archive,
        policy: AsyncMdnPolicy,
        on_delivered: Callable[[str], None],
        post: Post = http_post,
    ) -> None:
        self.store, self.archive, self.policy = store, archive, policy
        self.on_delivered, self.post = on_delivered, post

    def deliver_due(self, now: datetime | None = None) -> int:
        """Try every due MDN once (each claimed first, so receivers sharing the queue never both send one);
        return how many were delivered."""
        moment = now or utcnow()
        lease = timedelta(seconds=self.policy.timeout_seconds + 60)  # one attempt, with room to record it
        delivered = 0
        while (item := self.store.claim_next(moment, lease)) is not None:
            delivered += self._deliver(item)
        return delivered

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.run_once_logged()
            stop.wait(self.policy.poll_interval_seconds)

    def run_once_logged(self) -> None:
        """One pass over the queue; a failure is logged, never kills the sender thread."""
        try:
            self.deliver_due()
        except HubError as exc:
            log.warning("as2.mdn_sender_unavailable", error=exc.render())
        except Exception:
            log.exception("as2.mdn_sender_crashed")

    def _deliver(self, item: OutboxItem) -> bool:
        mdn = RenderedMdn.from_bytes(self.archive.read(item.mdn_uri))
        try:
            status = self.post(item.url, mdn.headers, mdn.body, self.policy.timeout_seconds)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.store.delivered(item.id)
            if item.document_id:
                self.on_delivered(item.document_id)
            log.info("as2.async_mdn_sent", url=item.url, mdn_message_id=mdn.message_id, attempts=item.attempts + 1)
            return True
        attempts = item.attempts + 1
        retry_in = backoff(self.policy, attempts) if attempts < self.policy.max_attempts else None
        self.store.failed_attempt(item.id, error, retry_in)
        event = "as2.async_mdn_retry" if retry_in else "as2.async_mdn_gave_up"
        (log.warning if retry_in else log.error)(event, url=item.url, error=error, attempts=attempts)
        return False
