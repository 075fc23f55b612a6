"""Routes of Meta's rules (`meta_rules.py`): the message-template endpoints of the Graph API
(`POST`/`GET /{version}/{waba_id}/message_templates`, the subset Bancone uses) and the
`/sandbox/*` controls tests drive them with: record a customer message (opens the window),
change a template's review status, change the rules, read the refusals."""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from bancone_sandbox.errors import GraphError
from bancone_sandbox.meta_rules import TemplateCategory, TemplateStatus
from bancone_sandbox.runtime import RuntimeDep, SandboxRuntime
from bancone_sandbox.state import utc_now

graph_router = APIRouter(tags=["graph-api"])
control_router = APIRouter(prefix="/sandbox", tags=["sandbox"])

_VERSION = re.compile(r"^v\d{1,3}\.\d$")
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")


class TemplateCreate(BaseModel):
    """What Meta's create-template call takes (name, language, category, components)."""

    name: str = Field(examples=["new_offer"])
    language: str = Field(min_length=2, examples=["it", "en_US"])
    category: TemplateCategory
    components: list[dict[str, Any]] = Field(default_factory=list)


def _authorised_waba(runtime: SandboxRuntime, version: str, waba_id: str, auth: str | None) -> None:
    """The bearer must be the token of a channel of this WABA (as a system user's would be)."""
    if not _VERSION.match(version):
        raise GraphError(400, 2500, message=f"Unknown path components: /{version}")
    channels = [c for c in runtime.state.channels.values() if c.waba_id == waba_id]
    if not channels:
        raise GraphError(
            400, 100, error_type="GraphMethodException", error_subcode=33,
            message=f"Unsupported request. Object with ID '{waba_id}' does not exist",
        )  # fmt: skip
    scheme, _, token = (auth or "").partition(" ")
    if scheme.lower() != "bearer" or not any(
        hmac.compare_digest(token.strip().encode(), c.access_token.encode()) for c in channels
    ):
        raise GraphError(401, 190, message="Invalid OAuth access token - Cannot parse access token")


@graph_router.post("/{version}/{waba_id}/message_templates")
async def create_template(
    version: str, waba_id: str, body: TemplateCreate, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    _authorised_waba(runtime, version, waba_id, request.headers.get("authorization"))
    if not _TEMPLATE_NAME.match(body.name):
        raise GraphError(400, 100, details="name: lowercase letters, digits and underscores")
    template = runtime.state.rules.add_template(
        waba_id, body.name, body.language, body.category, body.components
    )
    return {"id": template.id, "status": template.status, "category": template.category}


@graph_router.get("/{version}/{waba_id}/message_templates")
async def list_templates(
    version: str, waba_id: str, request: Request, runtime: RuntimeDep, name: str | None = None
) -> dict[str, Any]:
    _authorised_waba(runtime, version, waba_id, request.headers.get("authorization"))
    found = [
        t.as_json()
        for t in runtime.state.rules.templates.values()
        if t.waba_id == waba_id and (name is None or t.name == name)
    ]
    return {"data": found, "paging": {}}


@graph_router.delete("/{version}/{waba_id}/message_templates")
async def delete_template(
    version: str, waba_id: str, name: str, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Meta's delete by name: every language of the template goes."""
    _authorised_waba(runtime, version, waba_id, request.headers.get("authorization"))
    if not runtime.state.rules.remove_templates(waba_id, name):
        raise GraphError(
            400, 100, error_subcode=2593002,
            message="Invalid parameter", details=f"Template {name} not found",
        )  # fmt: skip
    return {"success": True}


class InboundRequest(BaseModel):
    """A customer wrote to `phone_number_id` at `timestamp` (default now)."""

    phone_number_id: str
    wa_id: str = Field(examples=["393331234567"])
    timestamp: datetime | None = None


class TemplateStatusRequest(BaseModel):
    status: TemplateStatus


class RulesRequest(BaseModel):
    """Only the fields given change; null clears a rate limit."""

    enforce_window: bool | None = None
    enforce_templates: bool | None = None
    number_rate_per_second: float | None = Field(default=None, gt=0)
    pair_interval_seconds: float | None = Field(default=None, gt=0)
    clear: list[Literal["number_rate_per_second", "pair_interval_seconds"]] = Field(
        default_factory=list
    )


def _rules_json(runtime: SandboxRuntime) -> dict[str, Any]:
    rules = runtime.state.rules
    return {
        "enforce_window": rules.enforce_window,
        "enforce_templates": rules.enforce_templates,
        "number_rate_per_second": rules.number_rate_per_second,
        "pair_interval_seconds": rules.pair_interval_seconds,
    }


@control_router.post("/inbound", status_code=201)
async def record_inbound(inbound: InboundRequest, runtime: RuntimeDep) -> dict[str, Any]:
    """How the sandbox learns that a customer wrote (the chat and tests call it)."""
    at = inbound.timestamp or utc_now()
    if at.tzinfo is None:
        raise HTTPException(422, "timestamp needs a timezone")
    runtime.state.rules.record_inbound(inbound.phone_number_id, inbound.wa_id, at)
    return {"phone_number_id": inbound.phone_number_id, "wa_id": inbound.wa_id, "at": at}


@control_router.put("/templates/{template_id}/status")
async def set_template_status(
    template_id: str, change: TemplateStatusRequest, runtime: RuntimeDep
) -> dict[str, Any]:
    template = runtime.state.rules.templates.get(template_id)
    if template is None:
        raise HTTPException(404, f"no template {template_id}")
    template.status = change.status
    return template.as_json()


@control_router.put("/rules")
async def set_rules(change: RulesRequest, runtime: RuntimeDep) -> dict[str, Any]:
    rules = runtime.state.rules
    for name, value in change.model_dump(exclude_unset=True, exclude={"clear"}).items():
        if value is not None:
            setattr(rules, name, value)
    for name in change.clear:
        setattr(rules, name, None)
    return _rules_json(runtime)


@control_router.get("/compliance")
async def compliance(runtime: RuntimeDep) -> dict[str, Any]:
    """The rules in force and every send they refused, oldest first."""
    return {**_rules_json(runtime), "refusals": [r.as_json() for r in runtime.state.rules.refusals]}
