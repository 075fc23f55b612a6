"""Webhook throughput and cost per message: the gateway under open-loop load beside a bare
receiver, a rate ladder, CPU per message per process, and a sustained pipeline run.

    uv run --all-packages python bench/webhook_load.py [--port-offset 400] [--seconds 30]
        [--rates 100,300,500,800] [--pipeline-rate 40 --pipeline-seconds 60]
        [--profile docs/benchmarks] [--gateway-database-url postgresql://…]

Starts `deploy/local/run.py` (own state dir, ports and Kafka; offline assistant) and
`bench/bare_receiver.py` beside it. vegeta (built by `deploy/tools/install.sh vegeta`) posts a
fresh pre-signed status webhook per request, open loop, to the bare receiver at 1,000/s (the
generator's own check: its achieved rate is printed), then to each of the two at every rate of
the ladder: p50/p99/max, the share answered 200, 503s, and CPU ms per request of the receiving
process and of all processes (idle subtracted), read from /proc. Then the pipeline: customer
texts at `--pipeline-rate`/s for `--pipeline-seconds` s, every reply counted (exactly once?)
and timed, with CPU per message per process. `--profile DIR` adds a py-spy flame graph of the
gateway at the ladder's highest rate (and, with `--profile-pipeline`, of the gateway, agent,
notifier and ingest during the pipeline, `--profile-seconds` at most; py-spy costs CPU: read those runs' numbers as perturbed). Prints tables; asserts nothing.
`--rates ''` skips the generator check and the ladder: the pipeline alone, on a quiet platform.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package, run as a file
from bench.gc_time import GcTotals, gc_spent, gc_totals
from bench.harness import (
    LLM_VARIABLES,
    REPO,
    RunEnv,
    console,
    machine_line,
    run_main,
    running_platform,
    say,
    spawn,
    stop,
)
from bench.pipeline_load import PipelineResult, sustained
from bench.proc_cpu import Processes, delta
from bench.vegeta import Result, attack, vegeta_binary, write_targets
from bench.webhook_tables import (
    cpu_table,
    idle_included_line,
    ladder_table,
    pipeline_table,
    platform_seconds,
)

IDLE_SECONDS = 10.0
SETTLE_SECONDS = 3.0
DRAINED_ABOVE_IDLE = 0.05
"""The platform is back at rest when, over `SETTLE_SECONDS`, it uses at most this share of a
core more than at idle: the ladder's status webhooks are all handled downstream."""
DRAIN_LIMIT_SECONDS = 600.0
GENERATOR_CHECK_RATE = 1000


class Cpu:
    """CPU seconds per process name between two points, less the idle rate measured first."""

    def __init__(self, processes: Processes, idle_rate: Mapping[str, float]) -> None:
        self.processes = processes
        self.idle_rate = idle_rate
        self.raw: dict[str, float] = {}
        """The last `stop`'s seconds with idle included: what polling at idle costs is then
        part of the bill (a subtracted idle rate hides it)."""

    def start(self) -> tuple[float, dict[str, float]]:
        return time.monotonic(), self.processes.snapshot()

    def stop(self, mark: tuple[float, dict[str, float]]) -> dict[str, float]:
        began, before = mark
        used = delta(before, self.processes.snapshot())
        elapsed = time.monotonic() - began
        self.raw = used
        return {k: max(0.0, v - self.idle_rate.get(k, 0.0) * elapsed) for k, v in used.items()}


async def drained(processes: Processes, idle_rate: Mapping[str, float]) -> float:
    """Wait until the platform's CPU is back at its idle rate; the seconds it took.

    The ladder's webhooks are answered at once but handled downstream later (the notifier
    records every status): a pipeline run started before that work is done would be billed
    for it, and its replies would queue behind it."""
    began = time.monotonic()
    idle = platform_seconds(idle_rate)
    while time.monotonic() - began < DRAIN_LIMIT_SECONDS:
        before = processes.snapshot()
        await asyncio.sleep(SETTLE_SECONDS)
        used = delta(before, processes.snapshot())
        busy = platform_seconds(used) / SETTLE_SECONDS
        if busy <= idle + DRAINED_ABOVE_IDLE:
            break
    return time.monotonic() - began


async def wait_http(url: str, seconds: float = 30.0) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                await client.post(url, content=b"{}")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds}s")


async def profile(pid: int, out: Path, seconds: float) -> asyncio.subprocess.Process | None:
    spy = shutil.which("py-spy")
    if spy is None:
        say("[yellow]py-spy not found (uv tool install py-spy): no flame graph[/]")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "97",
        "--nonblocking",
        "--output",
        str(out),
        "--format",
        "flamegraph",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def pid_of(processes: Processes, name: str) -> int | None:
    return next((pid for pid, n in processes.pids.items() if n == name), None)


