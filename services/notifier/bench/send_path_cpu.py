"""CPU per campaign send inside the notifier, without the rest of the platform.

The campaign bench (`campaign_pacing.py`) measures the rate a whole platform reaches; on a
2-core machine that rate is the notifier's CPU per send, and every other process (and any
other work on the machine) moves it. This measures that CPU alone and the same way every
time: the campaign runner and the real send path (consent, template check, outbound claim,
the database pacer at a tier that never waits, the outcome recorded, the delivery event
staged) on a private PostgreSQL with the notifier's pool settings (`BANCONE_NOTIFIER_DATABASE_*`
variables change them), with a Graph API that accepts at once. Process CPU seconds
(`time.process_time`) per send, and a py-spy profile with `--profile`. Not included: the
outbox relay's Kafka publishing and the HTTP request itself.

    uv run --all-packages python services/notifier/bench/send_path_cpu.py [--sends 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bancone_contracts.common import utc_now
from bancone_contracts.events.channel import ChannelChange, ChannelChanged
from bancone_kit.crypto import Keyring, SecretBox, generate_key
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.logging import configure_logging
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters import template_store
from bancone_notifier.adapters.pacer import DatabasePacer
from bancone_notifier.campaign_handlers import CreateCampaign, create_campaign, get_campaign
from bancone_notifier.campaign_runner import CampaignRunner, RunnerSettings
from bancone_notifier.consent_handlers import RecordOptIn, record_opt_in
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.audience import Segment
from bancone_notifier.domain.campaigns import TemplateSpec, Variable
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.domain.sending import Accepted, SendOutcome
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.settings import NotifierSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from services.notifier.bench.campaign_setup import private_postgres

WABA = "100000000000001"
TEMPLATE = {
    "id": "1",
    "name": "bench_offer",
    "language": "it",
    "category": "MARKETING",
    "status": "APPROVED",
    "components": [{"type": "BODY", "text": "Ciao {{1}}, da oggi -20%!"}],
}


class InstantGraph:
    """Accepts every message at once (the HTTP round trip is not what is measured here)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send_message(
        self, phone_number_id: str, access_token: str, body: Mapping[str, Any]
    ) -> SendOutcome:
        self.sent += 1
        return Accepted(f"wamid.BENCH{uuid.uuid4().hex}")


async def prepare(deps: NotifierDeps, sends: int) -> tuple[str, uuid.UUID]:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    number = f"1065{uuid.uuid4().int % 10**11:011d}"
    sealed = deps.channel_box.seal_parts("EAAG-bench-token", number)
    change = ChannelChange(
        change="registered",
        phone_number_id=number,
        access_token_ciphertext=sealed.ciphertext,
        key_id=sealed.key_id,
        waba_id=WABA,
    )
    await handle_channel_changed(
        ChannelChanged.new(tenant_id=tenant, source="bench", data=change), deps
    )
    async with deps.sessions() as session, session.begin():
        await template_store.upsert_from_graph(session, tenant, WABA, TEMPLATE, at=utc_now())
    for n in range(sends):
        customer = f"39{n:010d}"
        await record_opt_in(
            RecordOptIn(tenant, customer, "web_form", "bench", utc_now(), uuid.uuid4()), deps
        )
    view = await create_campaign(
        CreateCampaign(
            tenant_id=tenant,
            name="bench",
            phone_number_id=number,
            template=TemplateSpec("bench_offer", "it", "marketing", (Variable(value="Anna"),)),
            segment=Segment(),
            schedule=True,
        ),
        deps,
    )
    return tenant, view.id


async def measure(settings: NotifierSettings, url: str, sends: int, profile: Path | None) -> None:
    await upgrade_database(url, "bancone_notifier.migrations")
    engine = create_engine(url, **settings.engine_options())
    keyring = f"bench:{generate_key()}"
    sessions = session_factory(engine)
    graph = InstantGraph()
    deps = NotifierDeps(
        sessions=sessions,
        graph=graph,
        channel_box=SecretBox(Keyring.parse(keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        pacer=DatabasePacer(sessions, lambda _tier: PacingLimits.for_tier(1000)),
    )
    tenant, campaign = await prepare(deps, sends)
    runner = CampaignRunner(deps, RunnerSettings(round_seconds=600.0))
    spy = None
    if profile is not None:
        spy = await asyncio.create_subprocess_exec(
            shutil.which("py-spy") or "py-spy",
            *("record", "-o", str(profile), "--pid", str(os.getpid()), "--nonblocking"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)
    cpu, wall = time.process_time(), time.perf_counter()
    while await runner.run_once():
        pass
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await asyncio.wait_for(spy.wait(), 30)
    view = await get_campaign(tenant, campaign, deps)
    await engine.dispose()
    print(f"campaign {view.state}: {graph.sent} sends in {wall:.1f} s ({graph.sent / wall:.1f}/s)")
    print(
        f"notifier CPU per send: {1000 * cpu / max(graph.sent, 1):.2f} ms (process CPU {cpu:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--profile", type=Path, help="write a py-spy flame graph (SVG) here")
    parser.add_argument("--database-url", help="an existing PostgreSQL (default: a private one)")
    args = parser.parse_args()
    # As the service logs (JSON lines), to nowhere: the rendering is part of the cost.
    settings = NotifierSettings(
        log_format="json", database_url="sqlite+aiosqlite://", environment="dev"
    )
    with open(os.devnull, "w") as nowhere:
        configure_logging(settings, stream=nowhere)
        asyncio.run(run(settings, args.database_url, args.sends, args.profile))


async def run(
    settings: NotifierSettings, database_url: str | None, sends: int, profile: Path | None
) -> None:
    if database_url:
        await measure(settings, database_url, sends, profile)
        return
    with tempfile.TemporaryDirectory(prefix="bancone-send-cpu-") as state:
        async with private_postgres(Path(state)) as url:
            await measure(settings, url, sends, profile)


if __name__ == "__main__":
    main()
