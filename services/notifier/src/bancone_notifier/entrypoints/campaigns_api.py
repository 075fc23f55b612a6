"""Campaigns over HTTP under `/v1/tenants/{tenant_id}/campaigns`: thin routes calling
`campaign_handlers`. Reads need a viewer of the tenant, writes an admin (the kit's guards);
errors become problems through the notifier's table (`entrypoints/http.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.http.auth import AdminRole, Viewer
from bancone_kit.http.problems import Problem
from bancone_notifier import campaign_handlers, offer_drafts
from bancone_notifier.campaign_handlers import (
    CampaignView,
    CreateCampaign,
    template_json,
)
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.audience import Segment
from bancone_notifier.domain.campaigns import TemplateSpec, Variable

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, examples=["demo"])]


async def _deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.deps
    return deps


Deps = Annotated[NotifierDeps, Depends(_deps)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariableIn(_Strict):
    value: str | None = Field(default=None, description="A fixed value for every recipient.")
    field: str | None = Field(
        default=None, description="A customer field: name, customer_id, language."
    )
    fallback: str | None = Field(
        default=None, description="Used when the customer lacks `field`; else they are skipped."
    )


class TemplateIn(_Strict):
    name: str = Field(min_length=1, max_length=512, examples=["new_offer"])
    language: str = Field(min_length=2, max_length=16, examples=["it"])
    category: Literal["marketing", "utility", "authentication"] = "marketing"
    variables: list[VariableIn] = Field(
        default_factory=list, description="The body's {{1}}..{{n}}, in order."
    )
    placeholders: int | None = Field(
        default=None, ge=0, description="How many variables the template takes, if known."
    )


Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9_-]{1,32}$")
]
CategorySlug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"
    ),
]


class SegmentIn(_Strict):
    """Filters, all optional, combined with AND; each list matches any of its values."""

    customers: list[str] | None = Field(default=None, min_length=1, max_length=100_000)
    languages: list[str] | None = Field(default=None, min_length=1)
    contacted_within_days: int | None = Field(default=None, ge=1, le=3650)
    tags: list[Tag] | None = Field(
        default=None, min_length=1, max_length=50, description="Carries at least one of them."
    )
    bought_categories: list[CategorySlug] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Bought (a confirmed or paid order) a product of one of these categories.",
    )
    asked_categories: list[CategorySlug] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Was shown by the assistant a product of one of these categories.",
    )

    def segment(self) -> Segment:
        def _set(values: list[str] | None) -> frozenset[str] | None:
            return frozenset(values) if values else None

        return Segment(
            customers=tuple(self.customers) if self.customers else None,
            languages=_set(self.languages),
            contacted_within_days=self.contacted_within_days,
            tags=_set(self.tags),
            bought_categories=_set(self.bought_categories),
            asked_categories=_set(self.asked_categories),
        )


class CampaignIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    phone_number_id: str = Field(min_length=1, max_length=64)
    template: TemplateIn
    segment: SegmentIn = Field(default_factory=SegmentIn)
    send_at: datetime | None = Field(default=None, description="When to send (a draft if absent).")
    send_now: bool = Field(default=False, description="Schedule at once, for now.")

    @model_validator(mode="after")
    def _one_schedule(self) -> CampaignIn:
        if self.send_now and self.send_at is not None:
            raise ValueError("give send_at or send_now, not both")
        return self


class ScheduleIn(_Strict):
    send_at: datetime | None = Field(default=None, description="When; now if absent.")


class CampaignOut(BaseModel):
    id: uuid.UUID
    name: str
    phone_number_id: str
    state: str
    template: dict[str, Any]
    segment: dict[str, Any]
    origin: str | None
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    audience: int | None = Field(description="Receivers the segment selects now (before start).")
    total: int = Field(description="Recipients materialised (receivers and skipped).")
    counts: dict[str, int] = Field(
        description="Recipients per step (queued, sending, sent, delivered, read, failed, "
        "skipped, unknown); each recipient counted once, at its furthest step."
    )
    skipped: dict[str, int] = Field(description="Skipped recipients by reason.")
    failed: dict[str, int] = Field(description="Failed recipients by error.")
    retrying: int = Field(
        default=0,
        description="Recipients waiting for a retry: their send failed for a retryable reason "
        "(Graph API unreachable, 5xx, throughput) and they are queued again (also in `queued`).",
    )
    retry_attempts: dict[str, int] = Field(
        default_factory=dict, description="Those by how many of their attempts failed so far."
    )
    next_retry_at: datetime | None = Field(
        default=None, description="When the first of them may be tried again."
    )


class SettingsIn(_Strict):
    draft_on_new_offer: bool = Field(
        default=False, description="A new catalog offer drafts a campaign to opted-in customers."
    )
    phone_number_id: str | None = Field(default=None, max_length=64)
    offer_template: TemplateIn | None = Field(
        default=None,
        description="The drafts' template; variables may also take offer_title, "
        "offer_description or offer_discount.",
    )


class SettingsOut(BaseModel):
    draft_on_new_offer: bool
    phone_number_id: str | None
    offer_template: dict[str, Any] | None


class CampaignPage(BaseModel):
    items: list[CampaignOut]


def _out(view: CampaignView) -> CampaignOut:
    progress = view.progress
    return CampaignOut(
        id=view.id,
        name=view.name,
        phone_number_id=view.phone_number_id,
        state=view.state,
        template=view.template,
        segment=view.segment,
        origin=view.origin,
        send_at=view.send_at,
        started_at=view.started_at,
        finished_at=view.finished_at,
        created_at=view.created_at,
        audience=view.audience,
        total=progress.total,
        counts=progress.counts or {},
        skipped=progress.skipped or {},
        failed=progress.failed or {},
        retrying=sum((progress.retrying or {}).values()),
        retry_attempts={str(n): count for n, count in sorted((progress.retrying or {}).items())},
        next_retry_at=progress.next_retry_at,
    )


_problems: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in (401, 403, 404, 409, 422)
}
router = APIRouter(
    prefix="/v1/tenants/{tenant_id}/campaigns", responses=_problems, tags=["campaigns"]
)


def _template(body: TemplateIn) -> TemplateSpec:
    return TemplateSpec(
        name=body.name,
        language=body.language,
        category=body.category,
        variables=tuple(Variable(**v.model_dump()) for v in body.variables),
        placeholders=body.placeholders,
    )


def _settings_out(settings: offer_drafts.CampaignSettings) -> SettingsOut:
    template = settings.offer_template
    return SettingsOut(
        draft_on_new_offer=settings.draft_on_new_offer,
        phone_number_id=settings.phone_number_id,
        offer_template=template_json(template) if template is not None else None,
    )


# Declared before `/{campaign_id}` so that "settings" is not read as a campaign id.
@router.get("/settings", dependencies=[Viewer])
async def get_settings(tenant_id: TenantId, deps: Deps) -> SettingsOut:
    return _settings_out(await offer_drafts.get_campaign_settings(tenant_id, deps))


@router.put("/settings", dependencies=[AdminRole])
async def put_settings(tenant_id: TenantId, body: SettingsIn, deps: Deps) -> SettingsOut:
    """Whether a new offer drafts a campaign, from which number, with which template."""
    settings = offer_drafts.CampaignSettings(
        tenant_id,
        body.draft_on_new_offer,
        body.phone_number_id,
        _template(body.offer_template) if body.offer_template is not None else None,
    )
    await offer_drafts.set_campaign_settings(settings, deps)
    return _settings_out(await offer_drafts.get_campaign_settings(tenant_id, deps))


@router.post("", status_code=201, dependencies=[AdminRole])
async def create_campaign(tenant_id: TenantId, body: CampaignIn, deps: Deps) -> CampaignOut:
    """A draft, or scheduled at once with `send_at` / `send_now`; nothing is sent here."""
    template = _template(body.template)
    command = CreateCampaign(
        tenant_id=tenant_id,
        name=body.name,
        phone_number_id=body.phone_number_id,
        template=template,
        segment=body.segment.segment(),
        schedule=body.send_now or body.send_at is not None,
        send_at=body.send_at,
    )
    return _out(await campaign_handlers.create_campaign(command, deps))


@router.get("", dependencies=[Viewer])
async def list_campaigns(tenant_id: TenantId, deps: Deps) -> CampaignPage:
    return CampaignPage(
        items=[_out(v) for v in await campaign_handlers.list_campaigns(tenant_id, deps)]
    )


@router.get("/{campaign_id}", dependencies=[Viewer])
async def get_campaign(tenant_id: TenantId, campaign_id: uuid.UUID, deps: Deps) -> CampaignOut:
    """The campaign with its live progress (the final report once completed or cancelled)."""
    return _out(await campaign_handlers.get_campaign(tenant_id, campaign_id, deps))


@router.post("/{campaign_id}/schedule", dependencies=[AdminRole])
async def schedule_campaign(
    tenant_id: TenantId, campaign_id: uuid.UUID, body: ScheduleIn, deps: Deps
) -> CampaignOut:
    """The owner confirms a draft: send at `send_at`, or now."""
    view = await campaign_handlers.schedule_campaign(tenant_id, campaign_id, body.send_at, deps)
    return _out(view)


@router.post("/{campaign_id}/pause", dependencies=[AdminRole])
async def pause_campaign(tenant_id: TenantId, campaign_id: uuid.UUID, deps: Deps) -> CampaignOut:
    return _out(await campaign_handlers.change_campaign(tenant_id, campaign_id, "pause", deps))


@router.post("/{campaign_id}/resume", dependencies=[AdminRole])
async def resume_campaign(tenant_id: TenantId, campaign_id: uuid.UUID, deps: Deps) -> CampaignOut:
    return _out(await campaign_handlers.change_campaign(tenant_id, campaign_id, "resume", deps))


@router.post("/{campaign_id}/cancel", dependencies=[AdminRole])
async def cancel_campaign(tenant_id: TenantId, campaign_id: uuid.UUID, deps: Deps) -> CampaignOut:
    return _out(await campaign_handlers.change_campaign(tenant_id, campaign_id, "cancel", deps))
