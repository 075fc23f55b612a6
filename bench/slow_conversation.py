"""One slow conversation must not raise the reply latency of the others (DESIGN.md, Concurrency).

    uv run --all-packages python bench/slow_conversation.py [--state-dir .bancone/bench-slow]
        [--port-offset 400] [--others 30] [--slow-seconds 8] [--rounds 2] [--keep-state]

The platform (`deploy/local/run.py`) runs with the agent on the LLM assistant, the LLM being
a `bancone-scripted-llm` process: its script answers every customer at once with a
`search_products` tool call and then the products found (two model calls per turn, plus
ingest and catalog), except one customer's message, which it answers after `--slow-seconds`.

Each round measures 30 other conversations, one after another (each waits for its reply),
twice: once with nothing else going on (baseline), once while the slow conversation's turn
is in flight. To be sure that turn stays in flight for the whole window, not only for its
8 s, the scripted server also holds it at a gate (`POST /script/hold`) from before it arrives
until the 30 others are answered; then it is released and answered 8 s later. Half of the
other customers are chosen so that their conversation key lands on the slow one's Kafka
partition: the agent's inbound consumer is keyed, so different conversations run at once
even on one partition, while each conversation's own events stay in order. Also printed:
where the time went hop by hop, the services' warnings and errors, and every message's times
in `<state-dir>/slow-conversation.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package, run as a file
from aiokafka.partitioner import murmur2

from bancone_contracts.topics import CONVERSATION_PARTITIONS, conversation_key
from bancone_devstack import (
    Child,
    ExitedBeforeReadyError,
    NotReadyError,
    free_port,
    wait_ready,
)
from bench.harness import (
    REPO,
    RunEnv,
    console,
    machine_line,
    ready_table,
    run_main,
    running_platform,
    say,
    spawn,
    stop,
)
from bench.latencies import (
    Summary,
    latency_table,
    ms,
)
from bench.outcomes import (
    messages_per_customer,
    notifier_states,
    outcome_delta,
    sent_once_line,
    turns_by_outcome,
    write_results,
)
from bench.questions import QUESTIONS
from bench.service_logs import (
    hops,
    log_findings,
    outbound_published,
)
from bench.traffic import (
    SandboxWatcher,
    Sent,
    ask_and_wait,
    ask_sequentially,
    post_text,
)

SLOW_TEXT = "Mi prepari una verticale di Barolo dal 2013 a oggi, annata per annata?"
SLOW_MATCH = "verticale di Barolo"
WARM_UP = ("Ciao! Avete del Chianti?", "Do you have Prosecco?")


def script(slow_seconds: float) -> dict[str, Any]:
    """The scripted LLM: the slow customer's message answered after `slow_seconds`; every
    other one answered at once with a search, then the products the tool returned."""
    return {
        "rules": [
            {
                "role": "user",
                "match": SLOW_MATCH,
                "delay_seconds": slow_seconds,
                "reply": {"content": "Bella richiesta: ci penso con calma e ti rispondo qui."},
            },
            {
                "role": "user",
                "match": ".",
                "reply": {
                    "tool_calls": [
                        {"name": "search_products", "arguments": {"text": "{last_user}"}}
                    ]
                },
            },
            {
                "role": "tool",
                "match": '"products": \\[\\{',
                "reply": {"content": "Ecco cosa ho trovato:\n{tool_lines}"},
            },
            {
                "role": "tool",
                "match": ".",
                "reply": {"content": "Non ho trovato nulla del genere in negozio."},
            },
        ],
        "default": {"content": "Come posso aiutarti?"},
        "models": ["scripted"],
    }


# -- the scripted LLM process ---------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedLlm:
    url: str

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    async def hold(self, client: httpx.AsyncClient) -> None:
        (
            await client.post(f"{self.url}/script/hold", json={"match": SLOW_MATCH})
        ).raise_for_status()

    async def release(self, client: httpx.AsyncClient) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await client.post(f"{self.url}/script/release", json={"match": SLOW_MATCH})

    async def waiting(self, client: httpx.AsyncClient) -> int:
        holds = (await client.get(f"{self.url}/script/holds")).json()
        return sum(int(h["waiting"]) for h in holds if h["match"] == SLOW_MATCH)

    async def requests(self, client: httpx.AsyncClient) -> int:
        return len((await client.get(f"{self.url}/script/requests")).json())


def write_script(state: Path, slow_seconds: float) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    path = state / "scripted-llm.json"
    path.write_text(json.dumps(script(slow_seconds), indent=1, ensure_ascii=False))
    return path


@contextlib.asynccontextmanager
async def scripted_llm(state: Path, slow_seconds: float) -> AsyncIterator[ScriptedLlm]:
    """`bancone-scripted-llm --port P --script FILE` until the block ends (then SIGTERM)."""
    script_file = write_script(state, slow_seconds)
    port = free_port()
    command = str(Path(sys.executable).parent / "bancone-scripted-llm")
    argv = [command, "--port", str(port), "--script", str(script_file)]
    child: Child = await spawn("scripted LLM", argv, os.environ, state / "scripted-llm.log")
    llm = ScriptedLlm(f"http://127.0.0.1:{port}")
    try:
        try:
            await wait_ready(child, f"{llm.url}/healthz", deadline_seconds=30, poll=0.1)
        except (ExitedBeforeReadyError, NotReadyError):
            raise RuntimeError(f"the scripted LLM did not start: see {child.log}") from None
        say(f"scripted LLM on {llm.base_url} (script: {script_file})")
        yield llm
    finally:
        await asyncio.shield(stop(child, 10.0))
        say("scripted LLM stopped")


# -- customers ------------------------------------------------------------------------------


def partition_of(tenant_id: str, wa_id: str) -> int:
    """Where Kafka's default partitioner (murmur2, as the gateway's producer uses) puts the
    conversation's events on `bancone.inbound.v1`."""
    key = conversation_key(tenant_id, wa_id).encode()
    return (int(murmur2(key)) & 0x7FFFFFFF) % CONVERSATION_PARTITIONS


