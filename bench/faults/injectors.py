"""The faults, one per phase of `schedule.FAULTS`: what is done when the phase's fault starts
(`inject`) and what ends it (`lift`: the process is back and ready, the broker answers, the
storm has blown over). `copies` > 1 makes the load deliver each webhook that many times."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bancone_devstack.launcher.services import SERVICES
from bench.faults.stack import AGENT_2, LLM, Stack

READY_SECONDS = 180.0


@dataclass
class Context:
    stack: Stack
    client: httpx.AsyncClient
    notes: list[str] = field(default_factory=list)
    """What the phase observed beyond the counts (restarts, 503s, states): the table's notes."""

    def sandbox(self, path: str) -> str:
        return self.stack.urls["sandbox"] + path


Step = Callable[[Context], Awaitable[None]]


async def nothing(ctx: Context) -> None:
    return None


async def until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.2)
    return False


async def all_ready(ctx: Context) -> None:
    names = [svc.name for svc in SERVICES] + [AGENT_2]

    async def ready() -> bool:
        answers = await asyncio.gather(*(ctx.stack.answers(ctx.client, n) for n in names))
        return all(answers)

    if not await until(ready, READY_SECONDS, "every service ready"):
        ctx.notes.append(f"not every service answered /readyz within {READY_SECONDS:.0f}s")


def kill(name: str, prepare: Step = nothing) -> tuple[Step, Step]:
    """SIGKILL `name` (after `prepare`); lifted once the supervisor restarted it and it is
    ready again."""
    before: dict[str, int] = {}

    async def inject(ctx: Context) -> None:
        await prepare(ctx)
        before[name] = ctx.stack.supervisor.restart_count(name)
        ctx.stack.kill(name)
        if prepare is not nothing:
            await ctx.client.delete(ctx.sandbox("/sandbox/delay"))

    async def lift(ctx: Context) -> None:
        async def restarted() -> bool:
            return ctx.stack.supervisor.restart_count(name) > before[name]

        await until(restarted, READY_SECONDS, f"{name} restarted")
        took = await ctx.stack.wait_ready(name, READY_SECONDS)
        ctx.notes.append(f"{name} restarted by the supervisor, ready {took:.1f}s after start")
        await all_ready(ctx)

    return inject, lift


async def sends_in_flight(ctx: Context) -> None:
    """Hold the sandbox's answers (after it recorded the message, as if Meta took it) until a
    send is in flight: the notifier is killed then."""
    await ctx.client.put(
        ctx.sandbox("/sandbox/delay"), json={"seconds": 3.0, "phase": "after_record"}
    )

    async def in_flight() -> bool:
        stats = (await ctx.client.get(ctx.sandbox("/sandbox/stats"))).json()
        return int(stats.get("in_flight", 0)) > 0

    found = await until(in_flight, 30, "a send in flight")
    stats = (await ctx.client.get(ctx.sandbox("/sandbox/stats"))).json()
    ctx.notes.append(
        f"killed with {stats.get('in_flight', 0)} send(s) in flight"
        if found
        else "no send was in flight when killed"
    )


async def relay_crash(ctx: Context) -> None:
    ctx.stack.relay_crash_file.touch()


async def relay_lift(ctx: Context) -> None:
    async def crashed() -> bool:
        return not ctx.stack.relay_crash_file.exists()

    if not await until(crashed, 60, "the relay crashed"):
        ctx.notes.append("the armed relay never published (no crash)")
        ctx.stack.relay_crash_file.unlink(missing_ok=True)
        return
    who = [r for r in ctx.stack.supervisor.restarts if r.name in ("agent", AGENT_2)]
    await asyncio.sleep(1.0)
    for name in ("agent", AGENT_2):
        await ctx.stack.wait_ready(name, READY_SECONDS)
    last = who[-1].name if who else "an agent replica"
    ctx.notes.append(f"{last}'s outbox relay SIGKILLed itself after publish, before mark")
    await all_ready(ctx)


async def kafka_restart(ctx: Context) -> None:
    started = time.monotonic()
    await ctx.stack.restart_kafka()
    ctx.notes.append(f"broker stopped and started again in {time.monotonic() - started:.1f}s")


async def postgres_restart(ctx: Context) -> None:
    started = time.monotonic()
    await ctx.stack.restart_postgres()
    ctx.notes.append(f"pg_ctl restart -m fast took {time.monotonic() - started:.1f}s")


STORM = ((429, 130429, 15), (500, 131000, 10), (503, 131016, 10))


async def graph_storm(ctx: Context) -> None:
    for status, code, count in STORM:
        fault = {"status": status, "code": code, "count": count}
        (await ctx.client.post(ctx.sandbox("/sandbox/faults"), json=fault)).raise_for_status()
    ctx.notes.append("sandbox answers " + ", ".join(f"{n}x{s}" for s, _, n in STORM))


async def storm_lift(ctx: Context) -> None:
    async def spent() -> bool:
        return not (await ctx.client.get(ctx.sandbox("/sandbox/faults"))).json()

    if not await until(spent, 120, "the storm spent"):
        left = (await ctx.client.get(ctx.sandbox("/sandbox/faults"))).json()
        ctx.notes.append(f"storm not spent after 120s: {left}")
        await ctx.client.delete(ctx.sandbox("/sandbox/faults"))


def llm_outage(hold: float) -> tuple[Step, Step]:
    async def inject(ctx: Context) -> None:
        ctx.stack.supervisor.kill(LLM)  # announced: stays down until lifted

    async def lift(ctx: Context) -> None:
        await asyncio.sleep(hold)
        await ctx.stack.supervisor.restart(LLM, watch=True)
        await ctx.stack.wait_ready(LLM)
        ctx.notes.append(f"scripted LLM down {hold:.0f}s")

    return inject, lift


KAFKA_PAUSE_SECONDS = 12.0
"""Longer than the gateway's wait for Kafka's acks (5 s): webhooks are answered 503."""


def kafka_pause(hold: float) -> tuple[Step, Step]:
    hold = max(hold, KAFKA_PAUSE_SECONDS)

    async def inject(ctx: Context) -> None:
        ctx.stack.pause_kafka()

    async def lift(ctx: Context) -> None:
        await asyncio.sleep(hold)
        ctx.stack.resume_kafka()
        ctx.notes.append(f"broker SIGSTOPped {hold:.0f}s")
        await all_ready(ctx)

    return inject, lift


@dataclass(frozen=True)
class Fault:
    inject: Step = nothing
    lift: Step = nothing
    copies: int = 1
    stale_statuses: bool = False


def faults(hold: float) -> dict[str, Fault]:
    """Every fault of `schedule.FAULTS` by name."""
    agent = kill("agent")
    gateway = kill("gateway")
    return {
        "baseline": Fault(),
        "agent SIGKILL (2 replicas, rebalance)": Fault(*agent),
        "notifier SIGKILL mid-send": Fault(*kill("notifier", sends_in_flight)),
        "gateway SIGKILL": Fault(*gateway),
        "relay crash between publish and mark": Fault(relay_crash, relay_lift),
        "Kafka broker restart": Fault(kafka_restart, all_ready),
        "PostgreSQL restart": Fault(postgres_restart, all_ready),
        "Graph API 429/5xx storm": Fault(graph_storm, storm_lift),
        "LLM outage": Fault(*llm_outage(hold)),
        "webhook delivered 3 times": Fault(copies=3),
        "Kafka paused while Meta delivers": Fault(*kafka_pause(hold)),
        "status webhooks out of order": Fault(stale_statuses=True),
        "soak": Fault(),
    }
