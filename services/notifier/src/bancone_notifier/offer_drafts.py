"""Drafts from new offers: a tenant may have a new catalog offer write a draft campaign to its
opted-in customers (`draft_on_new_offer`); the owner confirms it by scheduling it. The settings
and the catalog consumer (`bancone.catalog.v1`, group `notifier-catalog`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bancone_contracts.events.catalog import CatalogEntityChanged, OfferSnapshot
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import campaign_store
from bancone_notifier.adapters.tables import CampaignSettingsRecord
from bancone_notifier.campaign_handlers import (
    CreateCampaign,
    create_campaign,
    template_json,
    template_of,
)
from bancone_notifier.domain.campaigns import (
    CampaignError,
    CampaignExistsError,
    TemplateSpec,
    Variable,
    check_template,
)

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)

OFFER_FIELDS = frozenset({"offer_title", "offer_description", "offer_discount"})
"""Variables of the offer template filled from the offer when the draft is written."""


@dataclass(frozen=True)
class CampaignSettings:
    """`draft_on_new_offer`: a new catalog offer drafts a campaign (off by default), sent from
    `phone_number_id` with `offer_template`; the owner confirms it by scheduling it."""

    tenant_id: str
    draft_on_new_offer: bool = False
    phone_number_id: str | None = None
    offer_template: TemplateSpec | None = None


def check_offer_template(spec: TemplateSpec) -> None:
    """Offer fields are allowed besides the customer's: they become fixed values per offer."""
    customer_side = tuple(
        Variable(value="offer") if v.field in OFFER_FIELDS else v for v in spec.variables
    )
    check_template(
        TemplateSpec(spec.name, spec.language, spec.category, customer_side, spec.placeholders)
    )


async def set_campaign_settings(settings: CampaignSettings, deps: NotifierDeps) -> None:
    if settings.draft_on_new_offer and (
        settings.phone_number_id is None or settings.offer_template is None
    ):
        raise CampaignError("drafting on new offers needs a phone_number_id and a template")
    if settings.offer_template is not None:
        check_offer_template(settings.offer_template)
    async with deps.sessions() as session, session.begin():
        if settings.phone_number_id is not None:
            channel = await campaign_store.channel_of(session, settings.phone_number_id)
            if channel is None or channel.tenant_id != settings.tenant_id:
                raise CampaignError(f"the tenant has no channel {settings.phone_number_id}")
        row = await campaign_store.settings_of(session, settings.tenant_id, lock=True)
        if row is None:
            row = CampaignSettingsRecord(tenant_id=settings.tenant_id, draft_on_new_offer=False)
            session.add(row)
        row.draft_on_new_offer = settings.draft_on_new_offer
        row.phone_number_id = settings.phone_number_id
        row.offer_template = (
            template_json(settings.offer_template) if settings.offer_template else None
        )
        row.updated_at = utcnow()


async def get_campaign_settings(tenant_id: str, deps: NotifierDeps) -> CampaignSettings:
    async with deps.sessions() as session:
        row = await campaign_store.settings_of(session, tenant_id)
    if row is None:
        return CampaignSettings(tenant_id)
    return CampaignSettings(
        tenant_id,
        row.draft_on_new_offer,
        row.phone_number_id,
        template_of(row.offer_template) if row.offer_template else None,
    )


def _offer_values(snapshot: OfferSnapshot) -> dict[str, str | None]:
    discount = snapshot.discount_percent
    return {
        "offer_title": snapshot.title,
        "offer_description": snapshot.description,
        "offer_discount": f"{discount.normalize():f}%" if discount is not None else None,
    }


async def handle_catalog_changed(event: CatalogEntityChanged, deps: NotifierDeps) -> None:
    """A new active offer drafts a campaign to every opted-in customer, when the tenant asked
    for it. Once per offer (the draft's origin is unique), so an update or a replay drafts
    nothing more; nothing is sent until the owner schedules the draft."""
    change = event.data
    snapshot = change.snapshot
    if change.op != "upserted" or not isinstance(snapshot, OfferSnapshot) or not snapshot.active:
        return
    settings = await get_campaign_settings(event.tenant_id, deps)
    if not settings.draft_on_new_offer or settings.offer_template is None:
        return
    assert settings.phone_number_id is not None
    offer = _offer_values(snapshot)
    spec = settings.offer_template
    variables = tuple(
        Variable(value=offer[v.field] or v.fallback) if v.field in OFFER_FIELDS else v
        for v in spec.variables
    )
    fields = {"tenant_id": event.tenant_id, "offer_id": change.entity_id}
    if any(v.value is not None and not v.value for v in variables) or any(
        v.field in OFFER_FIELDS and v.value is None for v in variables
    ):
        log.warning("campaign.offer_draft_skipped", reason="offer lacks a template field", **fields)
        return
    command = CreateCampaign(
        tenant_id=event.tenant_id,
        name=f"Offerta: {snapshot.title}"[:200],
        phone_number_id=settings.phone_number_id,
        template=TemplateSpec(
            spec.name, spec.language, spec.category, variables, spec.placeholders
        ),
        origin=f"offer:{change.entity_id}",
    )
    try:
        await create_campaign(command, deps)
    except CampaignExistsError:
        log.info("campaign.offer_draft_exists", **fields)
    except CampaignError as error:
        log.info("campaign.offer_draft_skipped", reason=str(error), **fields)
