"""How the hub's Kafka clients authenticate and encrypt: one value built from the settings, handed to every client.

``PLAINTEXT`` (the default, and what the bundled broker speaks) needs nothing. ``SSL`` verifies the broker's
certificate against ``ca_file`` (or the system's CAs); ``SASL_PLAINTEXT`` / ``SASL_SSL`` add a user name and
password with the PLAIN or SCRAM mechanism; with TLS, ``cert_file`` and ``key_file`` present a client
certificate to brokers that require one (mutual TLS). :meth:`KafkaSecurity.librdkafka` gives the
confluent-kafka settings; the faust side (aiokafka) is built in :mod:`hub.streams.app` from the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    protocol: Protocol = "PLAINTEXT"
    mechanism: Mechanism = "PLAIN"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None  # mutual TLS: our client certificate (PEM) …
    key_file: Path | None = None  # … and its private key (PEM, unencrypted)

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def librdkafka(self) -> dict[str, str]:
        """The confluent-kafka (librdkafka) configuration entries; empty for PLAINTEXT."""
        if self.protocol == "PLAINTEXT":
            return {}
        config: dict[str, str] = {"security.protocol": self.protocol}
        if self.tls and self.ca_file is not None:
            config["ssl.ca.location"] = str(self.ca_file)
        if self.tls and self.cert_file is not None and self.key_file is not None:
            config["ssl.certificate.location"] = str(self.cert_file)
            config["ssl.key.location"] = str(self.key_file)
        if self.sasl:
            config.update(
                {
                    "sasl.mechanism": self.mechanism,
                    "sasl.username": self.username or "",
                    "sasl.password": self.password or "",
                }
            )
        return config


PLAINTEXT = KafkaSecurity()
