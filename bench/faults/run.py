"""`make faults`: the fault matrix, one command.

    uv run --all-packages python -m bench.faults [--quick] [--only NAME ...]
        [--state-dir .bancone/faults] [--port-offset 300] [--no-write]

Starts the private stack (`bench.faults.stack`), then runs the phases of `bench.faults.schedule`
one after another — each a steady load of signed webhooks with one fault injected a third of
the way in — and accounts each phase from what the sandbox received (`bench.faults.accounting`).
The table is printed and, unless `--no-write`, written to docs/reliability.md. Everything it
started is stopped (and the private Kafka and PostgreSQL deleted) however it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bancone_cli.webhooks import build_status_webhook, signed_body
from bancone_devstack.launcher.services import SERVICES
from bench.faults.accounting import Phase, Row, account, reply_times
from bench.faults.injectors import Context, Fault, faults, nothing, until
from bench.faults.load import Customer, Load, Posted
from bench.faults.report import markdown_notes, markdown_table, rich_table
from bench.faults.schedule import FULL, QUICK, PhasePlan, plan
from bench.faults.stack import AGENT_2, REPO, Stack
from bench.harness import console, machine_line, run_main, say

DOC = REPO / "docs" / "reliability.md"
SERVICE_NAMES = tuple(svc.name for svc in SERVICES)
QUIET_SECONDS = 30.0
"""A phase is settled when every customer has a reply, or nothing new arrived this long."""
LATE_COPY_SECONDS = 4.0
"""Waited after settling, so a copy sent again a moment later is counted too."""


async def sandbox_messages(ctx: Context) -> list[dict[str, Any]]:
    response = await ctx.client.get(
        ctx.sandbox("/sandbox/messages"),
        params={"phone_number_id": ctx.stack.env["BANCONE_DEMO_PHONE_NUMBER_ID"]},
        timeout=60,
    )
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    for message in messages:
        message["received_unix"] = datetime.fromisoformat(str(message["received_at"])).timestamp()
    return messages


async def accepted(ctx: Context) -> int:
    stats = (await ctx.client.get(ctx.sandbox("/sandbox/stats"))).json()
    return int(stats.get("accepted", 0))


async def settle(ctx: Context, count: int) -> None:
    """Until the sandbox accepted `count` more messages than at the phase's start, or nothing
    new arrived for QUIET_SECONDS."""
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < QUIET_SECONDS:
        now = await accepted(ctx)
        if now >= count:
            break
        if now != last:
            last, quiet_since = now, time.monotonic()
        await asyncio.sleep(0.5)
    await asyncio.sleep(LATE_COPY_SECONDS)


async def post_stale_statuses(ctx: Context, replies: Sequence[dict[str, Any]]) -> None:
    """After the sandbox's own sent → delivered → read, Meta's late `delivered` and `sent`
    (out of order): the notifier must keep `read`."""
    stack = ctx.stack
    url = stack.urls["gateway"] + "/webhooks/whatsapp"
    phone, secret = stack.env["BANCONE_DEMO_PHONE_NUMBER_ID"], stack.env["BANCONE_DEMO_APP_SECRET"]
    await asyncio.sleep(2.0)  # the sandbox posts its statuses 0.2 s apart
    for message in replies:
        for status in ("delivered", "sent"):
            payload = build_status_webhook(phone, str(message["id"]), str(message["to"]), status)
            body, headers = signed_body(payload, secret)
            await ctx.client.post(url, content=body, headers=headers)
    await asyncio.sleep(3.0)
    wamids = [str(m["id"]) for m in replies]
    states = await stack.notifier_states(wamids)
    counted: dict[str, int] = {}
    for state in states.values():
        counted[state] = counted.get(state, 0) + 1
    regressed = sum(1 for w in wamids if states.get(w) not in ("read", None))
    ctx.notes.append(
        f"late delivered+sent posted for {len(wamids)} replies; notifier states after: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counted.items()))
        + f" ({regressed} not read)"
    )


async def unknown_customers(ctx: Context, customers: set[str]) -> list[str]:
    rows = await ctx.stack.notifier_rows("unknown")
    return [customer for customer, _ in rows if customer in customers]


async def run_phase(ctx: Context, load: Load, phase: PhasePlan, fault: Fault) -> Row:
    say(f"[bold]{phase.name}[/]: {phase.messages} messages at {phase.rate:g}/s")
    ctx.notes.clear()
    await ctx.client.delete(ctx.sandbox("/sandbox/messages"))
    base = await accepted(ctx)
    posted: list[Posted] = []
    lead_posted = asyncio.Event()
    posting = asyncio.create_task(
        load.run(
            phase.messages,
            phase.rate,
            copies=fault.copies,
            lead=phase.lead,
            lead_posted=lead_posted,
            on_posted=posted,
        )
    )
    fault_at = fault_until = None
    try:
        await asyncio.wait(
            [posting, asyncio.create_task(lead_posted.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        if fault.inject is not nothing:
            fault_at = time.monotonic()
            try:
                await fault.inject(ctx)
                await fault.lift(ctx)
            except Exception as error:
                ctx.notes.append(f"fault step failed: {type(error).__name__}: {error}")
            fault_until = time.monotonic()
        await posting
        await load.drain()
    finally:
        if not posting.done():
            posting.cancel()
        await load.cancel()
    await settle(ctx, base + len(posted))
    customers = {p.wa_id for p in posted}
    messages = await sandbox_messages(ctx)
    to_monotonic = time.monotonic() - time.time()
    replies = reply_times(messages, to_monotonic, customers)
    if fault.stale_statuses:
        try:
            await post_stale_statuses(ctx, [m for m in messages if str(m.get("to")) in customers])
        except (httpx.HTTPError, OSError, asyncpg.PostgresError) as error:
            ctx.notes.append(f"status check failed: {type(error).__name__}: {error}")
    unknown = await unknown_customers(ctx, customers)
    refused = sum(1 for p in posted for s in p.statuses if s != 200)
    if refused:
        ctx.notes.append(f"gateway refused {refused} post(s) (Meta posted them again)")
    if unknown:
        seen = await ctx.stack.agent_record(unknown)
        ctx.notes.append(
            f"{len(unknown)} reply(ies) recorded `unknown` by the notifier; the agent's record "
            "of them (delivery status/conversation state): "
            + ", ".join(f"{k} {v}" for k, v in sorted(seen.items()))
        )
    row = account(
        Phase(phase.name, [p.as_sent() for p in posted], fault_at, fault_until), replies, unknown
    )
    style = "green" if row.clean else "bold red"
    say(
        f"[{style}]{phase.name}: sent {row.sent}, answered {row.answered}, lost {row.lost}, "
        f"duplicated {row.duplicated}, unknown {row.unknown}[/]"
        + (f" — {'; '.join(ctx.notes)}" if ctx.notes else "")
    )
    return row


async def restart_services(ctx: Context) -> str:
    """After a phase that lost or duplicated messages, a rolling restart of every service, so
    the next phase measures its own fault and not this one's leftovers."""
    names = [*SERVICE_NAMES, AGENT_2]
    before = {name: ctx.stack.supervisor.restart_count(name) for name in names}
    for name in names:
        ctx.stack.terminate(name)
    for name in names:

        async def restarted(name: str = name) -> bool:
            return ctx.stack.supervisor.restart_count(name) > before[name]

        await until(restarted, 120, f"{name} restarted")
        await ctx.stack.wait_ready(name, 180)
    say("[yellow]every service restarted (SIGTERM) after a phase with losses[/]")
    return "every service restarted (SIGTERM) after this phase, so the next starts clean"