def pick_customers(
    tenant_id: str, prefix: str, count: int, partition: int
) -> tuple[list[str], set[str]]:
    """`count` new WhatsApp ids, half of them on `partition`; and which those are."""
    same: list[str] = []
    other: list[str] = []
    number = 0
    while len(same) < count // 2 or len(other) < count - count // 2:
        wa_id = f"{prefix}{number:04d}"
        number += 1
        bucket = same if partition_of(tenant_id, wa_id) == partition else other
        if len(bucket) < (count // 2 if bucket is same else count - count // 2):
            bucket.append(wa_id)
    ids = [wa_id for pair in zip(same, other, strict=False) for wa_id in pair]
    ids += same[len(other) :] + other[len(same) :]
    return ids, set(same)


@dataclass
class Round:
    baseline: list[Sent]
    with_slow: list[Sent]
    same_partition: set[str]
    slow: Sent
    held_throughout: bool
    window_seconds: float


async def one_round(
    client: httpx.AsyncClient,
    env: RunEnv,
    watcher: SandboxWatcher,
    llm: ScriptedLlm,
    args: argparse.Namespace,
    run: str,
    number: int,
) -> Round:
    questions = QUESTIONS[number * 7 :] + QUESTIONS[: number * 7]
    slow_id = f"39{run}{number}9999"
    partition = partition_of(env.tenant_id, slow_id)
    base_ids, base_same = pick_customers(env.tenant_id, f"39{run}{number}1", args.others, partition)
    slow_ids, slow_same = pick_customers(env.tenant_id, f"39{run}{number}2", args.others, partition)

    say(f"round {number + 1}: baseline, {args.others} conversations one after another")
    baseline = await ask_sequentially(
        client, env, watcher, list(zip(base_ids, questions, strict=False)), args.reply_timeout
    )

    say(f"round {number + 1}: slow conversation {slow_id} (partition {partition}) starts")
    await llm.hold(client)
    slow, slow_replied = await post_text(client, env, watcher, slow_id, SLOW_TEXT)
    deadline = time.monotonic() + 60
    while await llm.waiting(client) < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the slow conversation's turn never reached the scripted LLM")
        await asyncio.sleep(0.05)
    say(
        f"round {number + 1}: its turn is at the LLM; {args.others} others one after another "
        f"({len(slow_same)} on partition {partition})"
    )
    started = time.monotonic()
    with_slow = await ask_sequentially(
        client, env, watcher, list(zip(slow_ids, questions, strict=False)), args.reply_timeout
    )
    window = time.monotonic() - started
    held = await llm.waiting(client) == 1 and not slow_replied.done()
    await llm.release(client)
    say(f"round {number + 1}: released the slow turn; its answer comes {args.slow_seconds:.0f}s on")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(slow_replied, args.slow_seconds + args.reply_timeout)
    same = base_same | slow_same
    return Round(baseline, with_slow, same, slow, held, window)


def latencies(sent: Sequence[Sent], keep: set[str] | None = None, drop: bool = False) -> Summary:
    chosen = [s for s in sent if keep is None or ((s.wa_id in keep) != drop)]
    return Summary.of([s.latency for s in chosen])


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]bench/slow_conversation.py[/]")
    say(f"machine at start: {machine_line()}")
    state = Path(args.state_dir)
    run = f"{int(time.time()) % 10000:04d}"
    async with contextlib.AsyncExitStack() as stack:
        llm = await stack.enter_async_context(scripted_llm(state, args.slow_seconds))
        llm_env = {
            "BANCONE_LLM_BASE_URL": llm.base_url,
            "BANCONE_LLM_MODEL": "scripted",
            "BANCONE_LLM_API_KEY": "bench",
            # the slow turn is held for the whole window, then answered: no client timeout
            "BANCONE_AGENT_LLM_TIMEOUT_SECONDS": str(args.slow_seconds + 300),
        }
        platform = await stack.enter_async_context(
            running_platform(
                state,
                args.port_offset,
                extra_env=llm_env,
                unset=("BANCONE_AGENT_LLM_BASE_URL",),
                fresh=not args.keep_state,
            )
        )
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30.0))
        env = platform.env
        watcher = await stack.enter_async_context(SandboxWatcher(client, env))
        # released before the platform stops, so a held turn never outlives an interruption
        stack.push_async_callback(llm.release, client)

        before = await turns_by_outcome(client, env)
        for index, text in enumerate(WARM_UP):
            await ask_and_wait(client, env, watcher, f"39{run}80{index}", text, args.reply_timeout)
        rounds = [
            await one_round(client, env, watcher, llm, args, run, number)
            for number in range(args.rounds)
        ]
        after = await turns_by_outcome(client, env)
        published = await outbound_published(env)
        everyone = [s.wa_id for r in rounds for s in [*r.baseline, *r.with_slow, r.slow]]
        counts = await messages_per_customer(client, env, everyone)
        finished = datetime.now(UTC)
        llm_requests = await llm.requests(client)
        load = machine_line()

    baseline = [s for r in rounds for s in r.baseline]
    with_slow = [s for r in rounds for s in r.with_slow]
    same = set().union(*(r.same_partition for r in rounds))
    base_all, slow_all = latencies(baseline), latencies(with_slow)

    console.print()
    console.print(ready_table(platform))
    console.print()
    title = (
        f"Reply latency of {args.others} other conversations x {args.rounds} rounds, one after "
        "another (agent on the scripted LLM: search tool call, then the products)"
    )
    console.print(
        latency_table(
            title,
            [
                ("baseline: nothing else in flight", base_all),
                (f"while one conversation waits {args.slow_seconds:.0f}s+ on the LLM", slow_all),
                ("  of which on the slow one's partition", latencies(with_slow, same)),
                ("  of which on other partitions", latencies(with_slow, same, drop=True)),
            ],
        )
    )
    console.print()
    console.print(
        f"difference (with slow - baseline): p50 {ms(slow_all.p50 - base_all.p50)} ms, "
        f"p95 {ms(slow_all.p95 - base_all.p95)} ms, max {ms(slow_all.max - base_all.max)} ms"
    )
    for number, r in enumerate(rounds, start=1):
        slow_latency = "no reply" if r.slow.latency is None else f"{r.slow.latency:.1f}s"
        console.print(
            f"round {number}: the slow turn was in flight for the whole {r.window_seconds:.1f}s window "
            f"of the others: {'yes' if r.held_throughout else 'NO'}; its own reply: "
            f"{slow_latency} (held for the window, then the rule's {args.slow_seconds:.0f}s)"
        )
    console.print(
        "The agent's inbound consumer is keyed (bancone_kit.messaging.keyed): it runs different "
        "conversations concurrently, also on one partition, each conversation in order."
    )
    console.print(f"agent turns by outcome (run log): {outcome_delta(before, after)}")
    console.print(sent_once_line(counts))
    console.print(notifier_states(platform))
    console.print(f"scripted LLM requests: {llm_requests}")
    for label, sent in (("baseline", baseline), ("with the slow conversation", with_slow)):
        console.print()
        console.print(
            latency_table(
                f"Where the time went: {label}", hops(platform, sent, published), "no data"
            )
        )
    console.print()
    console.print(log_findings(platform, finished))
    saved = write_results(
        platform,
        "slow-conversation",
        {
            "baseline": baseline,
            "with_slow": with_slow,
            "slow": [r.slow for r in rounds],
        },
    )
    console.print(f"per message: {saved}; service logs: {platform.state / 'logs'}")
    console.print(f"broker: {platform.broker}")
    console.print(f"machine at end: {load}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", default=str(REPO / ".bancone" / "bench-slow"))
    parser.add_argument("--port-offset", type=int, default=400)
    parser.add_argument("--others", type=int, default=30, help="other conversations (30)")
    parser.add_argument("--slow-seconds", type=float, default=8.0, help="the slow answer (8)")
    parser.add_argument("--rounds", type=int, default=2, help="baseline + slow rounds (2)")
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument(
        "--keep-state", action="store_true", help="reuse the state dir (warm start)"
    )
    args = parser.parse_args()
    return run_main(lambda: bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
