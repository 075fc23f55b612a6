"""Campaign pacing bench: a marketing campaign through the notifier's send path against the
sandbox with Meta's throughput (130429) and pair-rate (131056) rules on, while customers keep
asking questions.

    uv run --all-packages python services/notifier/bench/campaign_pacing.py
        [--recipients 10000] [--tier 80] [--replies 30] [--port-offset 800]
        [--state-dir .bancone/bench-campaign]

Starts `deploy/local/run.py` (its own Kafka, SQLite, offline assistant) and sets the sandbox's
rules: `number_rate_per_second = tier`, `pair_interval_seconds = 6`. A MARKETING template is
registered for the demo WABA and 2 % of the recipients opt out (WhatsApp's `user_preferences`
stop, through the notifier's own handler). Then:

1. baseline: `--replies` customers ask a product question, one a second, no campaign;
2. campaign: this process is a second notifier replica: it sends one marketing template to each
   recipient through `handle_outbound_requested` (the use case the notifier's Kafka consumer
   calls) at campaign priority, with a `DatabasePacer` on the notifier's own database — the
   running notifier paces its conversation replies through the same rows — while the same
   number of new customers ask questions, one a second.

The campaign API (issue 13, H7) is not on this branch, so the campaign is driven through the
send path directly; the lead switches it to the campaign API after merging. Reported: send
rate measured at the sandbox, the most sends in any one second, 130429/131056 refusals, the
duplicates, sends to opted-out customers, and reply latency (webhook → reply in the sandbox)
p50/p95 without and during the campaign. Measures and prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import sqlalchemy as sa
from rich import box
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # `bench` as a package
from bancone_cli.runenv import parse_env_text
from bancone_contracts.events.outbound import (
    OutboundMessage,
    OutboundMessageRequested,
    OutboundTemplate,
    TemplateComponent,
    TemplateParameter,
)
from bancone_contracts.events.whatsapp_update import (
    MarketingPreference,
    WhatsAppUpdateData,
    WhatsAppUpdateReceived,
)
from bancone_kit.clock import utcnow
from bancone_kit.crypto import Keyring, Sealed, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.logging import configure_logging
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters.graph import HttpxGraphApi, Paced, send_with_retries
from bancone_notifier.adapters.pacer import DatabasePacer
from bancone_notifier.adapters.tables import (
    ChannelRecord,
    OutboundMessageRecord,
    PacingNumberRecord,
)
from bancone_notifier.bootstrap import pacing_limits
from bancone_notifier.consent_handlers import ComplianceRules, handle_whatsapp_update
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.bodies import send_body
from bancone_notifier.domain.sending import SendOutcome
from bancone_notifier.outbound_sending import handle_outbound_requested
from bancone_notifier.settings import NotifierSettings
from bench.harness import (
    LLM_VARIABLES,
    RunEnv,
    console,
    machine_line,
    run_main,
    running_platform,
    say,
)
from bench.questions import QUESTIONS
from bench.traffic import SandboxWatcher, Sent, post_text

TEMPLATE = "bench_new_offer"
GRAPH_VERSION = "v25.0"
OUTBOUND: sa.Table = OutboundMessageRecord.__table__  # type: ignore[attr-defined]
OPTED_OUT_EVERY = 50
"""One recipient in 50 (2 %) has opted out before the campaign."""


class ReplyWatcher(SandboxWatcher):
    """Polls only the pending customers' messages (`?to=`): listing every message of the
    number, as the shared watcher does, would mean 10,000 campaign messages a poll."""

    async def _run(self) -> None:
        base = self.env.sandbox_url
        while True:
            await asyncio.sleep(self.interval)
            for wa_id in list(self.pending):
                try:
                    response = await self.client.get(
                        f"{base}/sandbox/messages", params={"to": wa_id}
                    )
                    response.raise_for_status()
                except httpx.HTTPError as error:
                    say(f"[yellow]sandbox poll failed: {error!r}[/]")
                    continue
                self._resolve(response.json())


async def ask_paced(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    customers: list[str],
    within: float,
    keep_going: asyncio.Event | None = None,
) -> list[Sent]:
    """One new customer a second asks a question; stop early when `keep_going` is cleared."""

    async def one(index: int, wa_id: str) -> Sent:
        sent, replied = await post_text(
            client, env, watcher, wa_id, QUESTIONS[index % len(QUESTIONS)]
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(replied, within)
        return sent

    tasks = []
    for index, wa_id in enumerate(customers):
        if keep_going is not None and not keep_going.is_set():
            break
        tasks.append(asyncio.create_task(one(index, wa_id)))
        await asyncio.sleep(1.0)
    return list(await asyncio.gather(*tasks))


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def most_in_any_second(times: list[float]) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def template_event(tenant_id: str, phone_number_id: str, wa_id: str) -> OutboundMessageRequested:
    content = OutboundTemplate(
        name=TEMPLATE,
        language_code="it",
        category="marketing",
        components=(
            TemplateComponent(type="body", parameters=(TemplateParameter(value=f"C{wa_id[-4:]}"),)),
        ),
    )
    data = OutboundMessage(
        customer_id=wa_id, to=wa_id, phone_number_id=phone_number_id, sender="ai", content=content
    )
    return OutboundMessageRequested.new(tenant_id=tenant_id, source="campaign-bench", data=data)


def opt_out_event(tenant_id: str, phone_number_id: str, wa_id: str) -> WhatsAppUpdateReceived:
    update = MarketingPreference(
        phone_number_id=phone_number_id,
        customer_wa_id=wa_id,
        category="marketing_messages",
        value="stop",
        timestamp=utcnow(),
    )
    return WhatsAppUpdateReceived.new(
        tenant_id=tenant_id, source="gateway", data=WhatsAppUpdateData(update=update)
    )


async def wait_for_channel(deps: NotifierDeps, phone_number_id: str) -> ChannelRecord:
    for _ in range(600):
        async with deps.sessions() as session:
            channel = await session.get(ChannelRecord, phone_number_id)
        if channel is not None and channel.access_token_ciphertext:
            return channel
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the notifier never learned channel {phone_number_id}")


async def run_campaign(
    deps: NotifierDeps,
    env: RunEnv,
    recipients: list[str],
    workers: int,
    pacer_only: str | None = None,
) -> tuple[list[OutboundMessageRequested], float, float]:
    """Each recipient's message through the notifier's send use case; with `pacer_only` (the
    channel's access token), only the pacer and the Graph call — no claim, consent or record —
    to see the pacer's own rate when the machine has too little CPU for the whole use case."""
    events = [template_event(env.tenant_id, env.phone_number_id, wa) for wa in recipients]
    queue: asyncio.Queue[OutboundMessageRequested] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)

    async def worker() -> None:
        while True:
            try:
                event = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if pacer_only is None:
                await handle_outbound_requested(event, deps)
                continue
            if event.data.to in opted_out_here:
                continue  # the use case would refuse it (131050); this path has no consent check
            message = event.data
            body = send_body(message)

            async def send(m: OutboundMessage = message, b: dict[str, Any] = body) -> SendOutcome:
                return await deps.graph.send_message(m.phone_number_id, pacer_only, b)

            paced = Paced(deps.pacer, message.phone_number_id, message.to or "", "campaign")
            await send_with_retries(send, deps.send_retry, paced)

    opted_out_here = set(recipients[::OPTED_OUT_EVERY])
    started = time.time()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return events, started, time.time()


