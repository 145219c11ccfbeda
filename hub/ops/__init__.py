"""Operations on documents that already went through the hub: dead letters, trails, replay and redeliver.

Everything here selects from the ledger (DESIGN §9.12: the bundled broker forgets topics on restart, so the
intake ledger and the archive are the record), runs the ordinary pipeline stages, and writes an audit record
(:mod:`hub.ops.audit`) of who did what and why. Presentation lives in :mod:`hub.cli.ops_cmds`.
"""
