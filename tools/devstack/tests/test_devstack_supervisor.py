"""The supervisor on real child processes (small Python scripts): stop, kill, restart, deaths,
readiness and log rotation behave as `make run`, the benchmarks and the e2e fault runs rely on."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bancone_devstack import (
    Child,
    ExitedBeforeReadyError,
    RestartPolicy,
    Supervisor,
    free_port,
    log_has_line,
    port_in_use,
    rotate,
    wait_ready,
)
from bancone_devstack.logs import readable_tail

pytestmark = pytest.mark.service

IGNORES_SIGTERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('started', flush=True)\n"
    "time.sleep(60)\n"
)
SLEEPS = "import time\nprint('started', flush=True)\ntime.sleep(60)\n"


def python(name: str, code: str, log: Path) -> Child:
    return Child(name, (sys.executable, "-c", code), {}, log)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` with a deadline (no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_stop_sends_sigterm_and_a_well_behaved_child_exits_without_sigkill(
    tmp_path: Path,
) -> None:
    child = await python("sleeper", SLEEPS, tmp_path / "sleeper.log").start()
    stopped = await child.stop(grace=10)
    assert not stopped.killed
    assert stopped.returncode == -15


async def test_stop_kills_a_child_that_ignores_sigterm_after_the_grace_period(
    tmp_path: Path,
) -> None:
    child = await python("stubborn", IGNORES_SIGTERM, tmp_path / "stubborn.log").start()
    await until(lambda: log_has_line(child.log, "started"))
    stopped = await child.stop(grace=0.5)
    assert stopped.killed
    assert not stopped.hurried
    assert stopped.returncode == -9


async def test_a_second_request_skips_the_grace_period(tmp_path: Path) -> None:
    child = await python("stubborn", IGNORES_SIGTERM, tmp_path / "stubborn.log").start()
    await until(lambda: log_has_line(child.log, "started"))
    hurry = asyncio.Event()
    stopping = asyncio.create_task(child.stop(grace=60, hurry=hurry))
    hurry.set()
    stopped = await asyncio.wait_for(stopping, 10)
    assert stopped.killed
    assert stopped.hurried


async def test_a_watched_child_that_dies_is_reported_and_a_killed_one_is_not(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor()
    dying = python("dying", "import sys; sys.exit(3)", tmp_path / "dying.log")
    await supervisor.start(dying, watch=True)
    assert await asyncio.wait_for(supervisor.deaths.get(), 10) is dying
    assert dying.exit_description() == "exited with code 3"

    victim = await supervisor.start(python("victim", SLEEPS, tmp_path / "v.log"), watch=True)
    supervisor.kill("victim")
    assert await victim.wait() == -9
    assert supervisor.deaths.empty()


async def test_restart_starts_a_killed_child_again_and_appends_to_its_log(tmp_path: Path) -> None:
    supervisor = Supervisor()
    child = await supervisor.start(python("again", SLEEPS, tmp_path / "again.log"))
    await until(lambda: log_has_line(child.log, "started"))
    first = child.proc
    supervisor.kill("again")
    await supervisor.restart("again")
    assert child.proc is not first
    assert child.alive
    await until(lambda: child.log.read_text().count("started") == 2)
    await supervisor.stop_all(grace=5)
    assert supervisor.alive() == []


async def test_a_child_with_a_restart_policy_comes_back_after_sigkill_and_is_no_death(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor()
    policy = RestartPolicy(initial_seconds=0.1)
    child = await supervisor.start(python("pod", SLEEPS, tmp_path / "pod.log"), restart=policy)
    await until(lambda: log_has_line(child.log, "started"))
    first = child.proc
    child.kill()  # a fault, not `supervisor.kill`: nobody told the supervisor
    await until(lambda: supervisor.restart_count("pod") == 1)
    assert child.proc is not first
    assert child.alive
    assert supervisor.restarts[0].exit_description == "killed by SIGKILL"
    await until(lambda: child.log.read_text().count("started") == 2)
    assert supervisor.deaths.empty()
    await supervisor.stop_all(grace=5)
    assert supervisor.alive() == []
    assert supervisor.restart_count("pod") == 1


def test_restart_back_off_doubles_in_a_crash_loop_and_resets_after_a_long_run() -> None:
    policy = RestartPolicy(initial_seconds=0.5, max_seconds=3, reset_after_seconds=10)
    delays: list[float] = []
    previous: float | None = None
    for _ in range(5):
        previous = policy.next_delay(previous, uptime=1.0)
        delays.append(previous)
    assert delays == [0.5, 1.0, 2.0, 3, 3]
    assert policy.next_delay(3, uptime=60.0) == 0.5


async def test_readiness_fails_at_once_when_the_child_exits(tmp_path: Path) -> None:
    child = await python("crash", "raise SystemExit(2)", tmp_path / "crash.log").start()
    url = f"http://127.0.0.1:{free_port()}/readyz"
    with pytest.raises(ExitedBeforeReadyError, match="exited with code 2"):
        await wait_ready(child, url, deadline_seconds=30)


async def test_readiness_waits_for_the_probe_to_answer(tmp_path: Path) -> None:
    port = free_port()
    serve = f"import http.server as h; h.test(h.SimpleHTTPRequestHandler, port={port}, bind='127.0.0.1')"
    (tmp_path / "readyz").write_text("ok")
    child = Child("http", (sys.executable, "-c", serve), {}, tmp_path / "http.log", cwd=tmp_path)
    await child.start()
    try:
        await wait_ready(child, f"http://127.0.0.1:{port}/readyz", deadline_seconds=30)
        assert port_in_use("127.0.0.1", port)
    finally:
        await child.stop(grace=5)


def test_rotation_keeps_the_previous_log_and_tails_fold_polling_lines(tmp_path: Path) -> None:
    log = tmp_path / "svc.log"
    poll = '{"event": "http.request", "method": "GET", "path": "/readyz", "status": 503}'
    log.write_text("\n".join([poll] * 5 + ['{"event": "boom", "level": "error"}']) + "\n")
    assert readable_tail(log)[0].endswith("(5 alike, last shown)")
    rotate(log)
    assert not log.exists()
    assert (tmp_path / "svc.log.1").exists()
    assert readable_tail(log) == []
