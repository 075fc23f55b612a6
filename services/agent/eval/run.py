"""`make eval`: the agent's assistant on the labelled cases in `cases.json`, against the demo shop.

    uv run python services/agent/eval/run.py                      # offline, or the LLM if
                                                                  # BANCONE_LLM_BASE_URL is set
    uv run python services/agent/eval/run.py --scripted           # the scripted LLM (eval script)
    uv run python services/agent/eval/run.py --llm-base-url URL [--llm-model M]   # any endpoint
    uv run python services/agent/eval/run.py --then-scripted      # make eval: both, one catalog

The shop's data is real: a catalog PROCESS (`bancone-catalog migrate` + `serve` on a
temporary SQLite file, a free port and a private broker, see `catalog_process.py`), the demo
catalogue (`deploy/local/demo/enoteca.json`) imported through its HTTP import route, and the
agent's `HttpShopTools` calling it over HTTP. Ingest is not running (no embedding model here),
so tools take the path they take when ingest is down: the catalog's keyword search for
products, the catalog's FAQ and offer lists for knowledge. The demo's agent configuration
(`deploy/local/demo/agent-config.json`) is used when present.
Cases run one after another, through one assistant, as one agent process would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import Turn
from bancone_agent.domain.config import AgentConfig
from bancone_agent.settings import AgentSettings
from bancone_scripted_llm import running_scripted_llm

sys.path.insert(0, str(Path(__file__).parent))
from catalog_process import demo_catalog
from demo_data import load_demo_shop
from eval_tokens import EvalIssuer
from scoring import CaseFile, Outcome, Shop, score, summary, table

ISSUER = EvalIssuer()
"""Signs the eval's operator tokens; the demo catalog trusts its JWKS."""
HERE = Path(__file__).parent
REPO = HERE.parents[2]
DEMO_DATA = REPO / "deploy" / "local" / "demo" / "enoteca.json"
DEMO_CONFIG = REPO / "deploy" / "local" / "demo" / "agent-config.json"
INGEST = "http://ingest.eval"
SCRIPTED_HEADING = (
    "the LLM path through the scripted OpenAI-compatible server (services/agent/eval/scripted.json)"
)


def _ingest_down() -> FastAPI:
    """Ingest as the agent meets it when the index is empty: no hits, so tools fall back."""
    app = FastAPI()

    @app.post("/v1/tenants/{tenant_id}/search")
    async def search(tenant_id: str) -> dict[str, list[object]]:
        return {"hits": []}

    return app


