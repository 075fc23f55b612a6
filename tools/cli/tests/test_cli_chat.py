"""`bancone chat --once` against a real sandbox and a small echo gateway, both over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI, Request, Response
from rich.console import Console

from bancone_cli.__main__ import main
from bancone_cli.chat import ChatTarget, chat_once
from bancone_sandbox import ChannelConfig, SandboxSettings
from bancone_sandbox.testing import running_sandbox, serving

pytestmark = pytest.mark.service

PHONE_ID = "106540352242922"
TOKEN = "graph-token"
SECRET = "demo-secret"


def echo_gateway(sandbox_url: str) -> FastAPI:
    """Stands in for Bancone: checks the signature, answers `Eco: <text>` through the sandbox."""
    app = FastAPI()

    async def reply(wa_id: str, text: str) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{sandbox_url}/v23.0/{PHONE_ID}/messages",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={
                    "messaging_product": "whatsapp",
                    "to": wa_id,
                    "type": "text",
                    "text": {"body": f"Eco: {text}"},
                },
            )

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request, background: BackgroundTasks) -> Response:
        raw = await request.body()
        expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-hub-signature-256", ""), expected):
            return Response(status_code=401)
        for entry in json.loads(raw)["entry"]:
            for change in entry["changes"]:
                for message in change["value"].get("messages", []):
                    if message["text"]["body"] != "silenzio":
                        background.add_task(reply, message["from"], message["text"]["body"])
        return Response(status_code=200)

    return app


@dataclass
class Platform:
    target: ChatTarget


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    settings = SandboxSettings(
        channels=[ChannelConfig(phone_number_id=PHONE_ID, access_token=TOKEN)]
    )
    with running_sandbox(settings) as sandbox_url, serving(echo_gateway(sandbox_url)) as gw_url:
        yield Platform(ChatTarget(gw_url, sandbox_url, PHONE_ID, SECRET))


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, force_terminal=False), out


def test_once_prints_the_reply_and_exits_0(platform: Platform) -> None:
    terminal, out = console()

    code = chat_once(
        platform.target,
        "Vorrei un rosso sotto i 20 €, perché no?",
        wa_id="393470000101",
        name="Giulia",
        timeout=10,
        console=terminal,
    )

    assert code == 0
    assert "Eco: Vorrei un rosso sotto i 20 €, perché no?" in out.getvalue()


def test_the_chat_opens_the_sandboxs_24_hour_window_before_it_writes(platform: Platform) -> None:
    with httpx.Client(base_url=platform.target.sandbox_url) as sandbox:
        sandbox.put("/sandbox/rules", json={"enforce_window": True}).raise_for_status()
        try:
            terminal, out = console()
            code = chat_once(
                platform.target, "ciao", wa_id="393470000105", name="Leo", timeout=10,
                console=terminal,
            )  # fmt: skip
            refusals = sandbox.get("/sandbox/compliance").json()["refusals"]
        finally:
            sandbox.put("/sandbox/rules", json={"enforce_window": False}).raise_for_status()

    assert code == 0
    assert "Eco: ciao" in out.getvalue()
    assert [r for r in refusals if r["to"] == "393470000105"] == []


def test_once_shows_only_replies_to_this_message(platform: Platform) -> None:
    kwargs: dict[str, Any] = {"wa_id": "393470000102", "name": "Marco", "timeout": 10}
    first_terminal, _ = console()
    chat_once(platform.target, "primo", console=first_terminal, **kwargs)
    terminal, out = console()

    code = chat_once(platform.target, "secondo", console=terminal, **kwargs)

    assert code == 0
    assert "Eco: secondo" in out.getvalue()
    assert "primo" not in out.getvalue()


def test_once_without_a_reply_exits_1(platform: Platform) -> None:
    terminal, out = console()

    code = chat_once(
        platform.target, "silenzio", wa_id="393470000103", name="Ada", timeout=1, console=terminal
    )

    assert code == 1
    assert "no reply" in out.getvalue()


def test_wrong_app_secret_is_refused_by_the_gateway_and_exits_2(platform: Platform) -> None:
    target = ChatTarget(
        platform.target.gateway_url, platform.target.sandbox_url, PHONE_ID, "not-the-secret"
    )
    terminal, out = console()

    code = chat_once(target, "ciao", wa_id="393470000104", name="Eva", timeout=1, console=terminal)

    assert code == 2
    assert "401" in out.getvalue()


def test_console_script_reads_run_env(
    platform: Platform, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("BANCONE_GATEWAY_URL", "BANCONE_SANDBOX_URL", "BANCONE_DEMO_APP_SECRET"):
        monkeypatch.delenv(key, raising=False)
    run_env = tmp_path / "run.env"
    run_env.write_text(
        f"BANCONE_GATEWAY_URL={platform.target.gateway_url}\n"
        f"BANCONE_SANDBOX_URL={platform.target.sandbox_url}\n"
        f"BANCONE_DEMO_PHONE_NUMBER_ID={PHONE_ID}\n"
        f"BANCONE_DEMO_APP_SECRET={SECRET}\n"
        "BANCONE_DEMO_VERIFY_TOKEN=verify\n"
    )

    code = main(["--env-file", str(run_env), "chat", "--to", "393470000105", "--once", "salve"])

    assert code == 0
