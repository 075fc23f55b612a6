"""The one place that builds the notifier's concrete adapters and wires them into its app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.messaging.broker import broker_for
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.runtime import Messaging
from bancone_notifier.adapters.graph import GraphApi, HttpxGraphApi
from bancone_notifier.adapters.graph_templates import HttpxTemplateApi, TemplateApi
from bancone_notifier.adapters.pacer import DatabasePacer, LimitsFor
from bancone_notifier.adapters.replica_roster import ReplicaRoster
from bancone_notifier.campaign_runner import CampaignRunner, RunnerSettings
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.pacing import Pacer, Unpaced
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.domain.replica_share import RosterTiming
from bancone_notifier.entrypoints.consumers import SUBSCRIPTIONS, Subscription, register_consumers
from bancone_notifier.entrypoints.http import build_http_app
from bancone_notifier.settings import NotifierSettings
from bancone_notifier.sweeper import Sweeper, SweeperSettings
from bancone_notifier.template_misses import TemplateMisses


def graph_http_client(settings: NotifierSettings) -> httpx.AsyncClient:
    """The client every Graph API call goes through, with the timeouts from settings."""
    timeout = httpx.Timeout(
        settings.graph_timeout_seconds, connect=settings.graph_connect_timeout_seconds
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


def pacing_limits(settings: NotifierSettings) -> LimitsFor:
    """A number's limits from its own tier (None: the setting's) and the pacing settings."""

    def limits(tier_per_second: float | None) -> PacingLimits:
        return PacingLimits.for_tier(
            tier_per_second or settings.pacing_tier_per_second,
            margin=settings.pacing_margin,
            pair_interval_seconds=settings.pacing_pair_interval_seconds,
            campaign_horizon_seconds=settings.pacing_campaign_horizon_seconds,
            lease_size=settings.pacing_lease_size,
            unanswered_expiry_seconds=settings.pacing_unanswered_expiry_seconds,
        )

    return limits


def build_app(
    settings: NotifierSettings,
    *,
    graph: GraphApi | None = None,
    templates: TemplateApi | None = None,
    subscriptions: Sequence[Subscription] = SUBSCRIPTIONS,
    pacer: Pacer | None = None,
) -> FastAPI:
    """The notifier's ASGI app: consumers, outbox relay and Graph API client start with it.

    Tests pass their own `graph` (or point `graph_base_url` at a stand-in) and their own
    topics and groups in `subscriptions`, and may pass the `pacer` (default: the database-shared
    pacer when `pacing_enabled`, else `Unpaced`).
    """
    engine = create_engine(settings.database_url, **settings.engine_options())
    messaging = Messaging(broker_for(settings), engine)
    client = graph_http_client(settings)
    if graph is None:
        graph = HttpxGraphApi(client, settings.graph_base_url, settings.graph_version)
    if templates is None:
        templates = HttpxTemplateApi(client, settings.graph_base_url, settings.graph_version)
    sessions = session_factory(engine)
    roster: ReplicaRoster | None = None
    if pacer is None and settings.pacing_enabled:
        roster = ReplicaRoster(sessions, RosterTiming(settings.pacing_replica_heartbeat_seconds))
        pacer = DatabasePacer(sessions, pacing_limits(settings), share=roster.share)
    elif pacer is None:
        pacer = Unpaced()
    deps = NotifierDeps(
        sessions=sessions,
        graph=graph,
        templates=templates,
        channel_box=SecretBox(Keyring.parse(settings.channel_keyring)),
        send_retry=RetryPolicy(
            attempts=settings.send_max_attempts,
            initial_delay=settings.send_retry_initial_seconds,
            max_delay=settings.send_retry_max_seconds,
            jitter=settings.send_retry_initial_seconds,
        ),
        rules=ComplianceRules(
            enforce_window=settings.enforce_window,
            check_templates=settings.check_templates,
            inbound_grace_seconds=settings.inbound_grace_seconds,
        ),
        pacer=pacer,
        number_backoff_seconds=settings.pacing_number_backoff_seconds,
        pair_backoff_seconds=settings.pacing_pair_interval_seconds,
        pacing_tier_per_second=settings.pacing_tier_per_second,
        template_misses=TemplateMisses(settings.template_miss_ttl_seconds),
    )
    register_consumers(
        messaging.broker,
        deps,
        retry=settings.consumer_retry,
        subscriptions=subscriptions,
    )

    # The roster's goodbye comes after the last send (messaging and the runner stopped).
    messaging_lifespan = messaging.lifespan(
        roster.stop if roster else None, client.aclose, engine.dispose
    )
    runner = CampaignRunner(
        deps,
        RunnerSettings(
            poll_seconds=settings.campaign_poll_seconds,
            batch_size=settings.campaign_batch_size,
            concurrency=settings.campaign_concurrency,
            send_attempts=settings.campaign_send_attempts,
            retry_delay_seconds=settings.campaign_retry_delay_seconds,
            claim_lease_seconds=settings.campaign_claim_lease_seconds,
            stop_grace_seconds=settings.campaign_stop_grace_seconds,
        ),
    )

    sweeper = Sweeper(
        sessions,
        SweeperSettings(
            interval_seconds=settings.sweep_interval_seconds,
            inbound_seen_retention=timedelta(hours=settings.inbound_seen_retention_hours),
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if roster is not None:
            await roster.start()
        async with messaging_lifespan(app):
            if settings.run_campaigns:
                runner.start()
            if settings.run_sweeper:
                sweeper.start()
            try:
                yield
            finally:
                await sweeper.stop()
                await runner.stop()

    app = build_http_app(settings, messaging.readiness_checks(engine), lifespan)
    app.state.deps = deps
    app.state.campaign_runner = runner
    app.state.sweeper = sweeper
    return app
