"""faust-streaming wiring. The only package that imports ``faust``; no business logic here."""
