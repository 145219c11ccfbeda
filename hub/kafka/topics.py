"""The topic registry (``schemas/topics.yaml``) and ``hub topics apply``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from hub.canonical.schemas import DEFAULT_SCHEMAS_DIR
from hub.errors import BrokerUnavailableError, ConfigError
from hub.kafka.security import PLAINTEXT, KafkaSecurity

RAW = "hub.raw.v1"
RAW_BULK = "hub.raw.bulk.v1"
INVOICE = "hub.invoice.v1"
DLQ = "hub.dlq.v1"
PRICELIST = "hub.pricelist.v1"
PRICE = "hub.price.v1"
DISCOUNT = "hub.discount.v1"
ORDER_CONFIRMATION = "hub.orderconfirmation.v1"
PRICE_DEVIATION = "hub.pricedeviation.v1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    value_schema: str
    doc: str = ""
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicNames:
    """Resolves contract names (``hub.raw.v1``) to physical names (with an optional prefix)."""

    prefix: str = ""

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def raw(self) -> str:
        return self(RAW)

    @property
    def raw_bulk(self) -> str:
        return self(RAW_BULK)

    @property
    def invoice(self) -> str:
        return self(INVOICE)

    @property
    def dlq(self) -> str:
        return self(DLQ)

    @property
    def pricelist(self) -> str:
        return self(PRICELIST)

    @property
    def price(self) -> str:
        return self(PRICE)

    @property
    def discount(self) -> str:
        return self(DISCOUNT)

    @property
    def orderconfirmation(self) -> str:
        return self(ORDER_CONFIRMATION)

    @property
    def pricedeviation(self) -> str:
        return self(PRICE_DEVIATION)


def load_topic_specs(path: Path = DEFAULT_SCHEMAS_DIR / "topics.yaml") -> list[TopicSpec]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [
            TopicSpec(
                name=t["name"],
                partitions=int(t["partitions"]),
                value_schema=t["value_schema"],
                doc=t.get("doc", ""),
                config={k: str(v) for k, v in (t.get("config") or {}).items()},
            )
            for t in data["topics"]
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"invalid topic registry {path}: {exc}") from None


def apply_topics(
    bootstrap_servers: str,
    specs: list[TopicSpec],
    names: TopicNames,
    *,
    replication_factor: int = -1,
    timeout_s: float = 15.0,
    security: KafkaSecurity = PLAINTEXT,
) -> dict[str, str]:
    """Create every missing topic; return ``{physical name: "created" | "exists"}``."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, **security.librdkafka()})
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot list topics at {bootstrap_servers}: {exc}") from None
    result = {names(s.name): "exists" for s in specs if names(s.name) in existing}
    missing = [s for s in specs if names(s.name) not in existing]
    if not missing:
        return result
    futures = admin.create_topics(
        [NewTopic(names(s.name), s.partitions, replication_factor, config=s.config) for s in missing],
        request_timeout=timeout_s,
    )
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            result[name] = "created"
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise BrokerUnavailableError(f"cannot create topic {name}: {exc}") from None
            result[name] = "exists"
    return result
