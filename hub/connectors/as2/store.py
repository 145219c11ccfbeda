"""AS2 state in the hub state database (component ``as2``): every received message and the async-MDN queue.

* ``hub_as2_message`` — one row per HTTP request, written right after the raw body and headers were
  archived and *before* any check: who sent it, the archive URIs, the outcome (``processed``,
  ``failed`` with the RFC 4130 modifier and a reason, ``transient``), the document id and the MDN
  that was sent (archived), so that a duplicate gets the same MDN again and a failure can be inspected.
* ``hub_as2_outbox`` — asynchronous MDNs to deliver; retried with backoff; survives restarts.

The tables as of the newest migration; the DDL steps are in :mod:`hub.connectors.as2.migrations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    select,
    update,
)

from hub.db.types import UtcDateTime, utcnow

RECEIVED, PROCESSED, FAILED, TRANSIENT = "received", "processed", "failed", "transient"
PENDING, SENT, GAVE_UP = "pending", "sent", "gave_up"


def _message_table(meta: MetaData) -> Table:
    return Table(
        "hub_as2_message",
        meta,
        Column("id", String(36), primary_key=True),
        Column("received_at", UtcDateTime, nullable=False),
        Column("as2_from", String(200), nullable=False),
        Column("as2_to", String(200), nullable=False),
        Column("message_id", String(1000), nullable=False),
        Column("partner_id", String(64)),
        Column("headers_uri", String(200), nullable=False),
        Column("body_uri", String(200)),
        Column("size", BigInteger, nullable=False),
        Column("state", String(20), nullable=False),
        Column("disposition", String(100)),
        Column("reason", Text),
        Column("security", String(100)),
        Column("document_id", String(36)),
        Column("mic", String(200)),
        Column("mdn_mode", String(10)),
        Column("mdn_uri", String(200)),
        Column("mdn_message_id", String(300)),
        Column("updated_at", UtcDateTime, nullable=False),
        Index("ix_hub_as2_message_msgid", "as2_from", "message_id"),
        Index("ix_hub_as2_message_state", "state"),
    )


def _outbox_table(meta: MetaData) -> Table:
    return Table(
        "hub_as2_outbox",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_row", String(36), nullable=False, index=True),
        Column("document_id", String(36)),
        Column("url", String(1000), nullable=False),
        Column("mdn_uri", String(200), nullable=False),
        Column("state", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", UtcDateTime, nullable=False),
        Column("last_error", Text),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime),
        Index("ix_hub_as2_outbox_due", "state", "next_attempt_at"),
    )


metadata = MetaData()
messages = _message_table(metadata)
outbox = _outbox_table(metadata)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    message_row: str
    document_id: str | None
    url: str
    mdn_uri: str
    attempts: int


class As2Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def received(self, row_id: str, *, as2_from: str, as2_to: str, message_id: str, **uris: Any) -> None:
        now = utcnow()
        values = dict(as2_from=as2_from[:200], as2_to=as2_to[:200], message_id=message_id[:1000], **uris)
        with self.engine.begin() as conn:
            conn.execute(messages.insert().values(id=row_id, received_at=now, updated_at=now, state=RECEIVED, **values))

    def update(self, row_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.id == row_id).values(**values, updated_at=utcnow()))

    def processed_before(self, as2_from: str, message_id: str) -> dict[str, Any] | None:
        """The earlier successful receipt of this Message-ID from this partner, with its stored MDN."""
        query = (
            select(messages)
            .where(messages.c.as2_from == as2_from, messages.c.message_id == message_id, messages.c.state == PROCESSED)
            .order_by(messages.c.received_at)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def get(self, row_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(messages).where(messages.c.id == row_id)).first()
        return dict(row._mapping) if row else None

    def rows(self, *, state: str | None = None) -> list[dict[str, Any]]:
        query = select(messages).order_by(messages.c.received_at)
        if state:
            query = query.where(messages.c.state == state)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def enqueue(self, message_row: str, url: str, mdn_uri: str, document_id: str | None) -> None:
        now = utcnow()
        row = dict(message_row=message_row, document_id=document_id, url=url, mdn_uri=mdn_uri, state=PENDING)
        with self.engine.begin() as conn:
            conn.execute(outbox.insert().values(**row, attempts=0, next_attempt_at=now, created_at=now))

    def due(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        query = (
            select(outbox)
            .where(and_(outbox.c.state == PENDING, outbox.c.next_attempt_at <= now))
            .order_by(outbox.c.next_attempt_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [OutboxItem(r.id, r.message_row, r.document_id, r.url, r.mdn_uri, r.attempts) for r in rows]

    def claim_next(self, now: datetime, lease: timedelta) -> OutboxItem | None:
        """The next due MDN, claimed for ``lease``: its due time moves past the lease with a compare-and-set on
        the due time read, so of several receivers sharing the queue exactly one sends it. A sender that dies
        mid-send leaves it due again once the lease ends; the attempt's outcome sets the next due time."""
        while True:
            found = self.due(now, limit=1)
            if not found:
                return None
            item = found[0]
            with self.engine.begin() as conn:
                read = conn.scalar(select(outbox.c.next_attempt_at).where(outbox.c.id == item.id))
                if read is None or read > now:
                    continue  # another receiver claimed it between the two reads
                claimed = conn.execute(
                    update(outbox)
                    .where(outbox.c.id == item.id, outbox.c.state == PENDING, outbox.c.next_attempt_at == read)
                    .values(next_attempt_at=now + lease)
                )
            if claimed.rowcount == 1:
                return item

    def delivered(self, item_id: int) -> None:
        self._outbox(item_id, state=SENT, sent_at=utcnow(), attempts=outbox.c.attempts + 1, last_error=None)

    def failed_attempt(self, item_id: int, error: str, retry_in: timedelta | None) -> None:
        if retry_in is None:
            self._outbox(item_id, state=GAVE_UP, attempts=outbox.c.attempts + 1, last_error=error)
        else:
            when = utcnow() + retry_in
            self._outbox(item_id, attempts=outbox.c.attempts + 1, last_error=error, next_attempt_at=when)

    def outbox_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(outbox).order_by(outbox.c.id))]

    def _outbox(self, item_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == item_id).values(**values))
