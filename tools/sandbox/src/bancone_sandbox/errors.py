"""Graph API errors in Meta's shape, so clients branch on `code` as they would in production."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import JSONResponse

MESSAGES: dict[int, str] = {
    1: "An unknown error occurred",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Error validating access token",
    368: "Temporarily blocked for policies violations",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131051: "Unsupported message type",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131057: "Account in maintenance mode",
    132001: "Template name does not exist in the translation",
}

DEFAULT_CODE_FOR_STATUS: dict[int, int] = {
    200: 131026,
    400: 131009,
    401: 190,
    403: 368,
    429: 130429,
    500: 131000,
    503: 131016,
}


class GraphError(Exception):
    """A refused Graph API call; rendered by `error_response`."""

    def __init__(
        self,
        http_status: int,
        code: int,
        *,
        message: str | None = None,
        error_type: str = "OAuthException",
        error_subcode: int | None = None,
        details: str | None = None,
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message or MESSAGES.get(code, "An unknown error occurred")
        self.error_type = error_type
        self.error_subcode = error_subcode
        self.details = details
        super().__init__(f"({code}) {self.message}")


def error_body(error: GraphError) -> dict[str, Any]:
    """`{"error": {message, type, code, error_subcode, error_data, fbtrace_id}}`."""
    body: dict[str, Any] = {
        "message": f"(#{error.code}) {error.message}",
        "type": error.error_type,
        "code": error.code,
        "error_subcode": error.error_subcode,
        "fbtrace_id": "A" + secrets.token_urlsafe(16)[:21],
    }
    if error.details is not None:
        body["error_data"] = {"messaging_product": "whatsapp", "details": error.details}
    return {"error": body}


def error_response(error: GraphError) -> JSONResponse:
    return JSONResponse(status_code=error.http_status, content=error_body(error))
