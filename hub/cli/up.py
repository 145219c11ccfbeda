"""``hub up`` (everything in one process, embedded defaults) and ``hub run ROLE`` (one role, for deployments)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from typing import Annotated

import structlog
import typer
from rich.console import Console

from hub.cli.context import Ctx
from hub.connectors.base import Poller, run_poller
from hub.connectors.dropfolder import DropFolder
from hub.connectors.sftp import SftpPoller
from hub.errors import ConfigError
from hub.kafka.consumer import ConsumedRecord
from hub.kafka.embedded import EmbeddedBroker
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.pipeline.catalog import run_catalog
from hub.runtime import Runtime, announce_broker, resolve_bootstrap, withdraw_broker
from hub.settings import HubSettings
from hub.streams.app import ROLES, create_app, run_worker

log = structlog.get_logger(__name__)


def up(ctx: typer.Context) -> None:
    """Run the whole hub on this machine: broker (bundled unless HUB_BOOTSTRAP_SERVERS is set), topics,
    database migrations, translate and sink agents, the drop folder and every configured SFTP poller.

    Drop a file into DATA_DIR/inbox/<wholesaler-id>/ and watch `hub erp invoices`. Ctrl-C stops cleanly.
    """
    obj: Ctx = ctx.obj
    settings = obj.settings
    with ExitStack() as stack:
        bootstrap, embedded = _broker(settings, stack)
        runtime = obj.runtime(bootstrap_servers=bootstrap)
        stack.callback(runtime.close)
        _prepare(runtime, bootstrap, republish_all=embedded)
        stop = threading.Event()
        pollers = _pollers(runtime)
        threads = [*_start_pollers(pollers, stop), _start_catalog(runtime, bootstrap, stop)]
        stack.callback(_stop_pollers, stop, threads)
        as2 = _start_as2(runtime, stack)
        inbox = _start_inbox(runtime, stack)
        api = _start_api(runtime, stack)
        _banner(settings, bootstrap, embedded, pollers, as2, inbox, api)
        code = _run_agents(runtime, bootstrap, list(ROLES), runtime.settings.app_id)
    raise typer.Exit(code)


SERVER_ROLES = ("as2", "sftp-inbox")
ALL_ROLES = (*ROLES, "sink-catalog", "connectors", *SERVER_ROLES)


def run(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ALL_ROLES)}.")],
    listen_host: Annotated[
        str | None,
        typer.Option(
            help="sftp-inbox only: the address to listen on instead of sftp_inbox.host of the partners file "
            "(in a pod: its own IP, e.g. --listen-host $(POD_IP); wildcards are refused)."
        ),
    ] = None,
) -> None:
    """Run one role against an existing broker (HUB_BOOTSTRAP_SERVERS or a running `hub up`).

    translate / translate-bulk / sink-erp / sink-orders are faust agents (one consumer group each);
    sink-catalog is the batched price-list writer; connectors runs the drop folder, the SFTP and e-mail
    pollers; as2 and sftp-inbox run the AS2 receiver and the hosted SFTP server of the partners file.
    With HUB_ROLE_HTTP_PORT set, the role also serves /livez, /readyz and its own /metrics there
    (on HUB_ROLE_HTTP_HOST, default 127.0.0.1).
    """
    obj: Ctx = ctx.obj
    if role not in ALL_ROLES:
        raise typer.BadParameter(f"unknown role {role!r}; choose from {', '.join(ALL_ROLES)}")
    bootstrap = resolve_bootstrap(obj.settings)
    runtime = obj.runtime(bootstrap_servers=bootstrap)
    runtime.migrate()
    # A consumer that subscribes before its topic exists only sees it at the next metadata refresh; roles
    # started together (or before the first document) must not wait for that, so each creates what is missing.
    apply_topics(bootstrap, load_topic_specs(), runtime.topics, security=runtime.settings.kafka_security)
    with ExitStack() as stack:
        stack.callback(runtime.close)  # last: the health server stops first
        _start_role_http(runtime, stack)
        code = _run_role(runtime, role, bootstrap, listen_host, f"{obj.settings.app_id}-{role}")
    if code is not None:
        raise typer.Exit(code)


def _run_role(runtime: Runtime, role: str, bootstrap: str, listen_host: str | None, app_id: str) -> int | None:
    """Run ``role`` until it stops; the exit status of a faust worker, None for the others."""
    if role == "connectors":
        _run_connectors(runtime)
        return None
    if role == "sink-catalog":
        _run_until_interrupted([_start_catalog(runtime, bootstrap, threading.Event())])
        return None
    if role in SERVER_ROLES:
        _run_server(runtime, role, listen_host)
        return None
    return _run_agents(runtime, bootstrap, [role], app_id)


def _start_role_http(runtime: Runtime, stack: ExitStack) -> None:
    """/livez, /readyz and /metrics of this role when HUB_ROLE_HTTP_PORT is set (the chart sets it)."""
    port = runtime.settings.role_http_port
    if port is None:
        return
    from hub.api.server import ApiServer  # FastAPI is imported only by the processes that serve it

    server = ApiServer(runtime, runtime.settings.role_http_host, port, health_only=True)
    server.start()
    stack.callback(server.stop)


def _broker(settings: HubSettings, stack: ExitStack) -> tuple[str, bool]:
    if settings.bootstrap_servers:
        return settings.bootstrap_servers, False
    log_file = settings.data_dir / "run" / "broker.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(port=settings.embedded_broker_port, log_file=log_file, binary=settings.tansu_binary)
    broker.start()
    stack.callback(broker.stop)
    announce_broker(settings, broker.bootstrap_servers)
    stack.callback(withdraw_broker, settings)
    return broker.bootstrap_servers, True


def _prepare(runtime: Runtime, bootstrap: str, *, republish_all: bool) -> None:
    runtime.migrate()
    apply_topics(bootstrap, load_topic_specs(), runtime.topics, security=runtime.settings.kafka_security)
    # The bundled broker forgets everything on restart, so every unfinished document is published
    # again from the archive (DESIGN §9.12). A real broker kept what it acked: only documents whose
    # publish was never acknowledged are sent again.
    pending = [e for e in runtime.ledger.unfinished() if republish_all or e.state == "received"]
    intake = runtime.intake()
    for entry in pending:
        intake.publish(entry)
    if pending:
        log.info("hub.republished", documents=len(pending))


def _run_agents(runtime: Runtime, bootstrap: str, roles: list[str], app_id: str) -> int:
    topics = runtime.topics
    handlers: dict[str, tuple[Sequence[str], Callable[[ConsumedRecord], str]]] = {}
    if "translate" in roles:
        handlers["translate"] = ([topics.raw], runtime.translate_stage().process)
    if "translate-bulk" in roles:
        handlers["translate-bulk"] = ([topics.raw_bulk], runtime.translate_stage().process)
    if "sink-erp" in roles:
        handlers["sink-erp"] = ([topics.invoice], runtime.sink_stage().process)
    if "sink-orders" in roles:
        handlers["sink-orders"] = ([topics.orderconfirmation], runtime.orders_stage().process)
    app = create_app(
        app_id=app_id,
        bootstrap_servers=bootstrap,
        session_timeout_s=runtime.settings.kafka_session_timeout_s,
        handlers=handlers,
        security=runtime.settings.kafka_security,
    )
    return run_worker(app)


def _pollers(runtime: Runtime) -> list[Poller]:
    s = runtime.settings
    intake = runtime.intake()
    pollers: list[Poller] = [
        DropFolder(s.drop_path, intake, runtime.partners, min_age_s=s.drop_min_age_s, interval_s=s.drop_poll_interval_s)
    ]
    pollers += [SftpPoller(w, intake) for w in runtime.partners.wholesalers if w.sftp]
    if runtime.partners.data.mailboxes:
        from hub.connectors.email.poller import mailbox_pollers  # needs the email extra only when configured

        pollers += mailbox_pollers(runtime.partners, intake, max_document_bytes=s.max_document_bytes)
    return pollers


def _start_pollers(pollers: list[Poller], stop: threading.Event) -> list[threading.Thread]:
    threads = [threading.Thread(target=run_poller, args=(p, stop), name=p.name, daemon=True) for p in pollers]
    for thread in threads:
        thread.start()
    return threads


def _stop_pollers(stop: threading.Event, threads: list[threading.Thread]) -> None:
    stop.set()
    for thread in threads:
        thread.join(timeout=10)


def _start_catalog(runtime: Runtime, bootstrap: str, stop: threading.Event) -> threading.Thread:
    """The catalog sink: a batched consumer in its own thread (not a faust agent; see hub.pipeline.catalog)."""
    stage, consumer = runtime.catalog_stage(), runtime.catalog_consumer(bootstrap)
    thread = threading.Thread(target=run_catalog, args=(stage, consumer, stop), name="sink-catalog", daemon=True)
    thread.start()
    return thread


def _run_until_interrupted(threads: list[threading.Thread]) -> None:
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(1)
    except KeyboardInterrupt:
        pass


def _run_server(runtime: Runtime, role: str, listen_host: str | None) -> None:
    """The AS2 receiver or the hosted SFTP inbox alone, until Ctrl-C or SIGTERM."""
    with ExitStack() as stack:
        started = _start_as2(runtime, stack) if role == "as2" else _start_inbox(runtime, stack, listen_host)
        if started is None:
            part = "as2_station" if role == "as2" else "sftp_inbox"
            raise ConfigError(f"hub run {role}: the partners file has no {part} section; nothing to serve")
        log.info("hub.serving", role=role, address=started)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a pod stop: close listeners, finish in-flight work
        with suppress(KeyboardInterrupt):
            stop.wait()


def _run_connectors(runtime: Runtime) -> None:
    stop = threading.Event()
    threads = _start_pollers(_pollers(runtime), stop)
    try:
        while any(t.is_alive() for t in threads):
            stop.wait(1)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_pollers(stop, threads)


def _start_as2(runtime: Runtime, stack: ExitStack) -> str | None:
    """The AS2 receiver when the partners file has an ``as2_station``; returns its URL."""
    if runtime.partners.data.as2_station is None:
        return None
    from hub.connectors.as2.server import As2Service  # needs the as2 extra only when AS2 is configured

    service = As2Service.from_runtime(runtime)
    if service is None:
        return None
    service.start()
    stack.callback(service.stop)
    return str(service.url)


def _start_inbox(runtime: Runtime, stack: ExitStack, listen_host: str | None = None) -> str | None:
    """The hosted SFTP inbox when the partners file has ``sftp_inbox``; returns host:port."""
    from hub.connectors.inbox.server import HostedInbox

    s = runtime.settings
    inbox = HostedInbox.from_partners(
        runtime.partners, runtime.intake(), data_dir=s.data_dir, max_document_bytes=s.max_document_bytes
    )
    if inbox is None:
        return None
    if listen_host is not None:
        inbox.listen_on(listen_host)
    inbox.start()  # in this thread: a ConfigError (address in use, unreadable host key) stops hub up
    stack.callback(inbox.close)
    host, port = inbox.address
    return f"{host}:{port}"


def _start_api(runtime: Runtime, stack: ExitStack) -> str:
    """The HTTP API (reads, ops, /livez, /readyz, /metrics) on 127.0.0.1:HUB_API_PORT; returns its URL."""
    from hub.api.server import ApiServer  # FastAPI is imported only by the processes that serve it

    server = ApiServer(runtime, port=runtime.settings.api_port)
    server.start()  # a port in use is a ConfigError that names HUB_API_PORT
    stack.callback(server.stop)
    return server.url


def _banner(
    settings: HubSettings,
    bootstrap: str,
    embedded: bool,
    pollers: list[Poller],
    as2: str | None,
    inbox: str | None,
    api: str,
) -> None:
    console = Console(stderr=True)
    console.print("[bold]grossisthub is up[/bold] — Ctrl-C stops it")
    console.print(f"  broker       {bootstrap}" + (" (bundled Tansu, in memory)" if embedded else ""))
    console.print(f"  ERP database {settings.erp_url}")
    console.print(f"  archive      {settings.archive_path}")
    console.print(f"  drop folder  {settings.drop_path}/<wholesaler-id>/")
    for poller in pollers[1:]:
        console.print(f"  poller       {poller.name}")
    if as2:
        console.print(f"  AS2 receiver {as2}")
    if inbox:
        console.print(f"  SFTP inbox   {inbox}")
    console.print(f"  HTTP API     {api} (OpenAPI {api}/docs, metrics {api}/metrics)")
    console.print("  see results  hub erp invoices")
