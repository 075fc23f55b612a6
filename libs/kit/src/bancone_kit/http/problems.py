"""RFC 9457 problem responses for every error an app can produce, installed in one place.

`install_problem_handlers` is the one mapping: the service's own table of domain exceptions
(`errors.ErrorProblems`), the framework's HTTP exceptions (unknown route, wrong method, a
failed authentication dependency) and request validation errors all leave as
`application/problem+json`; anything else is a bare 500 (`UnhandledErrorMiddleware`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_kit.http.errors import ErrorProblems, problem_of
from bancone_kit.http.request_id import current_request_id, loggable_path
from bancone_kit.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = get_logger(__name__)


class Problem(BaseModel):
    """The body of a problem response, for OpenAPI `responses=` declarations."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """An `application/problem+json` response; the title defaults to the status phrase."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Per-field details, without echoing the rejected input (it may hold secrets)."""
    details = []
    for error in errors:
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        item: dict[str, Any] = {
            "location": location,
            "field": ".".join(path),
            "detail": error.get("msg", "invalid"),
            "type": error.get("type", "value_error"),
        }
        if location == "body":
            item["pointer"] = "#/" + "/".join(path)
        details.append(item)
    return details


def _domain_error_handler(
    errors: ErrorProblems,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_of(errors, exc)
        if problem is None:  # registered for a base class the table lists: cannot happen
            raise exc
        return problem_response(
            problem.status,
            problem.title_for(exc),
            problem.detail(exc),
            type_=problem.type_,
            instance=request.url.path,
            headers=dict(problem.headers(exc)) or None,
            **problem.extensions(exc),
        )

    return on_domain_error


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    extensions: dict[str, Any] = {}
    detail: str | None = None
    if isinstance(exc.detail, str):
        detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    elif exc.detail is not None:
        extensions["errors"] = exc.detail
    return problem_response(
        exc.status_code,
        detail=detail,
        instance=request.url.path,
        headers=exc.headers,
        **extensions,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc.errors())
    return problem_response(
        422,
        "Request validation failed",
        f"{len(errors)} invalid field(s) in the request",
        instance=request.url.path,
        errors=errors,
    )


def install_problem_handlers(app: FastAPI, errors: ErrorProblems | None = None) -> None:
    """Map the service's domain exceptions (`errors`), HTTP exceptions and request validation
    errors to problems."""
    table = dict(errors or {})
    handler = _domain_error_handler(table)
    for error_class in table:
        app.add_exception_handler(error_class, handler)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)


class UnhandledErrorMiddleware:
    """Turn any other exception into a bare 500 problem: logged in full, shown without internals.

    Sits inside `RequestIdMiddleware`, so the response carries the request id and the log line
    has it bound.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception(
                "http.unhandled_error", method=scope["method"], path=loggable_path(scope["path"])
            )
            if started:
                raise
            response = problem_response(500, instance=scope["path"])
            await response(scope, receive, send)
