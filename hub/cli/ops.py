"""Single-shot commands: translate, import, topics, config check, db upgrade."""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hub.canonical.codec import to_json
from hub.canonical.compat import check_store
from hub.canonical.schemas import SchemaStore
from hub.cli.context import Ctx
from hub.errors import ConfigError, DocumentError
from hub.formats.base import EmbeddedContent, FailedRecord
from hub.formats.registry import all_translators, select
from hub.formats.sniff import HEAD_SIZE, sniff
from hub.intake.service import Delivery
from hub.kafka.topics import TopicNames, apply_topics, load_topic_specs
from hub.partners import load_partners
from hub.pipeline.translate import Validation
from hub.runtime import resolve_bootstrap
from hub.validation import load_validator

topics_app = typer.Typer(help="Kafka topics from the registry file schemas/topics.yaml.", no_args_is_help=True)
config_app = typer.Typer(help="Check settings and the partners file.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (hub state + ERP reference schema).", no_args_is_help=True)
schemas_app = typer.Typer(help="Avro schemas under schemas/ (the event contract).", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file.")]


def translate(
    ctx: typer.Context,
    file: FileArg,
    partner: Annotated[str | None, typer.Option(help="Wholesaler id: its formats and validation switch apply.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="Force a translator by name.")] = None,
) -> None:
    """Translate FILE offline (no broker, no database) and print one JSON object per record.

    Output lines look like {"type": "SupplierInvoice", "translator": "name@version", "record": {...}};
    decimals are strings exactly as in the document. UBL invoices are checked with the official EN 16931 /
    Peppol rules when HUB_VALIDATION_ARTEFACTS is set: warnings appear in the record's "warnings", fatal
    findings fail. A document (or a message of an interchange) that cannot be translated is reported on
    stderr as error[CODE]: message (file: location), and the exit status is 2.
    """
    settings = ctx.obj.settings
    wholesaler = None
    if partner:
        wholesaler = load_partners(settings.partners_file).wholesaler(partner)
        if wholesaler is None:
            raise ConfigError(f"unknown wholesaler {partner!r} in {settings.partners_file}")
    data = file.read_bytes()
    validation = Validation(load_validator(settings.validation_artefacts, settings.cache_path / "validation"))
    context = validation.context(wholesaler, tenant_id=None, filename=file.name, max_xml_bytes=settings.max_xml_bytes)
    try:
        translator = select(
            sniff(data[:HEAD_SIZE]), format_hint=format, allowed=wholesaler.formats if wholesaler else ()
        )
        output = list(translator.translate(io.BytesIO(data), context))
    except DocumentError as exc:
        typer.echo(exc.render_for(str(file)), err=True)
        raise typer.Exit(2) from None
    failed = _print_translation(str(translator.id), output, str(file))
    if failed:
        raise typer.Exit(2)


def _print_translation(translator: str, output: list[object], filename: str) -> int:
    failed = 0
    for item in output:
        if isinstance(item, EmbeddedContent):
            continue  # its Attachment (with sha256 and size) is part of the record
        if isinstance(item, FailedRecord):
            where = ", ".join(p for p in (item.reference, item.error.location) if p)
            typer.echo(f"error[{item.error.code}]: {item.error.message} ({filename}: {where})", err=True)
            failed += 1
            continue
        line = {"type": getattr(item, "TYPE", type(item).__name__), "translator": translator, "record": to_json(item)}
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    return failed


def import_file(
    ctx: typer.Context,
    file: FileArg,
    partner: Annotated[str, typer.Option(help="The wholesaler the file comes from (partners file id).")],
    tenant: Annotated[
        str | None, typer.Option(help="Tenant that forwarded or self-imports it; scopes the document to that tenant.")
    ] = None,
    format: Annotated[str | None, typer.Option("--format", help="Force a translator by name.")] = None,
    mapping: Annotated[
        str | None, typer.Option(help="Column mapping (partners file) for a CSV/XLSX list: self-import.")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD) for lists and letters that carry no date.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="price_list | discount_letter | net_prices, when the file cannot tell.")
    ] = None,
) -> None:
    """Take FILE into the hub exactly as a connector would: archive, ledger, publish, wait for the broker ack.

    --tenant scopes the document to one contractor (a forwarded price list or discount letter, or a
    self-import with --mapping). Needs a broker: a running `hub up`, or HUB_BOOTSTRAP_SERVERS.
    """
    obj: Ctx = ctx.obj
    runtime = obj.runtime(bootstrap_servers=resolve_bootstrap(obj.settings))  # fail before any side effect
    runtime.migrate()
    options = _options(mapping, valid_from, kind)
    if mapping and format is None:
        format = "mapped-xlsx" if file.suffix.lower() in (".xlsx", ".xlsm") else "mapped-csv"
    delivery = Delivery(
        partner_id=partner, channel="upload", filename=file.name, tenant_id=tenant, format_hint=format, options=options
    )
    try:
        with file.open("rb") as handle:
            result = runtime.intake().take(handle, delivery)
        runtime.intake().acknowledged(result)
    finally:
        runtime.close()
    if result.duplicate:
        typer.echo(f"duplicate: {file.name} was already taken as document {result.document_id}; not published again")
    else:
        typer.echo(f"accepted: {file.name} → document {result.document_id} ({result.topic} offset {result.offset})")


def _options(mapping: str | None, valid_from: str | None, kind: str | None) -> dict[str, str]:
    if valid_from:
        try:
            date.fromisoformat(valid_from)
        except ValueError:
            raise typer.BadParameter(f"--valid-from {valid_from!r} is not a date YYYY-MM-DD") from None
    pairs = {"mapping": mapping, "valid_from": valid_from, "kind": kind}
    return {k: v for k, v in pairs.items() if v}


@topics_app.command("apply")
def topics_apply(ctx: typer.Context) -> None:
    """Create every topic of schemas/topics.yaml that does not exist yet (partitions, retention)."""
    settings = ctx.obj.settings
    bootstrap = resolve_bootstrap(settings)
    result = apply_topics(
        bootstrap, load_topic_specs(), TopicNames(settings.topic_prefix), security=settings.kafka_security
    )
    for name, action in sorted(result.items()):
        typer.echo(f"{action:8} {name}")


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate settings and the partners file; list every problem with file, line and key."""
    settings = ctx.obj.settings
    problems: list[str] = []
    try:
        partners = load_partners(settings.partners_file)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(1) from None
    known = {t.id.name for t in all_translators()}
    for i, w in enumerate(partners.wholesalers):
        for j, name in enumerate(w.formats):
            if name not in known:
                problems.append(
                    f"{settings.partners_file}: wholesalers[{i}].formats[{j}]: unknown format {name!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
        if w.sftp and not w.sftp.private_key_file.exists():
            problems.append(
                f"{settings.partners_file}: wholesalers[{i}].sftp.private_key_file: "
                f"{w.sftp.private_key_file} does not exist"
            )
    if problems:
        raise ConfigError(f"{settings.partners_file}: {len(problems)} problem(s)", problems)
    typer.echo(
        f"ok: {settings.partners_file}: {len(partners.wholesalers)} wholesaler(s), {len(partners.tenants)} tenant(s); "
        f"ERP database {settings.erp_url}; broker {settings.bootstrap_servers or 'bundled (hub up)'}"
    )


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations to the hub state and ERP databases."""
    obj: Ctx = ctx.obj
    obj.runtime().migrate()
    typer.echo(f"ok: {obj.settings.erp_url} is up to date")


@schemas_app.command("check")
def schemas_check() -> None:
    """Parse every schema and check that each newest version reads data written by all older ones."""
    store = SchemaStore()
    problems = check_store(store)
    if problems:
        raise ConfigError(f"{len(problems)} incompatible schema change(s)", [str(p) for p in problems])
    versions = sum(len(chain) for chain in store.versions.values())
    typer.echo(f"ok: {len(store.versions)} schema(s), {versions} version(s), backward compatible")
