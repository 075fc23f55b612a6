"""`bancone-sandbox` runs as its own process, configured from the environment, and stops cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.service

PHONE_ID = "106540352242999"
TOKEN = "process-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def sandbox_process() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    executable = shutil.which("bancone-sandbox")
    assert executable, "bancone-sandbox is not installed (uv sync --all-packages)"
    port = free_port()
    env = {
        **os.environ,
        "BANCONE_SANDBOX_PORT": str(port),
        "BANCONE_SANDBOX_CHANNELS": json.dumps(
            [{"phone_number_id": PHONE_ID, "access_token": TOKEN}]
        ),
    }
    process = subprocess.Popen([executable], env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # generous: CI machines are shared and slow to start
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the sandbox did not become healthy")
        time.sleep(0.05)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_process_accepts_sends_for_channels_from_the_environment(
    sandbox_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    _, url = sandbox_process
    send = httpx.post(
        f"{url}/v23.0/{PHONE_ID}/messages",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"messaging_product": "whatsapp", "to": "393470000201", "text": {"body": "Ciao"}},
    )
    listed = httpx.get(f"{url}/sandbox/messages", params={"to": "393470000201"}).json()

    assert send.status_code == 200
    assert [m["id"] for m in listed] == [send.json()["messages"][0]["id"]]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_process_shuts_down_gracefully_on_signal(
    sandbox_process: tuple[subprocess.Popen[bytes], str], stop: signal.Signals
) -> None:
    process, _ = sandbox_process

    process.send_signal(stop)

    _, stderr = process.communicate(timeout=10)
    assert process.returncode in (0, -stop)  # uvicorn re-raises the signal after shutting down
    assert b"Application shutdown complete" in stderr
