"""Campaign pacing bench: a real campaign through the notifier's campaign API, sent by the
notifier's own runner against the sandbox with Meta's throughput (130429) and pair-rate
(131056) rules on, while customers keep asking questions.

    uv run --all-packages python services/notifier/bench/campaign_pacing.py
        [--recipients 10000] [--tier 80] [--replies 30] [--port-offset 800]
        [--state-dir .bancone/bench-campaign] [--database postgres|sqlite] [--with-statuses]

Starts `deploy/local/run.py` (its own Kafka, offline assistant; the notifier on a private
PostgreSQL unless `--database sqlite`) and sets the sandbox's rules:
`number_rate_per_second = tier`, `pair_interval_seconds = 6`. A MARKETING template is
registered for the demo WABA; every recipient opts in (the notifier's `record_opt_in` use case,
as a web form would), 2 % opt out before the campaign (WhatsApp's `user_preferences` stop) and
1 % more while it runs. Then:

1. baseline: `--replies` customers ask a product question, one a second, no campaign;
2. campaign: the owner logs in at the gateway and posts the campaign (explicit list of every
   recipient, send now) to `/v1/tenants/{t}/campaigns`; the running notifier's runner sends it,
   pacing through its database, while the same number of new customers ask questions, one a
   second, answered through the same pacer at reply priority.

Reported: send rate measured at the sandbox, the most sends in any one second, 130429/131056
refusals, duplicates, sends to opted-out customers (after their opt-out was recorded), the
campaign's own final report, and reply latency (webhook → reply in the sandbox) p50/p95
without and during the campaign. Measures and prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # `bench` as a package
from bancone_cli.operator_login import log_in_async
from bancone_cli.runenv import parse_env_text
from bancone_contracts.events.whatsapp_update import (
    MarketingPreference,
    WhatsAppUpdateData,
    WhatsAppUpdateReceived,
)
from bancone_kit.clock import utcnow
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.logging import configure_logging
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters.graph import HttpxGraphApi
from bancone_notifier.consent_handlers import (
    ComplianceRules,
    RecordOptIn,
    handle_whatsapp_update,
    record_opt_in,
)
from bancone_notifier.deps import NotifierDeps
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
from services.notifier.bench.campaign_report import Outcome, print_report
from services.notifier.bench.campaign_setup import (
    extra_notifier_replicas,
    notifier_ports,
    pacing_counters,
    private_postgres,
    sealed_token,
    set_tier,
    wait_for_channel,
    without_status_webhooks,
)

TEMPLATE = "bench_new_offer"
GRAPH_VERSION = "v25.0"
OPTED_OUT_EVERY = 50
"""One recipient in 50 (2 %) has opted out before the campaign."""
OPTS_OUT_DURING_EVERY = 100
"""One in 100 (1 %, from the second half of the list) opts out while the campaign runs."""


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


async def opt_in_everyone(deps: NotifierDeps, tenant_id: str, recipients: list[str]) -> None:
    """Each recipient's opt-in through the notifier's use case (as a web form records it)."""
    queue = list(recipients)

    async def worker() -> None:
        while queue:
            wa_id = queue.pop()
            proof = f"bench form {wa_id}"
            command = RecordOptIn(tenant_id, wa_id, "web_form", proof, utcnow(), uuid.uuid4())
            await record_opt_in(command, deps)

    await asyncio.gather(*(worker() for _ in range(8)))


async def opt_out_during(
    deps: NotifierDeps, env: RunEnv, customers: list[str], running: asyncio.Event
) -> dict[str, float]:
    """While the campaign runs, these customers opt out one by one (each recorded before its
    time is noted): the notifier must not send them the campaign after that."""
    recorded: dict[str, float] = {}
    for wa_id in customers:
        if not running.is_set():
            break
        await handle_whatsapp_update(opt_out_event(env.tenant_id, env.phone_number_id, wa_id), deps)
        recorded[wa_id] = time.time()
        await asyncio.sleep(0.2)
    return recorded


def campaign_body(env: RunEnv, recipients: list[str]) -> dict[str, Any]:
    return {
        "name": "Bench: nuove offerte",
        "phone_number_id": env.phone_number_id,
        "template": {
            "name": TEMPLATE,
            "language": "it",
            "category": "marketing",
            "variables": [{"field": "name", "fallback": "cliente"}],
            "placeholders": 1,
        },
        "segment": {"customers": recipients},
        "send_now": True,
    }


async def until_finished(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], longest: float
) -> dict[str, Any]:
    """Poll the campaign every 5 s, as the console does, until completed (or cancelled);
    print its progress every 10 s. (Every second, the progress reads cost the notifier ~5 %
    of a core: a grouped count over the recipients each time.) The send rate is read from
    the sandbox's own timestamps, not from these polls."""
    deadline = time.monotonic() + longest
    shown = 0.0
    while True:
        try:
            found: dict[str, Any] = (await client.get(url, headers=headers)).json()
        except httpx.HTTPError as error:  # e.g. a keep-alive connection the server just closed
            say(f"[yellow]campaign poll failed, again in 1 s: {error!r}[/]")
            await asyncio.sleep(1.0)
            continue
        if found["state"] in ("completed", "cancelled") or time.monotonic() > deadline:
            return found
        if time.monotonic() - shown > 10:
            say(f"campaign {found['state']}: {found.get('counts')}")
            shown = time.monotonic()
        await asyncio.sleep(5.0)


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]services/notifier/bench/campaign_pacing.py[/]")
    say(f"machine at start: {machine_line()}")
    run = f"{int(time.time()) % 100000:05d}"
    recipients = [f"38{run}{index:05d}" for index in range(args.recipients)]
    async with contextlib.AsyncExitStack() as stack:
        database_url = None
        if args.database == "postgres":
            database_url = await stack.enter_async_context(
                private_postgres(Path(f"{args.state_dir}-postgres"))
            )
        return await measure(args, run, recipients, database_url)


