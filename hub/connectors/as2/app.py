"""The ASGI application of the AS2 receiver (Starlette): streams the body to a spooled file, then hands it on.

The body is read chunk by chunk into a :class:`tempfile.SpooledTemporaryFile` (in memory up to
``SPOOL_IN_MEMORY``, then on disk) and refused once it exceeds the station's ``max_message_bytes``
(a declared ``Content-Length`` over the limit is refused without reading). The blocking part — archive,
pyas2lib, Kafka — runs in a worker thread so the event loop keeps accepting requests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.connectors.as2.receiver import As2Receiver, InboundRequest

SPOOL_IN_MEMORY = 2 * 1024 * 1024


def create_app(receiver: As2Receiver, *, path: str, max_bytes: int, work_dir: Path) -> Starlette:
    work_dir.mkdir(parents=True, exist_ok=True)

    async def receive(request: Request) -> Response:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=str(work_dir)) as spool:
            size, oversize = await _spool(request, spool, max_bytes)
            headers = [(k, v) for k, v in request.headers.items()]
            inbound = InboundRequest(headers, cast(BinaryIO, spool), size, oversize)
            reply = await run_in_threadpool(receiver.handle, inbound)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    async def describe(_request: Request) -> Response:
        return PlainTextResponse("grossisthub AS2 receiver: POST AS2 messages to this URL.\n")

    return Starlette(routes=[Route(path, receive, methods=["POST"]), Route(path, describe, methods=["GET"])])


async def _spool(request: Request, spool: IO[Any], max_bytes: int) -> tuple[int, bool]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return int(declared), True
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return size, True
        spool.write(chunk)
    spool.seek(0)
    return size, False
