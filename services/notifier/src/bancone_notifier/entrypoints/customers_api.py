"""The console's customer routes under `/v1/tenants/{tenant_id}`: the customer list and one
customer (`/customers`), an operator's opt-in/opt-out and tags, and the tenant's consent
keywords (`/consent/keywords`). Reads need a viewer of the tenant, writes an admin; thin routes
calling `customer_handlers`, errors mapped in `entrypoints/http.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.auth.dependencies import CurrentPrincipal
from bancone_kit.http.auth import AdminRole, Viewer
from bancone_kit.http.problems import Problem
from bancone_notifier import customer_handlers
from bancone_notifier.customer_handlers import (
    CustomerView,
    KeywordList,
    ListCustomers,
    RecordConsent,
)
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.consent import ConsentAction, ConsentKeyword, Language

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, examples=["demo"])]
CustomerId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
        description="The customer's WhatsApp id (wa_id) or user id.",
        examples=["393331234567"],
    ),
]
ConsentFilter = Literal["opted_in", "opted_out", "none"]


async def _deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.deps
    return deps


Deps = Annotated[NotifierDeps, Depends(_deps)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InterestsOut(BaseModel):
    bought: list[str] = Field(description="Categories of products bought (confirmed/paid).")
    asked: list[str] = Field(description="Categories of products the assistant showed them.")


class CustomerOut(BaseModel):
    customer_id: str
    name: str | None = Field(description="The WhatsApp profile name of their last message.")
    language: str | None = Field(description="The language of the last keyword they used.")
    consent: ConsentFilter
    tags: list[str]
    last_inbound_at: datetime | None = Field(description="Their newest message, any number.")
    window_open: bool = Field(description="Free-form messages may go out (< 24 h).")
    interests: InterestsOut


class ConsentEntryOut(BaseModel):
    action: ConsentAction
    source: str = Field(examples=["keyword", "whatsapp_preferences", "console", "web_form"])
    proof: str
    at: datetime


class CustomerDetailOut(CustomerOut):
    consent_history: list[ConsentEntryOut] = Field(description="The ledger, oldest first.")


class CustomerPageOut(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class ConsentIn(_Strict):
    action: ConsentAction
    source: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="Where the decision was taken: console, web_form, till, import, ...",
        examples=["web_form"],
    )
    proof: str | None = Field(
        default=None,
        max_length=1000,
        description="Required for an opt-in: what shows the customer agreed (form id, text).",
    )
    request_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Idempotency key: the same key for the same customer is recorded once.",
    )


class TagsIn(_Strict):
    tags: list[str] = Field(
        max_length=100,
        description="The whole set (lower-cased; 1-32 of a-z 0-9 _ -; at most 20).",
        examples=[["vip", "wholesale"]],
    )


class KeywordIO(_Strict):
    phrase: str = Field(min_length=1, max_length=100, examples=["stop"])
    action: ConsentAction
    language: Language


class KeywordsIn(_Strict):
    keywords: list[KeywordIO] = Field(max_length=100, description="Empty: no keywords at all.")


class KeywordsOut(BaseModel):
    keywords: list[KeywordIO]
    uses_defaults: bool = Field(description="True while the tenant has not set its own list.")


def _out(view: CustomerView) -> dict[str, Any]:
    return {
        "customer_id": view.customer_id,
        "name": view.name,
        "language": view.language,
        "consent": view.consent,
        "tags": list(view.tags),
        "last_inbound_at": view.last_inbound_at,
        "window_open": view.window_open,
        "interests": {"bought": list(view.bought), "asked": list(view.asked)},
    }


def _keywords_out(found: KeywordList) -> KeywordsOut:
    return KeywordsOut(
        keywords=[
            KeywordIO(phrase=k.phrase, action=k.action, language=k.language) for k in found.keywords
        ],
        uses_defaults=found.uses_defaults,
    )


_problems: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (401, 403, 404, 422)
}
router = APIRouter(prefix="/v1/tenants/{tenant_id}", responses=_problems, tags=["customers"])


@router.get("/customers", dependencies=[Viewer])
async def list_customers(
    tenant_id: TenantId,
    deps: Deps,
    consent: Annotated[ConsentFilter | None, Query()] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=128, description="Id prefix or name.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> CustomerPageOut:
    """The tenant's customers in id order, `limit` at a time."""
    page = await customer_handlers.list_customers(
        ListCustomers(tenant_id, consent, tag, q, cursor, limit), deps
    )
    return CustomerPageOut.model_validate(
        {"items": [_out(v) for v in page.items], "next_cursor": page.next_cursor}
    )


@router.get("/customers/{customer_id}", dependencies=[Viewer])
async def get_customer(
    tenant_id: TenantId, customer_id: CustomerId, deps: Deps
) -> CustomerDetailOut:
    """The customer with their consent ledger."""
    view = await customer_handlers.get_customer(tenant_id, customer_id, deps)
    history = [
        {"action": e.action, "source": e.source, "proof": e.proof, "at": e.at}
        for e in view.consent_history
    ]
    return CustomerDetailOut.model_validate(_out(view) | {"consent_history": history})


@router.post("/customers/{customer_id}/consent", dependencies=[AdminRole])
async def record_consent(
    tenant_id: TenantId,
    customer_id: CustomerId,
    body: ConsentIn,
    principal: CurrentPrincipal,
    deps: Deps,
) -> CustomerOut:
    """Record an opt-in (with its proof) or an opt-out taken outside WhatsApp."""
    command = RecordConsent(
        tenant_id=tenant_id,
        customer_id=customer_id,
        action=body.action,
        source=body.source,
        proof=body.proof,
        operator=principal.subject,
        request_id=body.request_id,
    )
    return CustomerOut.model_validate(_out(await customer_handlers.record_consent(command, deps)))


@router.put("/customers/{customer_id}/tags", dependencies=[AdminRole])
async def put_tags(
    tenant_id: TenantId, customer_id: CustomerId, body: TagsIn, deps: Deps
) -> CustomerOut:
    """Replace the customer's tags (campaign segments filter on them)."""
    view = await customer_handlers.set_tags(tenant_id, customer_id, body.tags, deps)
    return CustomerOut.model_validate(_out(view))


@router.get("/consent/keywords", dependencies=[Viewer])
async def get_keywords(tenant_id: TenantId, deps: Deps) -> KeywordsOut:
    """The opt-out/opt-in keywords in force (the defaults until the tenant sets its own)."""
    return _keywords_out(await customer_handlers.get_keywords(tenant_id, deps))


@router.put("/consent/keywords", dependencies=[AdminRole])
async def put_keywords(tenant_id: TenantId, body: KeywordsIn, deps: Deps) -> KeywordsOut:
    """Replace the tenant's keywords; a phrase that can never match, or a repeat, refuses the
    whole list (422 with the reason)."""
    keywords = [ConsentKeyword(k.phrase, k.action, k.language) for k in body.keywords]
    return _keywords_out(await customer_handlers.put_keywords(tenant_id, keywords, deps))