async def measure(
    args: argparse.Namespace, run: str, recipients: list[str], database_url: str | None
) -> int:
    extra_env = {"BANCONE_NOTIFIER_DATABASE_URL": database_url} if database_url else {}
    opted_out = set(recipients[::OPTED_OUT_EVERY])
    leaving = [
        wa
        for wa in recipients[len(recipients) // 2 + 1 :: OPTS_OUT_DURING_EVERY]
        if wa not in opted_out
    ]
    async with (
        running_platform(
            Path(args.state_dir), args.port_offset, unset=LLM_VARIABLES, fresh=True,
            extra_env=extra_env,
        ) as platform,
        httpx.AsyncClient(
            timeout=60.0, limits=httpx.Limits(max_connections=100, max_keepalive_connections=50)
        ) as client,
        contextlib.AsyncExitStack() as replicas,
    ):  # fmt: skip
        env = platform.env
        secrets = parse_env_text((platform.state / "secrets.env").read_text())
        engine = create_engine(
            database_url or f"sqlite:///{platform.state / 'data' / 'notifier.sqlite'}"
        )
        sessions = session_factory(engine)
        settings = NotifierSettings.model_construct()
        configure_logging(settings, stream=log_file(platform.state / "logs" / "bench.log"))
        # The bench's own use of the notifier's use cases: consent only (it sends nothing).
        deps = NotifierDeps(
            sessions=sessions,
            graph=HttpxGraphApi(client, env.sandbox_url, GRAPH_VERSION),
            channel_box=SecretBox(Keyring.parse(secrets["BANCONE_CHANNEL_KEYRING"])),
            send_retry=RetryPolicy(attempts=1, initial_delay=0.1, max_delay=0.1),
            rules=ComplianceRules(),
        )
        channel = await wait_for_channel(deps, env.phone_number_id)
        token = sealed_token(deps, channel)
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
                "components": [
                    {
                        "type": "BODY",
                        "text": "Ciao {{1}}, nuove offerte in enoteca!",
                        "example": {"body_text": [["Giulia"]]},
                    }
                ],
            },
        )
        created.raise_for_status()
        await set_tier(sessions, env.phone_number_id, args.tier)
        if args.notifier_replicas > 1:
            if database_url is None:
                raise SystemExit("--notifier-replicas needs --database postgres")
            await replicas.enter_async_context(
                extra_notifier_replicas(
                    platform.state / "logs", database_url, args.notifier_replicas - 1
                )
            )
        started = time.monotonic()
        await opt_in_everyone(deps, env.tenant_id, recipients)
        for wa_id in sorted(opted_out):
            await handle_whatsapp_update(
                opt_out_event(env.tenant_id, env.phone_number_id, wa_id), deps
            )
        say(
            f"sandbox rules {rules}; template {TEMPLATE} approved; {len(recipients)} opted in "
            f"({time.monotonic() - started:.0f}s), {len(opted_out)} opted out before, "
            f"{len(leaving)} will opt out during the campaign"
        )
        admin = {
            "Authorization": "Bearer "
            + await log_in_async(client, env.gateway_url, env.owner_email, env.owner_password)
        }
        campaigns = f"{env.gateway_url}/v1/tenants/{env.tenant_id}/campaigns"

        async with ReplyWatcher(client, env, interval=0.05) as watcher:
            warm = await ask_paced(client, env, watcher, [f"39{run}9000"], args.reply_timeout)
            say(f"warm-up reply: {warm[0].latency}")
            say(f"baseline: {args.replies} customers, one a second, no campaign")
            baseline = await ask_paced(
                client, env, watcher, [f"39{run}1{i:03d}" for i in range(args.replies)],
                args.reply_timeout,
            )  # fmt: skip
            say(f"campaign: {len(recipients)} recipients, tier {args.tier}/s, replies meanwhile")
            response = await client.post(
                campaigns, json=campaign_body(env, recipients), headers=admin
            )
            if response.status_code != 201:
                raise RuntimeError(f"campaign refused: {response.status_code} {response.text}")
            url = f"{campaigns}/{response.json()['id']}"
            say(f"campaign {response.json()['id']}: audience {response.json()['audience']}")
            running = asyncio.Event()
            running.set()
            finished = asyncio.create_task(until_finished(client, url, admin, args.timeout))
            finished.add_done_callback(lambda _t: running.clear())
            await asyncio.sleep(5.0)  # the middle of the list is reached after ~60 s at 80/s
            leavers = asyncio.create_task(opt_out_during(deps, env, leaving, running))
            during = await ask_paced(
                client, env, watcher, [f"39{run}2{i:03d}" for i in range(args.replies)],
                args.reply_timeout, running,
            )  # fmt: skip
            report = await finished
            opted_out_during = await leavers

        messages = (
            await client.get(
                f"{env.sandbox_url}/sandbox/messages",
                params={"phone_number_id": env.phone_number_id},
            )
        ).json()
        compliance = (await client.get(f"{env.sandbox_url}/sandbox/compliance")).json()
        if database_url is not None:
            ports = notifier_ports(database_url, args.notifier_replicas)
            say("pacing counters:\n" + await pacing_counters(client, ports))
        await engine.dispose()
        load = machine_line()

    print_report(
        Outcome(
            tier=args.tier,
            recipients=recipients,
            opted_out_before=opted_out,
            opted_out_during=opted_out_during,
            messages=messages,
            compliance=compliance,
            campaign=report,
            baseline=baseline,
            during=during,
        )
    )
    console.print(f"service logs: {platform.state / 'logs'}")
    console.print(
        f"status webhooks: {'on' if args.with_statuses else 'off (--with-statuses)'}; "
        f"notifier database: {args.database}"
    )
    console.print(f"machine at end: {load}")
    return 0


def log_file(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--tier", type=float, default=80.0)
    parser.add_argument("--replies", type=int, default=30, help="questions per phase (30)")
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=1800.0, help="longest campaign wait")
    parser.add_argument("--port-offset", type=int, default=800)
    parser.add_argument(
        "--notifier-replicas",
        type=int,
        default=1,
        help="notifier processes (run.py's and more with its settings; PostgreSQL only)",
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
