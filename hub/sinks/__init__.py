"""Sinks: idempotent, version-fenced writes of canonical records into the ERP database."""
