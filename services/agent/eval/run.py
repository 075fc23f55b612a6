"""`make eval`: the agent's assistant on the labelled cases in `cases.json`, against the demo shop.

    uv run python services/agent/eval/run.py                      # offline, or the LLM if
                                                                  # BANCONE_LLM_BASE_URL is set
    uv run python services/agent/eval/run.py --scripted           # the scripted LLM (eval script)
    uv run python services/agent/eval/run.py --llm-base-url URL [--llm-model M]   # any endpoint

The shop's data is real: the catalog service's own app and migrations on a temporary SQLite
file, the demo catalogue (`deploy/local/demo/enoteca.json`) imported through its import
route, and the agent's `HttpShopTools` calling it in process. Ingest is not running (no
embedding model here), so tools take the path they take when ingest is down: the catalog's
keyword search for products, the catalog's FAQ and offer lists for knowledge. The demo's
agent configuration (`deploy/local/demo/agent-config.json`) is used when present.
Cases run one after another, through one assistant, as one agent process would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
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
from bancone_catalog.entrypoints.catalog_api import router as catalog_router
from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_scripted_llm import running_scripted_llm

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[3]))  # the demo shop in memory (test helper)
from scoring import CaseFile, Outcome, Shop, score, summary, table

from services.agent.tests.support.memory_shop import demo_shop

HERE = Path(__file__).parent
REPO = HERE.parents[2]
DEMO_DATA = REPO / "deploy" / "local" / "demo" / "enoteca.json"
DEMO_CONFIG = REPO / "deploy" / "local" / "demo" / "agent-config.json"
ADMIN_TOKEN = "eval-admin-token"  # noqa: S105 - a throwaway in-process catalog
CATALOG, INGEST = "http://catalog.eval", "http://ingest.eval"


def _ingest_down() -> FastAPI:
    """Ingest as the agent meets it when the index is empty: no hits, so tools fall back."""
    app = FastAPI()

    @app.post("/v1/tenants/{tenant_id}/search")
    async def search(tenant_id: str) -> dict[str, list[object]]:
        return {"hits": []}

    return app


@asynccontextmanager
async def demo_catalog(tenant_id: str) -> AsyncIterator[httpx.AsyncClient]:
    """The catalog service in process on a fresh SQLite file with the demo shop imported."""
    with tempfile.TemporaryDirectory(prefix="bancone-eval-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/catalog.sqlite"
        await upgrade_database(url, "bancone_catalog.migrations")
        settings = CatalogSettings(database_url=url, admin_token=ADMIN_TOKEN)
        engine = create_engine(url)
        app = build_http_app(settings, [])
        app.state.session_factory = session_factory(engine)
        app.include_router(catalog_router)
        mounts = {
            CATALOG: httpx.ASGITransport(app=app),
            INGEST: httpx.ASGITransport(app=_ingest_down()),
        }
        try:
            async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
                response = await http.post(
                    f"{CATALOG}/v1/tenants/{tenant_id}/import",
                    content=DEMO_DATA.read_bytes(),
                    headers={
                        "content-type": "application/json",
                        "authorization": f"Bearer {ADMIN_TOKEN}",
                    },
                )
                response.raise_for_status()
                yield http
        finally:
            await engine.dispose()


def _agent_config(shop_name: str) -> AgentConfig:
    if DEMO_CONFIG.exists():
        return AgentConfig.model_validate_json(DEMO_CONFIG.read_text(encoding="utf-8"))
    return AgentConfig(shop_name=shop_name)


def _options(args: argparse.Namespace, stack: AsyncExitStack) -> tuple[LlmOptions, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = LlmOptions.from_settings(AgentSettings())
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


async def run(args: argparse.Namespace, cases_file: CaseFile) -> list[Outcome]:
    cases = [
        c
        for c in cases_file.cases
        if (not args.category or c.category in args.category)
        and (not args.lang or c.lang in args.lang)
    ]
    tenant_id = cases_file.shop.get("tenant_id", "demo")
    shop_name = cases_file.shop.get("shop_name", "Enoteca Bancone")
    config = _agent_config(shop_name)
    memory = demo_shop(DEMO_DATA)
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
        http = await stack.enter_async_context(demo_catalog(tenant_id))
        for case in cases:
            tools = HttpShopTools(tenant_id, CATALOG, INGEST, http, timeout=30, attempts=1)
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
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    logging.disable(logging.WARNING)
    cases_file = CaseFile.model_validate_json(Path(args.cases).read_text(encoding="utf-8"))
    outcomes = asyncio.run(run(args, cases_file))
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
