"""The campaign runner: a background task of the notifier that sends due campaigns.

Each round it starts due campaigns (`campaign_handlers.start_if_due`) and, for each running
one, claims a batch of recipients (`queued` → `claimed`, committed) and sends each through the
notifier's own send path (`handlers.handle_outbound_requested`): the pacer first, then the same
consent/window checks, the outbound-id claim committed before the Graph call, the outcome
recorded after. So each recipient gets at most one message:

- a recipient claimed but without an outbound row was never sent (the outbound claim precedes
  the call): it is sent when the claim is recovered;
- one whose outbound row is still `sending` after a crash is settled as `unknown` by the send
  path and never sent again (reported as "outcome unknown");
- one already settled is not touched again.

Claims are recovered from this runner's earlier rounds at once and from other runners only
after `claim_lease_seconds` (a live replica may still be sending them). The state is re-read
before every batch, so a pause or cancel stops the campaign within one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.events.outbound import (
    OutboundMessage,
    OutboundMessageRequested,
    OutboundTemplate,
    TemplateComponent,
    TemplateParameter,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import campaign_store, consent_store, repository
from bancone_notifier.adapters.tables import CampaignRecipientRecord, CampaignRecord
from bancone_notifier.campaign_handlers import complete_if_done, start_if_due, template_of
from bancone_notifier.domain.audience import consent_skip
from bancone_notifier.domain.campaigns import TemplateSpec
from bancone_notifier.outbound_sending import handle_outbound_requested

if TYPE_CHECKING:
    from bancone_notifier.deps import NotifierDeps

log = get_logger(__name__)

SOURCE = "notifier"
_EVENT_IDS = uuid.UUID("5b8e2f0c-2d7d-4f5e-8a53-6f9c7f0a1d42")


@dataclass(frozen=True)
class RunnerSettings:
    poll_seconds: float = 1.0
    batch_size: int = 20
    """Recipients claimed and sent together (concurrently) per round of one campaign."""
    claim_lease_seconds: float = 300.0
    """After this long a claim by another runner counts as abandoned (its process died)."""
    stop_grace_seconds: float = 10.0
    """On shutdown, how long the batch in flight may take to finish before it is cancelled
    (a cancelled send is settled by the next runner: sent once, or reported unknown)."""


def campaign_message(
    campaign: CampaignRecord, spec: TemplateSpec, recipient: CampaignRecipientRecord
) -> OutboundMessageRequested:
    """The recipient's template message; event and outbound ids derive from the recipient."""
    components: tuple[TemplateComponent, ...] = ()
    if recipient.parameters:
        parameters = tuple(TemplateParameter(value=v) for v in recipient.parameters)
        components = (TemplateComponent(type="body", parameters=parameters),)
    return OutboundMessageRequested.new(
        tenant_id=campaign.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_EVENT_IDS, str(recipient.outbound_id)),
        data=OutboundMessage(
            outbound_id=recipient.outbound_id,
            customer_id=recipient.customer_id,
            to=recipient.customer_id,
            phone_number_id=campaign.phone_number_id,
            sender="human",
            operator_id=f"campaign:{campaign.id}",
            content=OutboundTemplate(
                name=spec.name,
                language_code=spec.language,
                category=spec.category,
                components=components,
            ),
        ),
    )


class CampaignRunner:
    def __init__(self, deps: NotifierDeps, settings: RunnerSettings | None = None) -> None:
        self.deps = deps
        self.settings = settings or RunnerSettings()
        self.runner_id = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="campaign-runner")

    async def stop(self) -> None:
        """Let the batch in flight finish (up to the grace), then stop."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.settings.stop_grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("campaign.runner_round_failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.settings.poll_seconds)

    async def run_once(self) -> bool:
        """One round over the due campaigns; True when something was sent (go on at once)."""
        async with self.deps.sessions() as session:
            due = await campaign_store.due_campaigns(session, utcnow())
        busy = False
        for campaign_id, tenant_id in due:
            if self._stopping.is_set():
                break
            if await start_if_due(tenant_id, campaign_id, self.deps) != "running":
                continue
            busy = await self._send_batch(tenant_id, campaign_id) or busy
        return busy

    async def _send_batch(self, tenant_id: str, campaign_id: uuid.UUID) -> bool:
        stale_before = utcnow() - timedelta(seconds=self.settings.claim_lease_seconds)
        async with self.deps.sessions() as session, session.begin():
            campaign = await campaign_store.get_campaign(session, tenant_id, campaign_id, lock=True)
            if campaign is None or campaign.state != "running":
                return False  # paused or cancelled since the round began
            batch = await campaign_store.claim_batch(
                session,
                campaign_id,
                runner_id=self.runner_id,
                stale_before=stale_before,
                limit=self.settings.batch_size,
            )
        if not batch:
            await complete_if_done(tenant_id, campaign_id, self.deps)
            return False
        spec = template_of(campaign.template)
        settled = await asyncio.gather(*(self._send_one(campaign, spec, r) for r in batch))
        # A batch where every send raised (e.g. the channel is not known yet) waits for the
        # next poll instead of spinning.
        return any(settled)

    async def _send_one(
        self, campaign: CampaignRecord, spec: TemplateSpec, recipient: CampaignRecipientRecord
    ) -> bool:
        """Send to one recipient; False when it raised and stays claimed for the next round."""
        fields = {
            "campaign_id": str(campaign.id),
            "tenant_id": campaign.tenant_id,
            "outbound_id": str(recipient.outbound_id),
        }
        if spec.category == "marketing":
            async with self.deps.sessions() as session, session.begin():
                status = await consent_store.consent_status(
                    session, campaign.tenant_id, recipient.customer_id
                )
                reason = consent_skip(status)
                if reason is not None and not await _already_sent(session, recipient):
                    await campaign_store.finish_recipient(
                        session, campaign.id, recipient.customer_id, skip_reason=reason
                    )
                    log.info("campaign.recipient_skipped", reason=reason, **fields)
                    return True
        await self.deps.pacer.acquire(campaign.phone_number_id, recipient.customer_id, "campaign")
        try:
            message = campaign_message(campaign, spec, recipient)
            await handle_outbound_requested(message, self.deps, slot_taken=True)
        except Exception:
            # Left claimed: retried next round; the outbound claim keeps it to one message.
            log.exception("campaign.send_failed", **fields)
            return False
        async with self.deps.sessions() as session, session.begin():
            await campaign_store.finish_recipient(session, campaign.id, recipient.customer_id)
        return True


async def _already_sent(session: AsyncSession, recipient: CampaignRecipientRecord) -> bool:
    """A recovered claim whose message already left is finished, not skipped."""
    return await repository.get_outbound(session, recipient.outbound_id) is not None