def write_doc(rows: Sequence[Row], notes: dict[str, list[str]], args: argparse.Namespace) -> None:
    command = "make faults" + (" FAULTS_ARGS=--quick" if args.quick else "")
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    start, end = "<!-- faults:table -->", "<!-- /faults:table -->"
    block = (
        f"{start}\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`; "
        f"{machine_line()}.\n\n{markdown_table(rows)}\n\nWhat each phase observed:\n\n"
        f"{markdown_notes(notes) or '- nothing beyond the counts'}\n{end}"
    )
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = (text or "# Reliability: the fault matrix\n\n") + "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    say(f"written to {DOC.relative_to(REPO)}")


async def main(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    phases = plan(sizes, tuple(args.only))
    catalog = faults(sizes.hold)
    stack = Stack(args.state_dir, args.port_offset, console)
    rows: list[Row] = []
    notes: dict[str, list[str]] = {}
    say(machine_line())
    try:
        await stack.start(seconds=300)
        async with httpx.AsyncClient(timeout=30) as client:
            ctx = Context(stack, client)
            customer = Customer(
                stack.urls["gateway"] + "/webhooks/whatsapp",
                stack.env["BANCONE_DEMO_PHONE_NUMBER_ID"],
                stack.env["BANCONE_DEMO_APP_SECRET"],
            )
            for index, phase in enumerate(phases):
                load = Load(client, customer, prefix=f"{index:02d}")
                row = await run_phase(ctx, load, phase, catalog[phase.name])
                rows.append(row)
                notes[phase.name] = list(ctx.notes)
                if not row.clean and index < len(phases) - 1:
                    notes[phase.name].append(await restart_services(ctx))
                restarts = stack.supervisor.restarts
                if restarts:
                    notes[phase.name].append(
                        "restarts so far: "
                        + ", ".join(
                            f"{name} {stack.supervisor.restart_count(name)}"
                            for name in sorted({r.name for r in restarts})
                        )
                    )
    finally:
        if rows:
            console.print(rich_table(rows))
            if not args.no_write:
                write_doc(rows, notes, args)
        await asyncio.shield(stack.stop())
    return 0 if rows and all(row.clean for row in rows) else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, to try it")
    parser.add_argument("--only", nargs="*", default=[], help="phases whose name contains one")
    parser.add_argument("--state-dir", default=str(REPO / ".bancone" / "faults"))
    parser.add_argument("--port-offset", type=int, default=300)
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def cli(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.state_dir = Path(args.state_dir).resolve()
    return run_main(lambda: main(args))
