"""grossisthub: wholesalers' documents in, canonical events on Kafka, idempotent rows in the ERP.

The public API is small on purpose; everything else is internal and may change.
"""

from hub.canonical import RawDocument, SupplierInvoice
from hub.errors import ConfigError, DocumentError, HubError, TransientError
from hub.formats.base import TranslationContext, TranslatorId
from hub.formats.registry import translate_bytes

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DocumentError",
    "HubError",
    "RawDocument",
    "SupplierInvoice",
    "TransientError",
    "TranslationContext",
    "TranslatorId",
    "__version__",
    "translate_bytes",
]