async def warm_up(
    vegeta: str, work: Path, url: str, env: RunEnv, args: argparse.Namespace, loads: list[str]
) -> None:
    """A gateway step before the ladder, not in its table: the first heavy step of a fresh
    gateway had stalls of 0.1-0.25 s in its first ~20 s (pools and caches filling), which
    made its p99 about the warm-up instead of the rate (docs/benchmarks.md, session 23)."""
    rate, seconds = args.warmup_rate, args.warmup_seconds
    targets = write_targets(
        work / f"warmup-{rate}.json", url, env.phone_number_id, env.app_secret, int(rate * seconds)
    )
    await asyncio.sleep(SETTLE_SECONDS)
    result = await attack(vegeta, targets, rate, seconds, work)
    loads.append(f"warm-up {rate}/s: {machine_line()}")
    say(
        f"warm-up (not in the table) {rate}/s x {seconds:.0f}s: {100 * result.answered:.1f}% "
        f"200, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.1f} ms"
    )


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]bench/webhook_load.py[/]")
    say(f"machine at start: {machine_line()}")
    vegeta = vegeta_binary()
    state = Path(args.state_dir)
    work = state / "load"
    extra = {}
    if args.gateway_database_url:
        extra["BANCONE_GATEWAY_DATABASE_URL"] = args.gateway_database_url
    rates = [int(r) for r in args.rates.split(",") if r]
    ladder: list[tuple[str, Result, float, float]] = []
    loads: list[str] = []
    async with running_platform(
        state, args.port_offset, unset=(*LLM_VARIABLES, "KAFKA_BOOTSTRAP_SERVERS"), extra_env=extra
    ) as platform:
        env = platform.env
        work.mkdir(parents=True, exist_ok=True)
        bare_port = 9100 + args.port_offset
        bare = await spawn(
            "bare receiver",
            [
                sys.executable,
                str(REPO / "bench" / "bare_receiver.py"),
                "--port",
                str(bare_port),
                "--app-secret",
                env.app_secret,
            ],
            os.environ,
            work / "bare-receiver.log",
        )
        try:
            bare_url = f"http://127.0.0.1:{bare_port}/webhooks/whatsapp"
            gateway_url = f"{env.gateway_url}/webhooks/whatsapp"
            await wait_http(bare_url)
            run_py = int((platform.state / "run.lock").read_text().strip())
            processes = Processes.find(run_py, markers=(str(platform.state),))
            processes = Processes({**processes.pids, bare.proc.pid: "bare receiver"})  # type: ignore[union-attr]
            say(f"watching {sorted(set(processes.pids.values()))} ({len(processes.pids)} pids)")
            say(f"idle CPU for {IDLE_SECONDS:.0f}s")
            idle_start = processes.snapshot()
            await asyncio.sleep(IDLE_SECONDS)
            idle = {k: v / IDLE_SECONDS for k, v in delta(idle_start, processes.snapshot()).items()}
            cpu = Cpu(processes, idle)
            say(
                "idle CPU, % of a core: "
                + ", ".join(f"{k} {100 * v:.1f}" for k, v in sorted(idle.items()) if v >= 0.001)
            )
            loads.append(f"idle: {machine_line()}")

            check = GENERATOR_CHECK_RATE if rates else 0  # --rates '': pipeline only
            targets = write_targets(
                work / f"bare-{check}.json",
                bare_url,
                env.phone_number_id,
                env.app_secret,
                int(check * args.seconds),
            )
            if check:
                mark = cpu.start()
                result = await attack(vegeta, targets, check, args.seconds, work)
                used = cpu.stop(mark)
                ladder.append(
                    (
                        "bare (generator check)",
                        result,
                        1000 * used.get("bare receiver", 0) / max(result.requests, 1),
                        1000 * used.get("bare receiver", 0) / max(result.requests, 1),
                    )
                )
                say(
                    f"generator check: asked {check}/s, vegeta sent {result.rate:.1f}/s; "
                    f"{machine_line()}"
                )
            if rates and args.warmup_seconds > 0:
                await warm_up(vegeta, work, gateway_url, env, args, loads)
            for rate in rates:
                for name, url in (("bare", bare_url), ("gateway", gateway_url)):
                    targets = write_targets(
                        work / f"{name}-{rate}.json",
                        url,
                        env.phone_number_id,
                        env.app_secret,
                        int(rate * args.seconds),
                    )
                    spy = None
                    if args.profile and name == "gateway" and rate == max(rates):
                        gw = pid_of(processes, "gateway")
                        if gw is not None:
                            spy = await profile(
                                gw, Path(args.profile) / f"gateway-{rate}rps.svg", args.seconds
                            )
                    await asyncio.sleep(SETTLE_SECONDS)
                    mark = cpu.start()
                    result = await attack(vegeta, targets, rate, args.seconds, work)
                    used = cpu.stop(mark)
                    if spy is not None:
                        await spy.wait()
                    own = used.get("bare receiver" if name == "bare" else "gateway", 0.0)
                    platform_total = platform_seconds(used) if name == "gateway" else own
                    ladder.append(
                        (
                            name,
                            result,
                            1000 * own / max(result.requests, 1),
                            1000 * platform_total / max(result.requests, 1),
                        )
                    )
                    load = machine_line()
                    loads.append(f"{name} {rate}/s: {load}")
                    say(
                        f"{name} {rate}/s: sent {result.rate:.0f}/s, {100 * result.answered:.1f}% "
                        f"200, p99 {result.p99_ms:.1f} ms, codes {result.status}; {load}"
                    )
            console.print(
                ladder_table(
                    "Webhook ladder (vegeta, open loop, fresh status "
                    f"webhook per request, {args.seconds:.0f}s each)",
                    ladder,
                )
            )
            pipeline: PipelineResult | None = None
            pipe_cpu: dict[str, float] = {}
            pipe_gc: GcTotals = {}
            pipe_raw: dict[str, float] = {}
            if args.pipeline_seconds > 0:
                took = await drained(processes, idle)
                say(f"platform back at idle CPU {took:.0f}s after the ladder")
                spies = []
                if args.profile and args.profile_pipeline:
                    for name in ("gateway", "agent", "notifier", "ingest"):
                        pid = pid_of(processes, name)
                        if (
                            pid is not None
                            and (
                                spy := await profile(
                                    pid,
                                    Path(args.profile) / f"pipeline-{name}.svg",
                                    min(args.pipeline_seconds, args.profile_seconds),
                                )
                            )
                            is not None
                        ):
                            spies.append(spy)
                prefix = f"39{int(time.time()) % 100000:05d}"
                async with httpx.AsyncClient(timeout=30.0) as client:
                    gc_before = await gc_totals(client, args.port_offset)
                    mark = cpu.start()
                    pipeline = await sustained(
                        vegeta,
                        client,
                        env,
                        work,
                        prefix,
                        args.pipeline_rate,
                        args.pipeline_seconds,
                        args.pipeline_wait,
                    )
                    pipe_cpu = cpu.stop(mark)
                    pipe_raw = cpu.raw
                    pipe_gc = gc_spent(gc_before, await gc_totals(client, args.port_offset))
                for spy in spies:
                    await spy.wait()
                loads.append(f"pipeline: {machine_line()}")
        finally:
            await stop(bare, 5.0)

    console.print()
    console.print(
        ladder_table(
            "Webhook ladder (vegeta, open loop, fresh status webhook per "
            f"request, {args.seconds:.0f}s each)",
            ladder,
        )
    )
    if pipeline is not None:
        console.print()
        console.print(pipeline_table(pipeline))
        console.print()
        console.print(
            cpu_table(
                "CPU per inbound text message (its reply and the status "
                "webhooks that follow included; idle subtracted)",
                pipe_cpu,
                len(pipeline.hits),
                pipe_gc,
            )
        )
        console.print(idle_included_line(pipe_raw, len(pipeline.hits)))
    gateway_rows = {int(r.asked): r for n, r, _, _ in ladder if n == "gateway"}
    bare_rows = {int(r.asked): r for n, r, _, _ in ladder if n == "bare"}
    for rate in rates:
        if rate in gateway_rows and rate in bare_rows and bare_rows[rate].ok:
            ratio = gateway_rows[rate].ok / bare_rows[rate].ok
            console.print(
                f"{rate}/s: gateway answered 200 {ratio:.2f} times as many as the bare receiver"
            )
    for line in loads:
        console.print(f"load — {line}")
    saved = state / "webhook-load.json"
    saved.write_text(
        json.dumps(
            {
                "ladder": [
                    {"receiver": n, **r.__dict__, "cpu_ms_own": o, "cpu_ms_all": t}
                    for n, r, o, t in ladder
                ],
                "pipeline_cpu": pipe_cpu,
                "pipeline_gc": pipe_gc,
                "pipeline_latency_p50": statistics.median(pipeline.latencies())
                if pipeline and pipeline.latencies()
                else None,
                "loads": loads,
            },
            indent=2,
            default=str,
        )
    )
    console.print(f"saved: {saved}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", default=str(REPO / ".bancone" / "bench-webhooks"))
    parser.add_argument("--port-offset", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=30.0, help="each ladder step (30)")
    parser.add_argument(
        "--rates", default="100,300,500,800", help="'': no ladder and no generator check"
    )
    parser.add_argument(
        "--warmup-seconds", type=float, default=10.0, help="gateway warm-up before the ladder"
    )
    parser.add_argument("--warmup-rate", type=int, default=300)
    parser.add_argument("--pipeline-rate", type=int, default=40)
    parser.add_argument("--pipeline-seconds", type=float, default=60.0, help="0: no pipeline run")
    parser.add_argument(
        "--pipeline-wait",
        type=float,
        default=120.0,
        help="longest wait for the last replies after the last post",
    )
    parser.add_argument("--profile", help="directory for py-spy flame graphs (SVG)")
    parser.add_argument(
        "--profile-pipeline",
        action="store_true",
        help="with --profile: also during the pipeline run (its numbers then include py-spy)",
    )
    parser.add_argument(
        "--profile-seconds", type=float, default=20.0, help="longest py-spy recording (20)"
    )
    parser.add_argument("--gateway-database-url", help="e.g. a PostgreSQL URL for the gateway")
    args = parser.parse_args()
    return run_main(lambda: bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
