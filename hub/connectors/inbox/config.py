"""Hosted SFTP inbox configuration (partners file). Owned by the inbox connector; extend freely."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InboxServer(BaseModel):
    """The hub's SFTP server (top-level ``sftp_inbox`` in the partners file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InboxAccount(BaseModel):
    """A wholesaler's login to the hosted inbox (``wholesalers[].inbox``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
