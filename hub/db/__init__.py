"""Database plumbing shared by the hub state (ledger) and the ERP sink: engines, types, migrations."""
