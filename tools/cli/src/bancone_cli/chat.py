"""`bancone chat`: play a WhatsApp customer against a running Bancone.

Each line becomes a signed, Meta-shaped text webhook posted to the gateway; the replies are
read back from the sandbox (where the notifier sends them instead of Meta).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from bancone_cli.runenv import RunEnv
from bancone_cli.webhooks import build_text_webhook, signed_body

DEFAULT_WA_ID = "393471234567"
DEFAULT_NAME = "Giulia"


@dataclass(frozen=True)
class ChatTarget:
    """Where to post webhooks and where to read replies, from `.bancone/run.env`."""

    gateway_url: str
    sandbox_url: str
    phone_number_id: str
    app_secret: str

    @classmethod
    def from_run_env(cls, env: RunEnv) -> ChatTarget:
        return cls(
            gateway_url=env.require("BANCONE_GATEWAY_URL").rstrip("/"),
            sandbox_url=env.require("BANCONE_SANDBOX_URL").rstrip("/"),
            phone_number_id=env.require("BANCONE_DEMO_PHONE_NUMBER_ID"),
            app_secret=env.require("BANCONE_DEMO_APP_SECRET"),
        )


def post_text(
    client: httpx.Client, target: ChatTarget, wa_id: str, name: str, text: str
) -> httpx.Response:
    """Sign and POST one customer text to the gateway's webhook (telling the sandbox first, so
    its 24-hour window check, when on, knows the customer wrote)."""
    _tell_sandbox(client, target, wa_id)
    payload = build_text_webhook(target.phone_number_id, wa_id, text, name=name)
    body, headers = signed_body(payload, target.app_secret)
    return client.post(f"{target.gateway_url}/webhooks/whatsapp", content=body, headers=headers)


def _tell_sandbox(client: httpx.Client, target: ChatTarget, wa_id: str) -> None:
    """Best effort: an older sandbox without `/sandbox/inbound` just keeps its window check off."""
    with contextlib.suppress(httpx.HTTPError):
        client.post(
            f"{target.sandbox_url}/sandbox/inbound",
            json={"phone_number_id": target.phone_number_id, "wa_id": wa_id},
        )


@dataclass
class ReplyWatcher:
    """Tracks which sandbox messages to this customer were already shown."""

    target: ChatTarget
    wa_id: str
    seen: set[str] = field(default_factory=set)

    def _fetch(self, client: httpx.Client) -> list[dict[str, Any]]:
        response = client.get(
            f"{self.target.sandbox_url}/sandbox/messages",
            params={"to": self.wa_id, "phone_number_id": self.target.phone_number_id},
        )
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records

    def prime(self, client: httpx.Client) -> None:
        """Mark what is already in the sandbox as seen, so only new replies are shown."""
        self.seen.update(str(record["id"]) for record in self._fetch(client))

    def new_replies(self, client: httpx.Client) -> list[dict[str, Any]]:
        fresh = [r for r in self._fetch(client) if str(r["id"]) not in self.seen]
        self.seen.update(str(record["id"]) for record in fresh)
        return fresh

    def wait(
        self,
        client: httpx.Client,
        *,
        timeout: float,
        interval: float = 0.2,
        quiet: float = 1.0,
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Poll until a reply arrives and no other follows within `quiet`, or until `timeout`."""
        replies: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        settle_by: float | None = None
        while True:
            for record in self.new_replies(client):
                replies.append(record)
                if on_reply is not None:
                    on_reply(record)
                settle_by = time.monotonic() + quiet
            now = time.monotonic()
            if now >= deadline or (settle_by is not None and now >= settle_by):
                return replies
            time.sleep(interval)


def render_reply(record: dict[str, Any]) -> str:
    """Readable text for any message type the notifier may send."""
    body: dict[str, Any] = record.get("body", {})
    kind = str(body.get("type", record.get("type", "?")))
    content = body.get(kind)
    if kind == "text" and isinstance(content, dict):
        return str(content.get("body", ""))
    if kind == "interactive" and isinstance(content, dict):
        lines = [str(content.get("body", {}).get("text", ""))]
        action = content.get("action", {})
        for button in action.get("buttons", []):
            lines.append(f"  [{button.get('reply', {}).get('title', '')}]")
        for section in action.get("sections", []):
            if section.get("title"):
                lines.append(f"  {section['title']}:")
            for row in section.get("rows", []):
                description = f" — {row['description']}" if row.get("description") else ""
                lines.append(f"   • {row.get('title', '')}{description}")
        return "\n".join(lines)
    if kind == "template" and isinstance(content, dict):
        return f"[template {content.get('name', '?')}]"
    if kind == "reaction" and isinstance(content, dict):
        return f"[reaction {content.get('emoji', '')}]"
    if isinstance(content, dict):
        caption = content.get("caption")
        return f"[{kind}] {caption}" if caption else f"[{kind}]"
    return f"[{kind}]"


def chat_once(
    target: ChatTarget,
    text: str,
    *,
    wa_id: str,
    name: str,
    timeout: float,
    console: Console,
    client: httpx.Client | None = None,
) -> int:
    """Send one text, print the replies; exit code 0 with a reply, 1 without, 2 if refused."""
    http = client or httpx.Client(timeout=10.0)
    try:
        watcher = ReplyWatcher(target, wa_id)
        watcher.prime(http)
        response = post_text(http, target, wa_id, name, text)
        if response.status_code != 200:
            console.print(f"gateway answered {response.status_code}: {escape(response.text)}")
            return 2
        replies = watcher.wait(http, timeout=timeout)
    finally:
        if client is None:
            http.close()
    for record in replies:
        console.print(escape(render_reply(record)), soft_wrap=True)
    if not replies:
        console.print(f"no reply within {timeout:.0f} s", style="red")
        return 1
    return 0


def chat_interactive(
    target: ChatTarget, *, wa_id: str, name: str, timeout: float, console: Console
) -> int:
    """A terminal conversation: type a line, see Bancone's replies; Ctrl-D or /quit ends it."""
    console.print(
        f"[bold]Bancone chat[/] as [cyan]{escape(name)}[/] (+{escape(wa_id)}) → "
        f"{escape(target.gateway_url)}  ·  /quit to leave"
    )

    def show(record: dict[str, Any]) -> None:
        console.print("[bold magenta]Bancone[/]> " + escape(render_reply(record)), soft_wrap=True)

    with httpx.Client(timeout=10.0) as http:
        watcher = ReplyWatcher(target, wa_id)
        watcher.prime(http)
        while True:
            try:
                line = console.input("[bold green]Tu[/]> ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
            if line in ("/quit", "/exit"):
                return 0
            if not line:
                continue
            try:
                response = post_text(http, target, wa_id, name, line)
            except httpx.HTTPError as error:
                console.print(f"[red]gateway unreachable: {escape(str(error))}[/]")
                continue
            if response.status_code != 200:
                console.print(f"[red]gateway answered {response.status_code}[/]")
                continue
            with console.status("Bancone sta scrivendo…"):
                replies = watcher.wait(http, timeout=timeout, on_reply=show)
            if not replies:
                console.print(f"[yellow](no reply within {timeout:.0f} s)[/]")
