"""API bearer tokens: issued once, stored only as a SHA-256 hash, each with scopes ``admin`` or ``tenant:<id>``.

A token is ``ghub_`` + 43 random URL-safe characters (256 bits), so a plain SHA-256 is enough to store it —
there is nothing to brute-force that a slow password hash would protect. The table ``hub_api_token`` lives in
the hub state database and has its own migration component ``api`` (:mod:`hub.api.migrations`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, or_, select, update

from hub.api.errors import TokenRejectedError
from hub.api.migrations import API_MIGRATIONS
from hub.db.migrate import upgrade
from hub.db.types import UtcDateTime, utcnow
from hub.errors import ConfigError

ADMIN = "admin"
TENANT_PREFIX = "tenant:"
TOKEN_PREFIX = "ghub_"  # noqa: S105 — the recognisable start of every token, not a secret
MAX_TOKEN_LENGTH = 200
TOUCH_INTERVAL = timedelta(minutes=5)  # last_used_at is refreshed at most this often (no write per request)
_NAME = re.compile(r"^[\w .@:/+-]{1,100}$")

metadata = MetaData()
api_token = Table(
    "hub_api_token",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("scopes", String(2000), nullable=False, doc="space-separated: admin, tenant:<id>"),
    Column("token_hash", String(64), nullable=False, unique=True, doc="SHA-256 of the token, hex"),
    Column("token_prefix", String(16), nullable=False, doc="first characters, to recognise a token in lists"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)


def migrate(engine: Engine) -> None:
    upgrade(engine, "api", API_MIGRATIONS)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id, name and scopes."""

    token_id: str
    name: str
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def may_read_tenant(self, tenant_id: str) -> bool:
        return self.is_admin or f"{TENANT_PREFIX}{tenant_id}" in self.scopes


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    scopes: tuple[str, ...]
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    info: TokenInfo
    token: str  # shown once; only its hash is stored


def parse_scopes(values: Iterable[str], known_tenant: Callable[[str], bool]) -> tuple[str, ...]:
    """Validate ``admin`` / ``tenant:<id>`` scopes (the tenant must be in the partners file)."""
    scopes: list[str] = []
    for value in (v.strip() for v in values):
        tenant = value.removeprefix(TENANT_PREFIX) if value.startswith(TENANT_PREFIX) else None
        if value != ADMIN and not tenant:
            raise ConfigError(f"invalid scope {value!r}: use 'admin' or 'tenant:<tenant id>'")
        if tenant and not known_tenant(tenant):
            raise ConfigError(f"unknown tenant {tenant!r} in scope {value!r} (not in the partners file)")
        if value not in scopes:
            scopes.append(value)
    if not scopes:
        raise ConfigError("a token needs at least one scope: --scope admin or --scope tenant:<tenant id>")
    return tuple(scopes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, scopes: tuple[str, ...], expires_at: datetime | None = None) -> IssuedToken:
        """Issue a token; the returned plaintext is the only copy there will ever be."""
        if not _NAME.match(name):
            raise ConfigError(f"invalid token name {name!r}: 1–100 letters, digits, spaces or . @ : / + - _")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {
            "id": secrets.token_hex(6),
            "name": name,
            "scopes": " ".join(scopes),
            "token_hash": token_hash(token),
            "token_prefix": token[: len(TOKEN_PREFIX) + 6],
            "created_at": utcnow(),
            "expires_at": expires_at,
        }
        with self.engine.begin() as conn:
            conn.execute(api_token.insert().values(**row))
        return IssuedToken(_info({**row, "last_used_at": None, "revoked_at": None}), token)

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_token).order_by(api_token.c.created_at))
            return [_info(r._mapping) for r in rows]

    def revoke(self, id_or_name: str) -> TokenInfo:
        """Revoke one token by id, or by name when exactly one active token has that name."""
        now = utcnow()
        matches = [t for t in self.list() if t.id == id_or_name or t.name == id_or_name]
        exact = [t for t in matches if t.id == id_or_name]
        active = exact or [t for t in matches if t.state(now) == "active"]
        if not active:
            raise ConfigError(f"no active token with id or name {id_or_name!r} (see hub tokens list)")
        if len(active) > 1:
            ids = ", ".join(t.id for t in active)
            raise ConfigError(f"several active tokens are named {id_or_name!r}; revoke one by id ({ids})")
        with self.engine.begin() as conn:
            conn.execute(
                update(api_token)
                .where(api_token.c.id == active[0].id, api_token.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return self.get(active[0].id)

    def get(self, token_id: str) -> TokenInfo:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_token).where(api_token.c.id == token_id)).first()
        if row is None:
            raise ConfigError(f"no token with id {token_id!r}")
        return _info(row._mapping)

    def verify(self, token: str) -> Principal:
        """The principal a presented token stands for; :class:`TokenRejectedError` when it is not valid."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            raise TokenRejectedError("not a grossisthub API token (they start with 'ghub_')")
        with self.engine.connect() as conn:
            row = conn.execute(select(api_token).where(api_token.c.token_hash == token_hash(token))).first()
        if row is None:
            raise TokenRejectedError("unknown token")
        info, now = _info(row._mapping), utcnow()
        state = info.state(now)
        if state != "active":
            raise TokenRejectedError(f"token {info.id} ({info.name}) is {state}")
        if info.last_used_at is None or now - info.last_used_at > TOUCH_INTERVAL:
            self._touch(info.id, now)
        return Principal(info.id, info.name, frozenset(info.scopes))

    def _touch(self, token_id: str, now: datetime) -> None:
        stale = or_(api_token.c.last_used_at.is_(None), api_token.c.last_used_at < now - TOUCH_INTERVAL)
        with self.engine.begin() as conn:
            conn.execute(update(api_token).where(api_token.c.id == token_id, stale).values(last_used_at=now))


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        name=row["name"],
        scopes=tuple(row["scopes"].split()),
        token_prefix=row["token_prefix"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )
