"""The campaign runner: a background task of the notifier that sends due campaigns.

Every `poll_seconds` it starts due campaigns (`campaign_handlers.start_if_due`) and drives each
running one in a task of its own until it is done, paused or a send raised, all campaigns side
by side (`run_once` drives them in bounded rounds instead, for tests): it claims recipients in batches
(`queued` → `claimed`, committed) and keeps up to `concurrency` sends in flight, claiming the
next batch as sends finish, so the pacer always has the next message ready (waiting for a whole
batch to finish left the number idle between batches). Each send goes through the notifier's
own send path (`handlers.handle_outbound_requested`) at campaign priority: the same consent,
window and template checks, the outbound-id claim committed before the Graph call, the pacer's
slot taken just before it, the outcome recorded after. So each recipient gets at most one message:

- a recipient claimed but without an outbound row was never sent (the outbound claim precedes
  the call): it is sent when the claim is recovered;
- one whose outbound row is still `sending` after a crash is settled as `unknown` by the send
  path and never sent again (reported as "outcome unknown");
- one already settled is not touched again.

A recipient the send path refused as opted out (131050: consent is checked there, once, at send
time) counts as skipped. Finished recipients are marked done in bulk with the next claim (a
crash before that only means the recovered claim finds its message already settled).
Claims are recovered from this runner's earlier rounds at once and from other runners only
after `claim_lease_seconds` (a live replica may still be sending them). The state is re-read
before every claim, so a pause or cancel stops the campaign within one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bancone_contracts.events.outbound import (
    OutboundMessage,
    OutboundMessageRequested,
    OutboundTemplate,
    TemplateComponent,
    TemplateParameter,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_notifier.adapters import campaign_store
from bancone_notifier.adapters.tables import CampaignRecipientRecord, CampaignRecord
from bancone_notifier.campaign_handlers import (
    complete_if_done,
    recipient_outbound_id,
    start_if_due,
    template_of,
)
from bancone_notifier.domain.campaigns import TemplateSpec
from bancone_notifier.domain.sending import worth_another_attempt
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
    """Recipients claimed per claim transaction."""
    concurrency: int = 32
    """Sends in flight per campaign (claimed, each waiting for its pacer slot or the Graph API):
    enough that the tier is never starved by one send's round trips, few enough that a pause
    stops the campaign within a fraction of a second of traffic."""
    round_seconds: float = 5.0
    """How long one `run_once` round drives a campaign (tests drive the runner round by round;
    the service's loop drives each campaign without rounds)."""
    send_attempts: int = 3
    """Attempts per recipient: a send that failed but surely reached no one (the Graph API
    unreachable, a retryable refusal once the send path's own retries ran out) is queued again
    with a new outbound id, up to this many in all."""
    retry_delay_seconds: float = 60.0
    """Wait before attempt n+1: n times this (Meta's throughput and 5xx pass in minutes)."""
    claim_lease_seconds: float = 300.0
    """After this long a claim by another runner counts as abandoned (its process died)."""
    stop_grace_seconds: float = 10.0
    """On shutdown, how long the sends in flight may take to finish before they are cancelled
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
        """Drive each running campaign continuously in a task of its own, and look for newly
        due ones every `poll_seconds`. Rounds (`run_once`, for tests) let the sends in flight
        drain every `round_seconds` before claiming again: at 80/s that emptied the pacer's
        queue once every 5 s, a dip the bench showed in every fifth second."""
        drives: dict[uuid.UUID, asyncio.Task[bool]] = {}
        try:
            while not self._stopping.is_set():
                try:
                    await self._start_due(drives)
                except Exception:
                    log.exception("campaign.runner_poll_failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.settings.poll_seconds)
                _reap(drives)
            # Stopping: each drive stops claiming and lets its sends in flight finish.
            await asyncio.gather(*drives.values(), return_exceptions=True)
        finally:
            for task in drives.values():  # cancelled past the grace: the sends unwind
                task.cancel()
            await asyncio.gather(*drives.values(), return_exceptions=True)

    async def _start_due(self, drives: dict[uuid.UUID, asyncio.Task[bool]]) -> None:
        async with self.deps.sessions() as session:
            due = await campaign_store.due_campaigns(session, utcnow())
        for campaign_id, tenant_id in due:
            if campaign_id in drives or self._stopping.is_set():
                continue
            if await start_if_due(tenant_id, campaign_id, self.deps) == "running":
                drives[campaign_id] = asyncio.create_task(
                    self._drive(tenant_id, campaign_id, round_seconds=None),
                    name=f"campaign-{campaign_id}",
                )

    async def run_once(self) -> bool:
        """One round over the due campaigns; True when something was sent (go on at once)."""
        async with self.deps.sessions() as session:
            due = await campaign_store.due_campaigns(session, utcnow())
        started = [
            (tenant_id, campaign_id)
            for campaign_id, tenant_id in due
            if not self._stopping.is_set()
            and await start_if_due(tenant_id, campaign_id, self.deps) == "running"
        ]
        rounds = self.settings.round_seconds
        results = await asyncio.gather(
            *(self._drive(t, c, round_seconds=rounds) for t, c in started),
            return_exceptions=True,
        )
        for (tenant_id, campaign_id), result in zip(started, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancelled: the runner is stopping
                log.error(
                    "campaign.round_failed",
                    campaign_id=str(campaign_id),
                    tenant_id=tenant_id,
                    exc_info=result,
                )
        return any(result is True for result in results)

    async def _drive(
        self, tenant_id: str, campaign_id: uuid.UUID, *, round_seconds: float | None
    ) -> bool:
        """Send one campaign for up to `round_seconds` (None: until it is done, paused, or a
        send raised): claim batches while fewer than `concurrency` sends are in flight. True
        when at least one recipient was settled. A send that raised stays claimed and ends the
        claiming of this drive (retried by the next, after the poll wait, so a failing channel
        is not hammered)."""
        started = asyncio.get_running_loop().time()
        deadline = None if round_seconds is None else started + round_seconds
        round_started = utcnow()  # own claims from before: failed sends of earlier drives
        in_flight: set[asyncio.Task[str | None]] = set()
        finished: list[str] = []
        progressed = failed = exhausted = False
        claims = 0  # a round claims at least once, however short `round_seconds`
        try:
            while True:
                claiming = not (
                    failed
                    or exhausted
                    or self._stopping.is_set()
                    or (
                        claims > 0
                        and deadline is not None
                        and asyncio.get_running_loop().time() >= deadline
                    )
                )
                room = self.settings.concurrency - len(in_flight)
                if claiming and room >= min(self.settings.batch_size, self.settings.concurrency):
                    claimed = await self._claim(
                        tenant_id, campaign_id, room, finished, round_started
                    )
                    finished = []
                    claims += 1
                    if claimed is None or not claimed[1]:
                        exhausted = True  # paused, cancelled, or nothing left to claim
                    else:
                        campaign, batch = claimed
                        spec = template_of(campaign.template)
                        for recipient in batch:
                            send = self._send_one(campaign, spec, recipient)
                            in_flight.add(asyncio.create_task(send))
                        # Claim again at once while there is room (fill the window).
                        continue
                if not in_flight:
                    break
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    customer_id = task.result()
                    if customer_id is None:
                        failed = True
                    else:
                        finished.append(customer_id)
                        progressed = True
        finally:
            if in_flight:  # cancelled (shutdown past the grace): let the sends unwind
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
            if finished:
                async with self.deps.sessions() as session, session.begin():
                    await campaign_store.finish_recipients(session, campaign_id, finished)
        if exhausted and not failed:
            await complete_if_done(tenant_id, campaign_id, self.deps)
        return progressed

    async def _claim(
        self,
        tenant_id: str,
        campaign_id: uuid.UUID,
        room: int,
        finished: list[str],
        round_started: datetime,
    ) -> tuple[CampaignRecord, list[CampaignRecipientRecord]] | None:
        """Mark the finished recipients done and claim up to `room` more, in one transaction;
        None when the campaign is no longer running."""
        stale_before = utcnow() - timedelta(seconds=self.settings.claim_lease_seconds)
        async with self.deps.sessions() as session, session.begin():
            if finished:
                await campaign_store.finish_recipients(session, campaign_id, finished)
            campaign = await campaign_store.get_campaign(session, tenant_id, campaign_id, lock=True)
            if campaign is None or campaign.state != "running":
                return None  # paused or cancelled since the round began
            batch = await campaign_store.claim_batch(
                session,
                campaign_id,
                runner_id=self.runner_id,
                stale_before=stale_before,
                limit=min(room, self.settings.batch_size),
                own_before=round_started,
            )
        return campaign, batch

    async def _send_one(
        self, campaign: CampaignRecord, spec: TemplateSpec, recipient: CampaignRecipientRecord
    ) -> str | None:
        """Send to one recipient: its customer id once settled (sent, refused or skipped) or
        queued again for a later attempt, None when it raised and stays claimed for a later
        round."""
        try:
            message = campaign_message(campaign, spec, recipient)
            report = await handle_outbound_requested(message, self.deps, priority="campaign")
            if report is not None and worth_another_attempt(report):
                await self._retry_later(campaign, recipient)
        except Exception:
            # Left claimed: retried next round; the outbound claim keeps it to one message.
            log.exception(
                "campaign.send_failed",
                campaign_id=str(campaign.id),
                tenant_id=campaign.tenant_id,
                outbound_id=str(recipient.outbound_id),
            )
            return None
        return recipient.customer_id

    async def _retry_later(
        self, campaign: CampaignRecord, recipient: CampaignRecipientRecord
    ) -> None:
        """Queue the recipient again with the next attempt's outbound id, if attempts remain
        (else its failed message stays its outcome)."""
        attempt = recipient.attempt + 1
        if attempt >= self.settings.send_attempts:
            return
        not_before = utcnow() + timedelta(seconds=self.settings.retry_delay_seconds * attempt)
        async with self.deps.sessions() as session, session.begin():
            await campaign_store.requeue(
                session,
                campaign.id,
                recipient.customer_id,
                attempt=attempt,
                outbound_id=recipient_outbound_id(campaign.id, recipient.customer_id, attempt),
                not_before=not_before,
            )
        log.info(
            "campaign.recipient_requeued",
            campaign_id=str(campaign.id),
            tenant_id=campaign.tenant_id,
            attempt=attempt,
            not_before=not_before.isoformat(),
        )


def _reap(drives: dict[uuid.UUID, asyncio.Task[bool]]) -> None:
    """Forget drives that ended (done, paused, a send raised: the next poll may start them
    again), logging one that failed."""
    for campaign_id, task in list(drives.items()):
        if not task.done():
            continue
        del drives[campaign_id]
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("campaign.drive_failed", campaign_id=str(campaign_id), exc_info=error)
