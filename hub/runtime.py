"""Assembles the hub's components from settings, once per process, and hands them out.

Also resolves *which* broker to use: ``HUB_BOOTSTRAP_SERVERS``, else the bundled broker that a
running ``hub up`` announced in ``DATA_DIR/run/broker.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from hub.archive import LocalArchive
from hub.canonical.schemas import SchemaStore
from hub.connectors.as2.migrations import AS2_MIGRATIONS
from hub.db.engine import make_engine
from hub.db.migrate import upgrade
from hub.errors import BrokerUnavailableError
from hub.intake.ledger import Ledger
from hub.intake.migrations import STATE_MIGRATIONS
from hub.intake.service import IntakeLimits, IntakeService
from hub.kafka.consumer import BatchConsumer
from hub.kafka.producer import Publisher
from hub.kafka.serde import AvroSerde
from hub.kafka.topics import TopicNames
from hub.partners import Partners, load_partners
from hub.pipeline.catalog import CatalogStage
from hub.pipeline.deadletter import DeadLetterWriter
from hub.pipeline.orders import OrdersStage
from hub.pipeline.pricecontrol import PriceControl
from hub.pipeline.pricelists import PriceListStage
from hub.pipeline.sink import SinkStage
from hub.pipeline.translate import TranslateStage, Validation
from hub.settings import HubSettings
from hub.sinks.catalog.writer import CatalogWriter
from hub.sinks.erp.migrations import ERP_MIGRATIONS


def broker_file(settings: HubSettings) -> Path:
    return settings.data_dir / "run" / "broker.json"


def announce_broker(settings: HubSettings, bootstrap_servers: str) -> None:
    path = broker_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"bootstrap_servers": bootstrap_servers, "pid": os.getpid()}))


def withdraw_broker(settings: HubSettings) -> None:
    broker_file(settings).unlink(missing_ok=True)


def resolve_bootstrap(settings: HubSettings) -> str:
    if settings.bootstrap_servers:
        return settings.bootstrap_servers
    path = broker_file(settings)
    try:
        data = json.loads(path.read_text())
        os.kill(int(data["pid"]), 0)  # is that hub up still alive?
        return str(data["bootstrap_servers"])
    except (OSError, ValueError, KeyError):
        msg = "no Kafka broker: start the hub with `hub up` (it runs the bundled broker) or set HUB_BOOTSTRAP_SERVERS"
        raise BrokerUnavailableError(msg) from None


@dataclass
class Runtime:
    settings: HubSettings
    partners: Partners
    bootstrap_servers: str | None = None
    _closers: list[Publisher] = field(default_factory=list)

    @cached_property
    def topics(self) -> TopicNames:
        return TopicNames(self.settings.topic_prefix)

    @cached_property
    def archive(self) -> LocalArchive:
        return LocalArchive(self.settings.archive_path)

    @cached_property
    def state_engine(self) -> Engine:
        return make_engine(self.settings.state_url)

    @cached_property
    def erp_engine(self) -> Engine:
        if self.settings.erp_url == self.settings.state_url:
            return self.state_engine
        return make_engine(self.settings.erp_url)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.state_engine)

    @cached_property
    def serde(self) -> AvroSerde:
        return AvroSerde(SchemaStore(), self.settings.schema_registry_url)

    @cached_property
    def publisher(self) -> Publisher:
        bootstrap = self.bootstrap_servers or resolve_bootstrap(self.settings)
        publisher = Publisher(
            bootstrap,
            client_id=self.settings.app_id,
            delivery_timeout_s=self.settings.kafka_delivery_timeout_s,
            extra_config=self.settings.kafka_security.librdkafka(),
        )
        self._closers.append(publisher)
        return publisher

    def migrate(self) -> None:
        upgrade(self.state_engine, "state", STATE_MIGRATIONS)
        upgrade(self.state_engine, "as2", AS2_MIGRATIONS)
        upgrade(self.erp_engine, "erp", ERP_MIGRATIONS)

    def intake(self) -> IntakeService:
        s = self.settings
        return IntakeService(
            archive=self.archive,
            ledger=self.ledger,
            publisher=self.publisher,
            serde=self.serde,
            topics=self.topics,
            partners=self.partners,
            limits=IntakeLimits(s.max_document_bytes, s.bulk_threshold_bytes, s.inline_limit_bytes),
        )

    @cached_property
    def validation(self) -> Validation:
        """The official rules, compiled once per process (cached on disk between restarts)."""
        from hub.validation import load_validator  # Saxon loads only in processes that translate

        artefacts = self.settings.validation_artefacts
        return Validation(load_validator(artefacts, self.settings.cache_path / "validation"))

    @cached_property
    def dead_letters(self) -> DeadLetterWriter:
        return DeadLetterWriter(self.publisher, self.serde, self.topics, self.ledger)

    def price_list_stage(self) -> PriceListStage:
        return PriceListStage(
            publisher=self.publisher,
            serde=self.serde,
            topics=self.topics,
            ledger=self.ledger,
            partners=self.partners,
            dead_letters=self.dead_letters,
            reject_ratio=self.settings.price_list_reject_ratio,
        )

    def catalog_stage(self) -> CatalogStage:
        return CatalogStage(
            writer=CatalogWriter(self.erp_engine),
            serde=self.serde,
            ledger=self.ledger,
            publisher=self.publisher,
            topics=self.topics,
            dead_letters=self.dead_letters,
        )

    def catalog_consumer(self, bootstrap_servers: str) -> BatchConsumer:
        topics = self.topics
        return BatchConsumer(
            bootstrap_servers,
            [topics.price, topics.pricelist, topics.discount],
            group_id=f"{self.settings.app_id}-catalog",
            session_timeout_s=self.settings.kafka_session_timeout_s,
            security=self.settings.kafka_security,
        )

    def orders_stage(self) -> OrdersStage:
        return OrdersStage(
            engine=self.erp_engine,
            ledger=self.ledger,
            serde=self.serde,
            partners=self.partners,
            dead_letters=self.dead_letters,
        )

    def translate_stage(self) -> TranslateStage:
        return TranslateStage(
            archive=self.archive,
            ledger=self.ledger,
            publisher=self.publisher,
            serde=self.serde,
            topics=self.topics,
            partners=self.partners,
            max_xml_bytes=self.settings.max_xml_bytes,
            validation=self.validation,
            price_lists=self.price_list_stage(),
        )

    def sink_stage(self) -> SinkStage:
        control = PriceControl(
            engine=self.erp_engine,
            partners=self.partners,
            publisher=self.publisher,
            serde=self.serde,
            topics=self.topics,
            orders=self.orders_stage(),
        )
        return SinkStage(
            engine=self.erp_engine,
            ledger=self.ledger,
            serde=self.serde,
            dead_letters=self.dead_letters,
            price_control=control,
        )

    def close(self) -> None:
        for publisher in self._closers:
            publisher.close()
        self._closers.clear()
        for name in ("erp_engine", "state_engine"):
            engine = self.__dict__.pop(name, None)
            if engine is not None:
                engine.dispose()


def build_runtime(settings: HubSettings, *, bootstrap_servers: str | None = None) -> Runtime:
    return Runtime(settings, load_partners(settings.partners_file), bootstrap_servers)
