"""E-mail intake configuration (partners file). Owned by the e-mail connector; extend freely."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Mailbox(BaseModel):
    """An IMAP mailbox the hub polls (top-level ``mailboxes`` in the partners file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailSenders(BaseModel):
    """Which sender addresses belong to a wholesaler (``wholesalers[].email``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
