"""The official EN 16931 / Peppol business rules (CEN TC434 and OpenPeppol artefacts) run with Saxon-HE.

Public API: :class:`OfficialValidator` (implements ``hub.formats.base.DocumentValidator``) and
:func:`load_validator`. The artefacts are third-party and loaded from a configured directory
(``HUB_VALIDATION_ARTEFACTS``); what is compiled from them is cached on disk.
"""

from hub.validation.official import OfficialValidator, load_validator

__all__ = ["OfficialValidator", "load_validator"]
