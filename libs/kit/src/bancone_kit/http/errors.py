"""How a service's plain domain exceptions become RFC 9457 problems: one table per service.

Domain errors stay plain `Exception` subclasses (no kit or framework base class); each service
says in one `ErrorProblems` table what each class means over HTTP and hands it to
`bancone_kit.http.app.create_app`, whose problem handlers (`problems.py`) render it. Free of
any web framework, so the tables can be read and tested without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any


def _message(error: Any) -> str | None:
    return str(error) or None


def _no_extensions(_: Any) -> Mapping[str, Any]:
    return {}


def _no_headers(_: Any) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True, slots=True)
class ErrorProblem:
    """What one exception class means over HTTP: its status and title (a fixed string, or
    read off the error), a problem type URI, its detail (the error's message unless told
    otherwise), any extension members (e.g. the rejected rows of an import) and any response
    headers (`WWW-Authenticate` on a 401, `Retry-After` on a 429)."""

    status: int
    title: str | Callable[[Any], str] | None = None
    type_: str = "about:blank"
    detail: Callable[[Any], str | None] = field(default=_message)
    extensions: Callable[[Any], Mapping[str, Any]] = field(default=_no_extensions)
    headers: Callable[[Any], Mapping[str, str]] = field(default=_no_headers)

    def title_for(self, error: Exception) -> str:
        if callable(self.title):
            return self.title(error)
        return self.title or HTTPStatus(self.status).phrase


ErrorProblems = Mapping[type[Exception], ErrorProblem]
"""A service's exception → problem table; a subclass not listed takes its nearest base's row."""


def problem_of(errors: ErrorProblems, error: Exception) -> ErrorProblem | None:
    """The row of the most specific class of `error` that `errors` lists, if any."""
    for cls in type(error).__mro__:
        if cls in errors:
            return errors[cls]
    return None
