"""AS2 receiver (RFC 4130) around pyas2lib: HTTP in, archive first, decrypt/verify/decompress, intake, MDN.

Modules: ``config`` (partners-file models), ``certs`` (keys, certificates, rollover, expiry), ``mime``
and ``receive`` (sans-IO unwrapping), ``mdn`` (building MDNs), ``store`` / ``migrations`` (state
tables, component ``as2``), ``receiver`` (one request, publish then acknowledge), ``app`` (ASGI),
``sender`` (async MDN queue), ``server`` (``As2Service`` for ``hub up``). Nothing is imported here,
so that loading the partners file does not need pyas2lib.
"""
