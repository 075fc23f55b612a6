"""The base of errors that become RFC 9457 problem responses; free of any web framework."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ProblemError(Exception):
    """An error with an HTTP meaning, mapped to `application/problem+json` in one place.

    Either raise it directly, `ProblemError(404, "Product not found", detail="...")`, or
    subclass it with class-level defaults and raise `ProductNotFound(detail="...")`.
    Extra keyword arguments become extension members of the problem body.
    """

    status: int = 500
    title: str | None = None
    type_: str = "about:blank"

    def __init__(
        self,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        type_: str | None = None,
        **extensions: Any,
    ) -> None:
        self.status = status if status is not None else type(self).status
        self.title = title or type(self).title or HTTPStatus(self.status).phrase
        self.type_ = type_ or type(self).type_
        self.detail = detail
        self.extensions = extensions
        super().__init__(detail or self.title)
