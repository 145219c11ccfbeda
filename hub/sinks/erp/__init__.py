"""The ERP reference schema (DESIGN §9.11) and its writers."""