REPO = Path(__file__).resolve().parents[3]


@contextlib.asynccontextmanager
async def private_postgres(state: Path) -> AsyncIterator[str]:
    """A throwaway PostgreSQL (`deploy/local/postgres.sh`) for the notifier of this run: two
    processes pacing through one SQLite file wait on its file lock (busy timeouts), which
    measures SQLite, not the pacer; production runs on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k != "BANCONE_TEST_POSTGRES_URL"}
    env["BANCONE_POSTGRES_DIR"] = str(state)
    script = str(REPO / "deploy" / "local" / "postgres.sh")
    started = await asyncio.create_subprocess_exec(
        "bash", script, "start", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await started.communicate()
    if started.returncode != 0:
        raise RuntimeError(f"postgres.sh start exited with {started.returncode}")
    url = out.decode().strip().splitlines()[-1]
    say(f"private PostgreSQL for the notifier: {url}")
    try:
        yield url
    finally:
        stopped = await asyncio.create_subprocess_exec("bash", script, "stop", env=env)
        await asyncio.shield(stopped.wait())


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]services/notifier/bench/campaign_pacing.py[/]")
    say(f"machine at start: {machine_line()}")
    run = f"{int(time.time()) % 100000:05d}"
    recipients = [f"38{run}{index:05d}" for index in range(args.recipients)]
    opted_out = set(recipients[::OPTED_OUT_EVERY])
    async with contextlib.AsyncExitStack() as stack:
        database_url = None
        if args.database == "postgres":
            database_url = await stack.enter_async_context(
                private_postgres(Path(f"{args.state_dir}-postgres"))
            )
        return await measure(args, run, recipients, opted_out, database_url)


async def measure(
    args: argparse.Namespace,
    run: str,
    recipients: list[str],
    opted_out: set[str],
    database_url: str | None,
) -> int:
    extra_env = {"BANCONE_NOTIFIER_DATABASE_URL": database_url} if database_url else {}
    async with (
        running_platform(
            Path(args.state_dir),
            args.port_offset,
            unset=LLM_VARIABLES,
            fresh=True,
            extra_env=extra_env,
        ) as platform,
        httpx.AsyncClient(
            timeout=30.0, limits=httpx.Limits(max_connections=200, max_keepalive_connections=100)
        ) as client,
    ):
        env = platform.env
        secrets = parse_env_text((platform.state / "secrets.env").read_text())
        engine = create_engine(
            database_url or f"sqlite:///{platform.state / 'data' / 'notifier.sqlite'}"
        )
        sessions = session_factory(engine)
        # The pacing settings as the running notifier has them (its defaults), at this tier.
        settings = NotifierSettings.model_construct(pacing_tier_per_second=args.tier)
        replica_log = platform.state / "logs" / "campaign-replica.log"
        replica_log.parent.mkdir(parents=True, exist_ok=True)
        configure_logging(settings, stream=stack_file(replica_log))
        pacer = DatabasePacer(sessions, pacing_limits(settings))
        deps = NotifierDeps(
            sessions=sessions,
            graph=HttpxGraphApi(client, env.sandbox_url, GRAPH_VERSION),
            channel_box=SecretBox(Keyring.parse(secrets["BANCONE_CHANNEL_KEYRING"])),
            send_retry=RetryPolicy(attempts=5, initial_delay=0.5, max_delay=10.0, jitter=0.5),
            rules=ComplianceRules(),
            pacer=pacer,
            number_backoff_seconds=settings.pacing_number_backoff_seconds,
            pair_backoff_seconds=settings.pacing_pair_interval_seconds,
        )
        channel = await wait_for_channel(deps, env.phone_number_id)
        token = deps.channel_box.open_parts(_sealed(channel), channel.phone_number_id)
        if not args.with_statuses:
            await without_status_webhooks(client, env, token)
        rules = {"number_rate_per_second": args.tier, "pair_interval_seconds": 6.0}
        (await client.put(f"{env.sandbox_url}/sandbox/rules", json=rules)).raise_for_status()
        created = await client.post(
            f"{env.sandbox_url}/{GRAPH_VERSION}/{channel.waba_id}/message_templates",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "name": TEMPLATE,
                "language": "it",
                "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Ciao {{1}}, nuove offerte in enoteca!"}],
            },
        )
        created.raise_for_status()
        async with sessions() as session, session.begin():
            # The number's own tier (the per-number override): both replicas pace at it.
            await (await session.connection()).execute(
                sa.insert(PacingNumberRecord.__table__).values(  # type: ignore[attr-defined]
                    phone_number_id=env.phone_number_id,
                    next_slot_at=0.0,
                    blocked_until=0.0,
                    tier_per_second=args.tier,
                    updated_at=utcnow(),
                )
            )
        for wa_id in sorted(opted_out):
            await handle_whatsapp_update(
                opt_out_event(env.tenant_id, env.phone_number_id, wa_id), deps
            )
        say(
            f"sandbox rules {rules}; template {TEMPLATE} approved; "
            f"{len(opted_out)} of {len(recipients)} recipients opted out"
        )

        async with ReplyWatcher(client, env, interval=0.05) as watcher:
            warm = await ask_paced(client, env, watcher, [f"39{run}9000"], args.reply_timeout)
            say(f"warm-up reply: {warm[0].latency}")
            say(f"baseline: {args.replies} customers, one a second, no campaign")
            baseline = await ask_paced(
                client, env, watcher, [f"39{run}1{i:03d}" for i in range(args.replies)],
                args.reply_timeout,
            )  # fmt: skip
            say(f"campaign: {len(recipients)} recipients, tier {args.tier}/s, replies meanwhile")
            running = asyncio.Event()
            running.set()
            campaign = asyncio.create_task(
                run_campaign(
                    deps,
                    env,
                    recipients,
                    args.workers,
                    token if args.send_path == "pacer" else None,
                ),
                name="campaign",
            )
            campaign.add_done_callback(lambda _t: running.clear())
            await asyncio.sleep(2.0)
            during = await ask_paced(
                client, env, watcher, [f"39{run}2{i:03d}" for i in range(args.replies)],
                args.reply_timeout, running,
            )  # fmt: skip
            events, started, ended = await campaign
        await pacer.drain()

        messages = (
            await client.get(
                f"{env.sandbox_url}/sandbox/messages",
                params={"phone_number_id": env.phone_number_id},
            )
        ).json()
        compliance = (await client.get(f"{env.sandbox_url}/sandbox/compliance")).json()
        ids = [event.data.outbound_id for event in events]
        async with sessions() as session:
            rows = (
                await (await session.connection()).execute(
                    sa.select(OUTBOUND.c.state, OUTBOUND.c.error_code, OUTBOUND.c.attempts).where(
                        OUTBOUND.c.outbound_id.in_(ids)
                    )
                )
            ).all()
        await engine.dispose()
        load = machine_line()

    report(args, recipients, opted_out, messages, compliance, rows, baseline, during)
    console.print(
        f"campaign wall time {ended - started:.1f}s; leased slots dropped unused: "
        f"{pacer.dropped_slots}; number-row writes by the bench replica: {pacer.number_writes}"
    )
    console.print(
        f"service logs (and the bench replica's, campaign-replica.log): {platform.state / 'logs'}"
    )
    console.print(
        f"status webhooks: {'on' if args.with_statuses else 'off (--with-statuses)'}; "
        f"bench replica: {args.workers} concurrent sends through the {args.send_path} path; "
        f"notifier database: {args.database}"
    )
    console.print(f"machine at end: {load}")
    return 0


async def without_status_webhooks(client: httpx.AsyncClient, env: RunEnv, token: str) -> None:
    """Re-register the demo channel in the sandbox without sent/delivered/read webhooks: 80
    sends/s make 240 status webhooks/s through gateway, Kafka and notifier, and on the shared
    2-core machine that CPU, not the pacer, set the rate (`--with-statuses` keeps them)."""
    listed = (await client.get(f"{env.sandbox_url}/sandbox/channels")).json()
    ours = next(c for c in listed if c["phone_number_id"] == env.phone_number_id)
    response = await client.post(
        f"{env.sandbox_url}/sandbox/channels",
        json={
            **ours,
            "access_token": token,
            "app_secret": env.app_secret,
            "status_webhooks": False,
        },
    )
    response.raise_for_status()


def stack_file(path: Path) -> TextIO:
    """The bench replica's log (the notifier's lines, one per message): kept out of the table."""
    return path.open("a", encoding="utf-8")


def _sealed(channel: ChannelRecord) -> Sealed:
    assert channel.key_id is not None
    assert channel.access_token_ciphertext is not None
    return Sealed(channel.key_id, channel.access_token_ciphertext)


def report(
    args: argparse.Namespace,
    recipients: list[str],
    opted_out: set[str],
    messages: list[dict[str, Any]],
    compliance: dict[str, Any],
    rows: Sequence[Any],
    baseline: list[Sent],
    during: list[Sent],
) -> None:
    wanted = set(recipients)
    sent = [m for m in messages if m.get("type") == "template" and str(m.get("to")) in wanted]
    times = [datetime.fromisoformat(m["received_at"]).timestamp() for m in sent]
    per_recipient = Counter(str(m["to"]) for m in sent)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    to_opted_out = sum(1 for wa in per_recipient if wa in opted_out)
    refusals = Counter(int(r["code"]) for r in compliance.get("refusals", []))
    span = (max(times) - min(times)) if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    states = Counter((row.state, row.error_code) for row in rows)
    retried = sum(1 for row in rows if (row.attempts or 0) > 1)

    table = Table(
        title=f"Campaign of {len(recipients)} at a tier of {args.tier:g}/s", box=box.MARKDOWN
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        "marketing sends accepted by the sandbox", f"{len(sent)}", f"{len(wanted - opted_out)}"
    )
    table.add_row(
        "send rate, first to last (msg/s)", f"{rate:.1f}", f"{args.tier * 0.95:.0f}-{args.tier:.0f}"
    )
    table.add_row("most sends in any 1 s", f"{most_in_any_second(times)}", f"≤ {args.tier:g}")
    table.add_row("130429 refusals (throughput)", f"{refusals.get(130429, 0)}", "0")
    table.add_row("131056 refusals (pair rate)", f"{refusals.get(131056, 0)}", "0")
    table.add_row("duplicates (recipients sent twice)", f"{duplicates}", "0")
    table.add_row("sends to opted-out recipients", f"{to_opted_out}", "0")
    table.add_row(
        "refused by the notifier as opted out (131050)",
        f"{states.get(('failed', 131050), 0)}",
        f"{len(opted_out)}",
    )
    table.add_row("messages that needed a retry", f"{retried}", "0")
    console.print()
    console.print(table)
    delivered = ("accepted", "sent", "delivered", "read")
    other = {f"{s}/{c}": n for (s, c), n in states.items() if s not in delivered and c != 131050}
    if other:
        console.print(f"other outcomes in the notifier: {other}")

    latency = Table(title="Conversation replies (webhook → reply in the sandbox)", box=box.MARKDOWN)
    for column in ("run", "asked", "answered", "p50 ms", "p95 ms", "max ms"):
        latency.add_column(column, justify="right" if column != "run" else "left")
    for label, batch in (("no campaign", baseline), ("during the campaign", during)):
        values = [s.latency for s in batch if s.latency is not None]
        cells = [percentile(values, 50), percentile(values, 95), max(values, default=None)]
        latency.add_row(
            label,
            str(len(batch)),
            str(len(values)),
            *("-" if v is None else f"{v * 1000:,.0f}" for v in cells),
        )
    console.print()
    console.print(latency)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--tier", type=float, default=80.0)
    parser.add_argument("--replies", type=int, default=30, help="questions per phase (30)")
    parser.add_argument("--workers", type=int, default=48, help="concurrent campaign sends")
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument("--port-offset", type=int, default=800)
    parser.add_argument(
        "--send-path",
        choices=("handler", "pacer"),
        default="handler",
        help="handler: the notifier's send use case (claim, consent, pacer, Graph, record); "
        "pacer: only the pacer and the Graph call, to see the pacer's rate on a starved machine",
    )
    parser.add_argument(
        "--with-statuses",
        action="store_true",
        help="keep the sandbox's status webhooks (3 per message) during the run",
    )
    parser.add_argument(
        "--database",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="the notifier's database: a private PostgreSQL (default) or run.py's SQLite",
    )
    parser.add_argument(
        "--state-dir",
        default=str(Path(__file__).resolve().parents[3] / ".bancone" / "bench-campaign"),
    )
    args = parser.parse_args()
    return run_main(lambda: bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
