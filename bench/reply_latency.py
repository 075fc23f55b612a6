"""Reply latency of the whole platform: webhook POST → reply recorded by the WhatsApp sandbox.

    uv run --all-packages python bench/reply_latency.py [--state-dir .bancone/bench-latency]
        [--port-offset 300] [--count 50] [--burst 50] [--keep-state]

Starts `deploy/local/run.py` in its own state dir and ports (beside a running `make run`),
on the offline assistant (the LLM variables are unset), and reports how long it took to be
ready. Then 50 product questions in Italian, English and Spanish, each from a new customer:
first one after another (each waits for its reply), then 50 more posted at once. Latency is
the sandbox's `received_at` of the reply minus the time the webhook was posted, both on this
machine's clock: gateway (signature, dedupe, publish) → Kafka → agent (tools: ingest search,
catalog) → outbox → Kafka → notifier → sandbox. One warm-up question is not counted.
Then where the time went, hop by hop (from the services' log lines and the outbound topic's
record times), and the warnings and errors the services logged meanwhile; every message's
times are saved as `<state-dir>/reply-latency.json`. Stops the platform at the end, on failure
and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package, run as a file
from bench.harness import (
    LLM_VARIABLES,
    REPO,
    RunEnv,
    console,
    machine_line,
    ready_table,
    run_main,
    running_platform,
    say,
)
from bench.latencies import (
    latency_table,
    replies_and_acks,
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
    ask_and_wait,
    ask_at_once,
    ask_sequentially,
)

WARM_UP = "Ciao! Avete del Chianti?"


def customers(run: str, phase: int, count: int) -> list[str]:
    """Distinct WhatsApp ids, new on every run (a kept state dir has older conversations)."""
    return [f"39{run}{phase}{index:03d}" for index in range(count)]


def questions_for(ids: list[str]) -> list[tuple[str, str]]:
    return [(wa_id, QUESTIONS[index % len(QUESTIONS)]) for index, wa_id in enumerate(ids)]


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]bench/reply_latency.py[/]")
    say(f"machine at start: {machine_line()}")
    run = f"{int(time.time()) % 100000:05d}"
    async with (
        running_platform(
            Path(args.state_dir), args.port_offset, unset=LLM_VARIABLES, fresh=not args.keep_state
        ) as platform,
        httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=200)) as client,
    ):
        env: RunEnv = platform.env
        async with SandboxWatcher(client, env) as watcher:
            before = await turns_by_outcome(client, env)
            warm = await ask_and_wait(
                client, env, watcher, f"39{run}9000", WARM_UP, args.reply_timeout
            )
            first = "no reply" if warm.latency is None else f"{warm.latency * 1000:,.0f} ms"
            say(f"warm-up (first question after ready, not counted): {first}")

            say(f"{args.count} questions, one after another")
            sequential = await ask_sequentially(
                client,
                env,
                watcher,
                questions_for(customers(run, 1, args.count)),
                args.reply_timeout,
            )
            say(f"{args.burst} questions posted at once")
            burst = await ask_at_once(
                client,
                env,
                watcher,
                questions_for(customers(run, 2, args.burst)),
                args.reply_timeout,
            )
            after = await turns_by_outcome(client, env)
            published = await outbound_published(env)
            counts = await messages_per_customer(
                client, env, [s.wa_id for s in [warm, *sequential, *burst]]
            )
            finished = datetime.now(UTC)
        load = machine_line()

    console.print()
    console.print(ready_table(platform))
    console.print()
    console.print(
        latency_table(
            f"Sequential: {args.count} customers one after another (offline assistant)",
            replies_and_acks(sequential),
        )
    )
    console.print()
    console.print(
        latency_table(
            f"Burst: {args.burst} customers posted at once (offline assistant)",
            replies_and_acks(burst),
        )
    )
    console.print()
    replied = [s.replied_at for s in burst if s.replied_at is not None]
    if replied:
        span = (max(replied) - min(s.sent_at for s in burst)).total_seconds()
        console.print(f"burst: last reply {span:.1f}s after the first POST")
    console.print(f"agent turns by outcome (run log): {outcome_delta(before, after)}")
    console.print(sent_once_line(counts))
    console.print(notifier_states(platform))
    for label, sent in (("sequential", sequential), ("burst", burst)):
        console.print()
        console.print(
            latency_table(
                f"Where the time went: {label}", hops(platform, sent, published), "no data"
            )
        )
    console.print()
    console.print(log_findings(platform, finished))
    saved = write_results(platform, "reply-latency", {"sequential": sequential, "burst": burst})
    console.print(f"per message: {saved}; service logs: {platform.state / 'logs'}")
    console.print(f"broker: {platform.broker}")
    console.print(f"machine at end: {load}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", default=str(REPO / ".bancone" / "bench-latency"))
    parser.add_argument("--port-offset", type=int, default=300)
    parser.add_argument("--count", type=int, default=50, help="sequential questions (50)")
    parser.add_argument("--burst", type=int, default=50, help="questions posted at once (50)")
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument(
        "--keep-state", action="store_true", help="reuse the state dir (warm start)"
    )
    args = parser.parse_args()
    return run_main(lambda: bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
