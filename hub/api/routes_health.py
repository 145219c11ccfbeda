"""``/livez``, ``/readyz`` and ``/metrics`` — unauthenticated, for orchestrators and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from hub.api.deps import Context
from hub.api.models import Liveness, Readiness
from hub.metrics import exposition

router = APIRouter(tags=["health"])
METRICS_RESPONSE = {200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text"}}


@router.get("/livez", response_model=Liveness)
async def livez() -> Liveness:
    """The process serves requests (no dependency is checked)."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency failed; `failed` names it."}},
)
async def readyz(ctx: Context) -> JSONResponse:
    """Broker metadata and database(s) answer within the probe timeout: 200, else 503 naming what failed."""
    report = await ctx.probes.readiness()
    return JSONResponse(report.model_dump(mode="json"), status_code=503 if report.failed else 200)


@router.get("/metrics", response_class=Response, responses=METRICS_RESPONSE)  # type: ignore[arg-type]
def metrics(ctx: Context) -> Response:
    """Prometheus metrics: pipeline counters, processing histogram, consumer lag (from the ledger),
    AS2 certificate days to expiry, process statistics."""
    return Response(exposition(ctx.runtime.state_engine), media_type=CONTENT_TYPE_LATEST)
