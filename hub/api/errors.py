"""The API's error envelope ``{"error": {"code", "message", "details"?}}`` and the handlers that produce it.

Every response that is not a success carries this body — validation problems (400), missing or bad tokens
(401), a scope that does not cover the tenant (403), unknown resources (404), unavailable dependencies (503)
and bugs (500) — so a client needs one error parser. Codes are stable UPPER_SNAKE words.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from hub.errors import HubError, TransientError

log = structlog.get_logger(__name__)
STATUS_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE", 413: "TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
                503: "UNAVAILABLE"}  # fmt: skip
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="grossisthub"'}


class ApiError(HubError):
    """A deliberate non-success answer: HTTP status, stable code, a message a person can act on."""

    code = "API_ERROR"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.error_code, self.headers, self.details = status, code, headers, details

    def render(self) -> str:
        return f"error[{self.error_code}]: {self.message}"


class TokenRejectedError(ApiError):
    """The bearer token is unknown, revoked or expired (401)."""

    def __init__(self, message: str) -> None:
        super().__init__(401, "INVALID_TOKEN", message, BEARER_CHALLENGE)


class ErrorDetail(BaseModel):
    location: str = Field(description="Where: e.g. 'query.limit', 'path.tenant_id', 'header.authorization'.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable UPPER_SNAKE code, e.g. INVALID_REQUEST, FORBIDDEN, UNKNOWN_TENANT.")
    message: str = Field(description="What went wrong and what to do, for a person.")
    details: list[ErrorDetail] | None = Field(None, description="Per-field problems of an invalid request.")


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses (all share the envelope)."""
    return {status: {"model": ErrorResponse, "description": STATUS_CODES.get(status, "error")} for status in statuses}


def error_json(status: int, code: str, message: str, headers: dict[str, str] | None = None,
               details: list[ErrorDetail] | None = None) -> JSONResponse:  # fmt: skip
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc.status, exc.error_code, exc.message, exc.headers, exc.details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    headers = dict(exc.headers) if exc.headers else None
    return error_json(exc.status_code, code, str(exc.detail), headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [ErrorDetail(location=".".join(str(p) for p in e["loc"]), message=e["msg"]) for e in exc.errors()]
    message = "; ".join(f"{d.location}: {d.message}" for d in details) or "invalid request"
    return error_json(400, "INVALID_REQUEST", message, details=details)


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("api.database_unavailable", error=str(exc).splitlines()[0])
    return error_json(503, "DATABASE_UNAVAILABLE", "the database is not reachable; try again shortly")


async def _unavailable(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TransientError)
    log.warning("api.dependency_unavailable", code=exc.code, error=exc.message)
    return error_json(503, exc.code, exc.message)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("api.internal_error", path=request.url.path, exc_info=exc)
    return error_json(500, "INTERNAL", f"unexpected {type(exc).__name__}; this is a bug, please report it")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(TransientError, _unavailable)  # broker or store down during an action
    app.add_exception_handler(Exception, _internal_error)
