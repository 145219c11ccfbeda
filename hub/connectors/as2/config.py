"""AS2 configuration models (partners file): the hub's own station and each wholesaler's AS2 profile.

Owned by the AS2 connector; the partners file validates them. Extend freely.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class As2Station(BaseModel):
    """The hub's own AS2 identity (top-level ``as2_station`` in the partners file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class As2Partner(BaseModel):
    """A wholesaler's AS2 profile (``wholesalers[].as2``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
