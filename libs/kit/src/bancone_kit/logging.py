"""Structured logs: one JSON object per line, with the ids that let a reader follow one event.

Every line carries the service, and whatever tenant, conversation, request and trace ids are
bound in the current context (contextvars, so they follow an asyncio task). Library loggers
(uvicorn, SQLAlchemy, aiokafka) go through the same renderer. Secrets never reach the output:
`SecretStr` values and fields named like credentials are redacted by a processor, at any depth
of nested dicts and lists; message bodies (`text`, `body`, `caption`) are replaced by their
length. Tracebacks are rendered without local variables (`show_locals=False`): a frame holding
a secret or a customer's message must not print it.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

import structlog
from opentelemetry import trace
from pydantic import SecretBytes, SecretStr
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from bancone_kit.settings import ServiceSettings

REDACTED = "[redacted]"
_SECRET_KEYS = frozenset(
    {"password", "secret", "token", "authorization", "api_key", "apikey", "cookie", "set-cookie"}
)
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_api_key", "_apikey", "_keyring")
_BODY_KEYS = frozenset({"text", "body", "caption"})
"""Fields holding what a customer or operator wrote: logged as their length only."""
_MAX_DEPTH = 8


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def _redacted(key: object, value: object, depth: int) -> object:
    """`value` with secrets and bodies replaced, nested dicts, lists and tuples included."""
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(key, str) and isinstance(value, str | bytes) and value:
        if _is_secret_key(key):
            return REDACTED
        if key.lower() in _BODY_KEYS:
            return f"[{len(value)} chars]"
    if depth >= _MAX_DEPTH:
        return value if isinstance(value, str | int | float | bool | None) else REDACTED
    if isinstance(value, Mapping):
        return {k: _redacted(k, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(key, item, depth + 1) for item in value]
    return value


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace secret values, so a careless `log.info("x", token=token)` or
    `log.info("x", request={"headers": {"authorization": ...}})` leaks nothing."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _redacted(key, value, 0)
    return event_dict


def add_trace_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Copy the current OpenTelemetry span's trace and span ids onto the line."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = trace.format_trace_id(context.trace_id)
        event_dict["span_id"] = trace.format_span_id(context.span_id)
    return event_dict


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Uvicorn adds an ANSI-coloured copy of its message; the JSON needs only one."""
    event_dict.pop("color_message", None)
    return event_dict


def _add_service(service_name: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service_name)
        return event_dict

    return add_service


def configure_logging(settings: ServiceSettings, *, stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging through one renderer on `stream`.

    Called once per process by the service command line (tests may call it again with a
    buffer as `stream`).
    """
    level = logging.getLevelNamesMapping()[settings.log_level]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_service(settings.service_name),
        add_trace_ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        redact_secrets,
    ]
    renderer: list[Processor] = (
        [
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            structlog.processors.JSONRenderer(default=str),
        ]
        if settings.log_format == "json"
        else [structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)]
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Servers (uvicorn) install their own handlers, stop propagation and set their own level
    # when configured by dictConfig or `log_level`; route them through the root's JSON handler
    # at the service's level again, whoever configured them.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        server_logger = logging.getLogger(name)
        for old in list(server_logger.handlers):
            server_logger.removeHandler(old)
        server_logger.propagate = True
        server_logger.disabled = False
        server_logger.setLevel(logging.NOTSET)
    for noisy in ("aiokafka", "sqlalchemy.engine", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A logger whose lines carry the context bound with `bind_event_context`."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def _context_values(
    tenant_id: str | uuid.UUID | None,
    conversation_id: str | uuid.UUID | None,
    trace_id: str | None,
    extra: Mapping[str, object],
) -> dict[str, object]:
    values: dict[str, object] = {
        "tenant_id": tenant_id,
        "conversation_id": conversation_id,
        "trace_id": trace_id,
        **extra,
    }
    return {
        key: str(value) if isinstance(value, uuid.UUID) else value
        for key, value in values.items()
        if value is not None
    }


def bind_event_context(
    *,
    tenant_id: str | uuid.UUID | None = None,
    conversation_id: str | uuid.UUID | None = None,
    trace_id: str | None = None,
    **extra: object,
) -> None:
    """Bind ids for the rest of the current task (a request or a consumed event)."""
    structlog.contextvars.bind_contextvars(
        **_context_values(tenant_id, conversation_id, trace_id, extra)
    )


@contextmanager
def event_context(
    *,
    tenant_id: str | uuid.UUID | None = None,
    conversation_id: str | uuid.UUID | None = None,
    trace_id: str | None = None,
    **extra: object,
) -> Iterator[None]:
    """Bind ids for the duration of a block, restoring what was bound before on exit."""
    with structlog.contextvars.bound_contextvars(
        **_context_values(tenant_id, conversation_id, trace_id, extra)
    ):
        yield


def clear_event_context() -> None:
    """Forget everything bound in the current context (e.g. between two consumed events)."""
    structlog.contextvars.clear_contextvars()
