"""One AS2 request from archive to MDN: the framework-free core of the AS2 receiver.

Order (DESIGN §5, publish then acknowledge):

1. archive the raw HTTP headers and body, record the request in ``hub_as2_message`` — before any check;
2. size limit, Message-ID, AS2-From/AS2-To → refusals get an error MDN (``unknown-trading-partner`` …);
3. decrypt, verify, decompress (:mod:`hub.connectors.as2.receive`) → failures get an error MDN and stay
   archived with the reason (``state = failed``);
4. ``IntakeService.take`` with the AS2 Message-ID as transport id; it returns only after the broker acked;
5. only then the positive MDN: in the HTTP response (sync) or queued for the async sender.

A duplicate (same Message-ID from the same partner after success) gets the MDN stored the first time.
A transient failure (broker, database, archive down) is answered with HTTP 503 and no MDN: nothing was
acknowledged, the partner resends, and the resend is processed.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import structlog
from pyas2lib import Organization  # type: ignore[import-untyped]

from hub.archive import Archive
from hub.connectors.as2.certs import Certificate, OwnKey, load_partner_certificates, signing_key
from hub.connectors.as2.config import As2Partner, As2Station
from hub.connectors.as2.mdn import PROCESSED, Receipt, RenderedMdn, Signer, render
from hub.connectors.as2.receive import Failure, MdnRequest, Unwrapped, Unwrapper, mdn_request
from hub.connectors.as2.store import FAILED, TRANSIENT, As2Store
from hub.connectors.as2.streamed import StreamUnwrapper
from hub.db.types import utcnow
from hub.errors import ConfigError, IntakeError, TransientError
from hub.intake.service import Delivery, IntakeResult, IntakeService
from hub.partners import Partners

log = structlog.get_logger(__name__)
STRONG = ("sha256", "sha384", "sha512")


@dataclass(frozen=True, slots=True)
class InboundRequest:
    headers: list[tuple[str, str]]
    body: BinaryIO
    size: int
    oversize: bool = False


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class PartnerEntry:
    wholesaler_id: str
    profile: As2Partner
    certificates: list[Certificate]


@dataclass(frozen=True, slots=True)
class Context:
    row: str
    headers: dict[str, str]
    as2_from: str
    as2_to: str
    message_id: str
    asked: MdnRequest
    entry: PartnerEntry | None = None


def partner_directory(partners: Partners) -> dict[str, PartnerEntry]:
    """AS2 id → wholesaler; an AS2 id used twice is a configuration error."""
    found: dict[str, PartnerEntry] = {}
    for wholesaler in partners.wholesalers:
        if wholesaler.as2 is None:
            continue
        if wholesaler.as2.as2_id in found:
            raise ConfigError(f"AS2 id {wholesaler.as2.as2_id!r} is configured for two wholesalers")
        certs = load_partner_certificates(wholesaler.id, wholesaler.as2)
        found[wholesaler.as2.as2_id] = PartnerEntry(wholesaler.id, wholesaler.as2, certs)
    return found


class As2Receiver:
    def __init__(
        self,
        *,
        station: As2Station,
        keys: Sequence[OwnKey],
        directory: dict[str, PartnerEntry],
        intake: IntakeService,
        archive: Archive,
        store: As2Store,
        work_dir: Path,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.station, self.keys, self.directory = station, list(keys), directory
        self.intake, self.archive, self.store, self.clock = intake, archive, store, clock
        self.unwrapper = Unwrapper(self.keys, station.as2_id)
        self.streamer = StreamUnwrapper(self.keys, work_dir)
        self.budget = ByteBudget(station.max_bytes_in_flight)
        self._signers: dict[int, Any] = {}

    def handle(self, request: InboundRequest) -> HttpReply:
        ctx = self._archive(request)
        try:
            return self._process(ctx, request)
        except TransientError as exc:
            self.store.update(ctx.row, state=TRANSIENT, reason=exc.render())
            log.warning("as2.transient", message_id=ctx.message_id, partner=ctx.as2_from, error=exc.render())
            body = f"{exc.render()}\r\nNothing was acknowledged: please send the message again later.\r\n"
            return HttpReply(503, [("Retry-After", "60"), ("Content-Type", "text/plain")], body.encode())

    def _archive(self, request: InboundRequest) -> Context:
        """Archive headers and body first — a message that fails a check can still be inspected."""
        headers = {k.lower(): v.strip() for k, v in request.headers}
        blob = "".join(f"{k}: {v}\r\n" for k, v in request.headers).encode("utf-8", "surrogateescape")
        headers_uri = self.archive.put_bytes(blob).uri
        body_uri = None
        if not request.oversize:
            body_uri = self.archive.put_stream(request.body, max_bytes=self.station.max_message_bytes).uri
        ctx = Context(
            row=str(uuid.uuid4()),
            headers=headers,
            as2_from=_unquote(headers.get("as2-from", "")),
            as2_to=_unquote(headers.get("as2-to", "")),
            message_id=headers.get("message-id", "").strip().strip("<>"),
            asked=mdn_request(headers),
        )
        self.store.received(
            ctx.row, as2_from=ctx.as2_from, as2_to=ctx.as2_to, message_id=ctx.message_id,
            headers_uri=headers_uri, body_uri=body_uri, size=request.size,
        )  # fmt: skip
        return ctx

    def _process(self, ctx: Context, request: InboundRequest) -> HttpReply:
        limit = self.station.max_message_bytes
        if request.oversize:
            return self._fail(ctx, "unexpected-processing-error", f"message of {request.size} bytes exceeds {limit}")
        entry = self.directory.get(ctx.as2_from)
        if ctx.as2_to != self.station.as2_id or entry is None:
            who = f"AS2-From {ctx.as2_from!r} to AS2-To {ctx.as2_to!r}"
            return self._fail(ctx, "unknown-trading-partner", f"no trading partner agreement for {who}")
        ctx = Context(**{**_fields(ctx), "entry": entry})
        if not ctx.message_id:
            return self._fail(ctx, "unexpected-processing-error", "the message has no Message-ID")
        with contextlib.ExitStack() as files:  # a streamed payload's temporary files live until intake took it
            result = self._unwrap(ctx, request, entry, files)
            if isinstance(result, Failure):
                return self._fail(ctx, result.modifier, result.text)
            return self._take(ctx, entry, result)

    def _unwrap(
        self, ctx: Context, request: InboundRequest, entry: PartnerEntry, files: contextlib.ExitStack
    ) -> Unwrapped | Failure:
        request.body.seek(0)
        if request.size > self.station.stream_above_bytes:
            return self.streamer.unwrap(
                ctx.headers, request.body, request.size, entry.profile, entry.certificates, self.clock(), files
            )
        with self.budget.hold(request.size):
            return self.unwrapper.unwrap(
                ctx.headers, request.body.read(), entry.profile, entry.certificates, self.clock()
            )

    def _take(self, ctx: Context, entry: PartnerEntry, unwrapped: Unwrapped) -> HttpReply:
        delivery = Delivery(
            partner_id=entry.wholesaler_id,
            channel="as2",
            transport_id=ctx.message_id,
            filename=unwrapped.filename,
            content_type=unwrapped.content_type,
        )
        try:
            taken = self.intake.take(unwrapped.payload, delivery)
        except IntakeError as exc:
            return self._fail(ctx, "unexpected-processing-error", exc.render())
        security = ",".join(n for n in ("signed", "encrypted", "compressed") if getattr(unwrapped, n))
        fields = dict(document_id=taken.document_id, mic=f"{unwrapped.mic}, {unwrapped.mic_alg}", security=security)
        earlier = self.store.processed_before(ctx.as2_from, ctx.message_id) if taken.duplicate else None
        if earlier and earlier["mdn_uri"]:
            stored = RenderedMdn.from_bytes(self.archive.read(earlier["mdn_uri"]))
            return self._answer(ctx, stored, taken, PROCESSED, reason=f"duplicate of {earlier['id']}", **fields)
        receipt = self._receipt(ctx, PROCESSED, self.station.mdn_text, unwrapped)
        return self._answer(ctx, self._render(ctx, receipt), taken, PROCESSED, **fields)

    def _fail(self, ctx: Context, modifier: str, text: str) -> HttpReply:
        log.warning("as2.refused", message_id=ctx.message_id, partner=ctx.as2_from, disposition=modifier, reason=text)
        receipt = self._receipt(ctx, modifier, f"The AS2 message could not be processed: {text}", None)
        disposition = f"processed/error: {modifier}"
        return self._answer(ctx, self._render(ctx, receipt), None, disposition, reason=text)

    def _receipt(self, ctx: Context, disposition: str, text: str, unwrapped: Unwrapped | None) -> Receipt:
        mic = (unwrapped.mic, unwrapped.mic_alg) if unwrapped else (None, None)
        return Receipt(ctx.message_id, ctx.as2_from, ctx.as2_to or self.station.as2_id, disposition, text, *mic)

    def _render(self, ctx: Context, receipt: Receipt) -> RenderedMdn | None:
        if not ctx.asked.wanted:
            return None
        signer = None
        key = signing_key(self.keys, self.clock()) if ctx.asked.signed else None
        if key is not None:
            signer = Signer(self._signing_pair(key), self._mdn_digest(ctx))
        return render(receipt, domain=self.station.message_id_domain, signer=signer)

    def _answer(
        self, ctx: Context, mdn: RenderedMdn | None, taken: IntakeResult | None, disposition: str, **fields: Any
    ) -> HttpReply:
        mdn_uri = self.archive.put_bytes(mdn.to_bytes()).uri if mdn else None
        mode = self._mode(ctx) if mdn else None
        self.store.update(
            ctx.row, partner_id=ctx.entry.wholesaler_id if ctx.entry else None, disposition=disposition,
            state=PROCESSED if taken else FAILED, mdn_mode=mode, mdn_uri=mdn_uri,
            mdn_message_id=mdn.message_id if mdn else None, **fields,
        )  # fmt: skip
        log.info("as2.answered", message_id=ctx.message_id, partner=ctx.as2_from, disposition=disposition, mdn=mode)
        if mdn is not None and mdn_uri is not None and mode == "async" and ctx.asked.async_url:
            self.store.enqueue(ctx.row, ctx.asked.async_url, mdn_uri, taken.document_id if taken else None)
            return HttpReply(200, [("Content-Type", "text/plain")], b"AS2 message received; the MDN follows.\r\n")
        if taken is not None:
            self.intake.acknowledged(taken)
        if mdn is None:
            return HttpReply(200, [("Content-Type", "text/plain")], f"{disposition}\r\n".encode())
        return HttpReply(200, mdn.headers, mdn.body)

    def _mode(self, ctx: Context) -> str:
        profile, url = (ctx.entry.profile if ctx.entry else None), ctx.asked.async_url
        if profile is None or profile.mdn_mode == "sync" or not url:
            if profile is not None and profile.mdn_mode == "async" and not url:
                log.warning("as2.sync_mdn_for_async_partner", partner=ctx.as2_from, message_id=ctx.message_id)
            return "sync"
        prefixes = profile.async_mdn_url_prefixes
        if url.startswith(("http://", "https://")) and (not prefixes or url.startswith(tuple(prefixes))):
            return "async"
        log.warning("as2.async_mdn_url_refused", partner=ctx.as2_from, url=url, allowed=prefixes)
        return "sync"

    def _mdn_digest(self, ctx: Context) -> str:
        profile = ctx.entry.profile if ctx.entry else None
        if profile and profile.mdn_signing_digest:
            return profile.mdn_signing_digest
        allowed = profile.signing_digests if profile else STRONG
        return next((a for a in ctx.asked.micalgs if a in allowed), "sha256")

    def _signing_pair(self, key: OwnKey) -> Any:
        pair = self._signers.get(key.certificate.serial)
        if pair is None:
            pair = Organization.load_key(key.key_pem + b"\n" + key.certificate.pem, key.password)
            self._signers[key.certificate.serial] = pair
        return pair


class ByteBudget:
    """At most ``limit`` bytes of message bodies are unwrapped at once; a larger single message runs alone."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self, size: int) -> Iterator[None]:
        size = min(size, self.limit)
        with self._changed:
            self._changed.wait_for(lambda: self.used + size <= self.limit)
            self.used += size
        try:
            yield
        finally:
            with self._changed:
                self.used -= size
                self._changed.notify_all()


def _fields(ctx: Context) -> dict[str, Any]:
    return {name: getattr(ctx, name) for name in Context.__dataclass_fields__}


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1].replace('\\"', '"') if len(value) > 1 and value[0] == value[-1] == '"' else value