@asynccontextmanager
async def shop_http(tenant_id: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An HTTP client reaching the demo catalog process (and ingest, down), and its URL."""
    with tempfile.TemporaryDirectory(prefix="bancone-eval-") as tmp:
        async with demo_catalog(Path(tmp), tenant_id, DEMO_DATA, ISSUER) as catalog_url:
            mounts = {INGEST: httpx.ASGITransport(app=_ingest_down())}
            async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
                yield http, catalog_url


class Catalogs:
    """The demo catalog processes of a whole `make eval`: both passes share one per tenant, so
    the processes start once."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack
        self._open: dict[str, tuple[httpx.AsyncClient, str]] = {}

    async def open(self, tenant_id: str) -> tuple[httpx.AsyncClient, str]:
        if tenant_id not in self._open:
            self._open[tenant_id] = await self._stack.enter_async_context(shop_http(tenant_id))
        return self._open[tenant_id]


def _agent_config(shop_name: str) -> AgentConfig:
    if DEMO_CONFIG.exists():
        return AgentConfig.model_validate_json(DEMO_CONFIG.read_text(encoding="utf-8"))
    return AgentConfig(shop_name=shop_name)


def _options(args: argparse.Namespace, stack: AsyncExitStack) -> tuple[LlmOptions, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = LlmOptions.from_settings(AgentSettings(environment="dev"))
    if args.scripted:
        script = json.loads((HERE / "scripted.json").read_text(encoding="utf-8"))
        server = stack.enter_context(running_scripted_llm(script))
        options = LlmOptions(
            base_url=server.base_url, model="scripted", timeout_seconds=10, prices=options.prices
        )
    elif args.llm_base_url:
        options = LlmOptions(
            base_url=args.llm_base_url,
            api_key=args.llm_api_key or options.api_key,
            model=args.llm_model or options.model,
            timeout_seconds=options.timeout_seconds,
            max_retries=options.max_retries,
            prices=options.prices,
        )
    elif args.llm_model:
        options = LlmOptions(**{**options.__dict__, "model": args.llm_model})
    if options.base_url is None:
        return options, "offline assistant"
    label = "scripted LLM" if args.scripted else f"LLM {options.model} @ {options.base_url}"
    return options, label


async def run(args: argparse.Namespace, cases_file: CaseFile, catalogs: Catalogs) -> list[Outcome]:
    cases = [
        c
        for c in cases_file.cases
        if (not args.category or c.category in args.category)
        and (not args.lang or c.lang in args.lang)
    ]
    tenant_id = cases_file.shop.get("tenant_id", "demo")
    shop_name = cases_file.shop.get("shop_name", "Enoteca Bancone")
    config = _agent_config(shop_name)
    memory = load_demo_shop(DEMO_DATA)
    shop = Shop(
        products=memory.products,
        knowledge=[*memory.faqs, *memory.offers],
        texts=(shop_name, config.shop_name, config.business_context),
    )
    outcomes: list[Outcome] = []
    async with AsyncExitStack() as stack:
        options, label = _options(args, stack)
        print(f"eval: {len(cases)} cases, {label}, demo shop {shop_name!r} ({tenant_id})")
        assistant = LlmAssistant(options)
        stack.push_async_callback(assistant.aclose)
        http, catalog_url = await catalogs.open(tenant_id)
        for case in cases:
            tools = HttpShopTools(
                tenant_id, catalog_url, INGEST, http, timeout=30, attempts=1, credentials=ISSUER
            )
            turn = Turn(
                tenant_id=tenant_id,
                conversation_id=f"eval-{case.id}",
                text=case.text,
                shop_name=config.shop_name,
                default_language=config.default_language,
                config=config,
            )
            started = time.perf_counter()
            reply = await assistant.respond(turn, tools)
            latency = (time.perf_counter() - started) * 1000
            outcome = score(case, reply, latency, shop)
            outcomes.append(outcome)
            if args.verbose and (not outcome.correct or outcome.invented):
                _show(outcome)
    return outcomes


def _show(o: Outcome) -> None:
    flags = [*o.problems, *(f"INVENTED {i}" for i in o.invented)]
    print(f"\n[{o.case.id}] {o.case.text}")
    print(f"  -> ({o.assistant}/{o.outcome}, {o.language}) {o.text!r}")
    print(f"  !! {'; '.join(flags)}" + (f"  (error: {o.error})" if o.error else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", default=str(HERE / "cases.json"))
    parser.add_argument("--scripted", action="store_true", help="the scripted LLM server")
    parser.add_argument("--llm-base-url", default=None, help="an OpenAI-compatible endpoint")
    parser.add_argument("--llm-model", default=None)
    parser.add_argument("--llm-api-key", default=os.environ.get("BANCONE_LLM_API_KEY"))
    parser.add_argument("--category", action="append", help="only these categories")
    parser.add_argument("--lang", action="append", help="only these languages")
    parser.add_argument("--json", default=None, help="write every outcome to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="show failing cases")
    parser.add_argument(
        "--then-scripted",
        action="store_true",
        help="then every case again through the scripted LLM, on the same catalog (make eval)",
    )
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    logging.disable(logging.WARNING)
    passes = [args]
    if args.then_scripted:
        passes.append(parser.parse_args(["--scripted"]))
    cases = [CaseFile.model_validate_json(Path(a.cases).read_text("utf-8")) for a in passes]
    # SIGTERM unwinds like Ctrl-C, so the catalog process and its broker are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    asyncio.run(evaluate(list(zip(passes, cases, strict=True))))
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def evaluate(passes: Sequence[tuple[argparse.Namespace, CaseFile]]) -> None:
    """Each pass's cases, tables and summary, in order, on catalog processes they share."""
    async with AsyncExitStack() as stack:
        catalogs = Catalogs(stack)
        for number, (args, cases_file) in enumerate(passes):
            if number:
                print()
                print(f"==> eval: {SCRIPTED_HEADING}")
            outcomes = await run(args, cases_file, catalogs)
            _report(args, outcomes)


def _report(args: argparse.Namespace, outcomes: list[Outcome]) -> None:
    print()
    print(table(outcomes))
    print()
    print(summary(outcomes))
    if args.json:
        rows = [
            {
                "id": o.case.id,
                "text": o.case.text,
                "reply": o.text,
                "correct": o.correct,
                "problems": o.problems,
                "invented": o.invented,
                "language": o.language,
                "escalated": o.wants_human,
                "assistant": o.assistant,
                "outcome": o.outcome,
                "tokens": o.tokens,
                "latency_ms": round(o.latency_ms, 1),
                "error": o.error,
            }
            for o in outcomes
        ]
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
