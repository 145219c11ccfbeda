"""Intake: archive the bytes, record them in the ledger, publish the RawDocument, dedup resends."""
