"""Protocol connectors: bytes in, RawDocument published, partner acknowledged. They never parse formats."""
