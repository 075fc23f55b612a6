"""`make eval`: the agent's assistant on the labelled cases of `cases/dev.json` and `cases/test.json`.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import Turn
from bancone_agent.domain.assistant import Reply
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.escalation import CustomerSaid, before_turn, holding_message
from bancone_agent.domain.memory import Memory
from bancone_agent.domain.recall import remember_turn
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.domain.understanding import Intent
from bancone_agent.settings import AgentSettings
from bancone_scripted_llm import running_scripted_llm

sys.path.insert(0, str(Path(__file__).parent))
from catalog_process import demo_catalog
from demo_data import DemoShop, load_demo_shop
from eval_tokens import EvalIssuer
from scoring import Case, CaseFile, Outcome, Shop, score, summary, table
from tool_timer import TimedTools

ISSUER = EvalIssuer()
"""Signs the eval's operator tokens; the demo catalog trusts its JWKS."""
HERE = Path(__file__).parent
REPO = HERE.parents[2]
SHOPS = HERE / "shops.json"
SPLITS = ("dev", "test")
INGEST = "http://ingest.eval"
SCRIPTED_HEADING = (
    "the LLM path through the scripted OpenAI-compatible server (services/agent/eval/scripted.json)"
)
TURN_GAP = timedelta(minutes=1)
"""Simulated time between a multi-turn case's messages."""


@dataclass(frozen=True)
class EvalShop:
    """One shop of `shops.json`: its tenant, import file, agent configuration and data."""

    key: str
    tenant_id: str
    data: Path
    config: AgentConfig
    judge: Shop


def load_shops() -> dict[str, EvalShop]:
    manifest = json.loads(SHOPS.read_text(encoding="utf-8"))["shops"]
    loaded: dict[str, tuple[str, Path, AgentConfig, DemoShop]] = {}
    for key, entry in manifest.items():
        data = (HERE / entry["data"]).resolve()
        config = AgentConfig.model_validate_json((HERE / entry["config"]).read_text("utf-8"))
        loaded[key] = (entry["tenant_id"], data, config, load_demo_shop(data))
    shops: dict[str, EvalShop] = {}
    for key, (tenant_id, data, config, own) in loaded.items():
        foreign = [p for other, v in loaded.items() if other != key for p in v[3].products]
        judge = Shop(
            products=own.products,
            knowledge=[*own.faqs, *own.offers],
            texts=(config.shop_name, config.business_context),
            foreign=foreign,
        )
        shops[key] = EvalShop(key, tenant_id, data, config, judge)
    return shops


def _ingest_down() -> FastAPI:
    """Ingest as the agent meets it when the index is empty: no hits, so tools fall back."""
    app = FastAPI()

    @app.post("/v1/tenants/{tenant_id}/search")
    async def search(tenant_id: str) -> dict[str, list[object]]:
        return {"hits": []}

    return app


@asynccontextmanager
async def shop_http(shops: dict[str, EvalShop]) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An HTTP client reaching the catalog process serving every shop (and ingest, down),
    and the catalog's URL."""
    tenants = {s.tenant_id: s.data for s in shops.values()}
    with tempfile.TemporaryDirectory(prefix="bancone-eval-") as tmp:
        async with demo_catalog(Path(tmp), tenants, ISSUER) as catalog_url:
            mounts = {INGEST: httpx.ASGITransport(app=_ingest_down())}
            async with httpx.AsyncClient(mounts=mounts, timeout=30) as http:
                yield http, catalog_url


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


def _selected(args: argparse.Namespace, cases: Sequence[Case]) -> list[Case]:
    return [
        c
        for c in cases
        if (not args.category or c.category in args.category)
        and (not args.lang or c.lang in args.lang)
        and (not args.shop or c.shop in args.shop)
    ]


async def run_case(
    assistant: LlmAssistant, shop: EvalShop, case: Case, tools: HttpShopTools, start: datetime
) -> Outcome:
    """The case's messages in order, in one conversation that remembers; the last one judged.

    Each message meets what the agent's handler puts before the assistant: the shop's
    escalation rules (a hand-off request, a configured keyword or topic) hand the turn to a
    person with the holding message, and no assistant runs. Latency is the judged turn's wall
    time from reading its message to the reply, and its own share with the tools' waits
    subtracted (`tool_timer.py`)."""
    memory = Memory()
    reply = None
    latency = own = 0.0
    timed = TimedTools(tools)
    for n, text in enumerate((*case.before, case.text)):
        timed.reset()
        started = time.perf_counter()  # reading the message (building the turn) counts too
        turn = Turn(
            tenant_id=shop.tenant_id,
            conversation_id=f"eval-{case.id}",
            text=text,
            shop_name=shop.config.shop_name,
            default_language=shop.config.default_language,
            config=shop.config,
            memory=memory,
        )
        reply = _rules_reply(turn, start + n * TURN_GAP) or await assistant.respond(turn, timed)
        latency = (time.perf_counter() - started) * 1000
        own = latency - timed.waited * 1000
        memory = remember_turn(turn, reply, start + n * TURN_GAP)
    return score(case, reply, latency, shop.judge, own_ms=own)


def _rules_reply(turn: Turn, now: datetime) -> Reply | None:
    """The holding message and a hand-off when the shop's escalation rules take the turn
    before any assistant (as `handlers.py` does with `before_turn`); None otherwise."""
    said = CustomerSaid(turn.text, understanding=turn.understanding)
    escalation = before_turn((said,), turn.config.escalation)
    if escalation is None:
        return None
    return Reply(
        text=holding_message(turn.config, turn.language, now),
        language=turn.language,
        intent=Intent.HUMAN_REQUEST,
        wants_human=True,
        escalation_reason=escalation.reason,
        run=TurnRun(assistant="rules", outcome=TurnOutcome.ESCALATED),
    )


async def run(
    args: argparse.Namespace,
    split: str,
    cases: Sequence[Case],
    shops: dict[str, EvalShop],
    http: tuple[httpx.AsyncClient, str],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    client, catalog_url = http
    async with AsyncExitStack() as stack:
        options, label = _options(args, stack)
        print(f"eval [{split}]: {len(cases)} cases, {label}, shops {', '.join(shops)}")
        assistant = LlmAssistant(options)
        stack.push_async_callback(assistant.aclose)
        start = datetime.now(UTC)
        for case in cases:
            shop = shops[case.shop]
            tools = HttpShopTools(
                shop.tenant_id,
                catalog_url,
                INGEST,
                client,
                timeout=30,
                attempts=1,
                credentials=ISSUER,
            )
            outcome = await run_case(assistant, shop, case, tools, start)
            outcomes.append(outcome)
            if args.verbose and (not outcome.correct or outcome.invented):
                _show(outcome)
    return outcomes


def _show(o: Outcome) -> None:
    flags = [*o.problems, *(f"INVENTED {i}" for i in o.invented)]
    print(f"\n[{o.case.id}] {' / '.join((*o.case.before, o.case.text))}")
    print(f"  -> ({o.assistant}/{o.outcome}, {o.language}) {o.text!r}")
    print(f"  !! {'; '.join(flags)}" + (f"  (error: {o.error})" if o.error else ""))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases-dir", default=str(HERE / "cases"))
    parser.add_argument(
        "--split", action="append", choices=SPLITS, help="only these splits (default: both)"
    )
    parser.add_argument("--scripted", action="store_true", help="the scripted LLM server")
    parser.add_argument("--llm-base-url", default=None, help="an OpenAI-compatible endpoint")
    parser.add_argument("--llm-model", default=None)
    parser.add_argument("--llm-api-key", default=os.environ.get("BANCONE_LLM_API_KEY"))
    parser.add_argument("--category", action="append", help="only these categories (kinds)")
    parser.add_argument("--lang", action="append", help="only these languages")
    parser.add_argument("--shop", action="append", help="only these shops (shops.json keys)")
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
        again = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--then-scripted"]
        passes.append(parser.parse_args([*again, "--scripted"]))
    splits = {
        name: CaseFile.model_validate_json(
            (Path(args.cases_dir) / f"{name}.json").read_text("utf-8")
        )
        for name in (args.split or SPLITS)
    }
    # SIGTERM unwinds like Ctrl-C, so the catalog process and its broker are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    rows = asyncio.run(evaluate(passes, splits))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def evaluate(
    passes: Sequence[argparse.Namespace], splits: dict[str, CaseFile]
) -> list[dict[str, object]]:
    """Each pass over each split: its cases, tables and summary, on one catalog process; every
    outcome as a row for `--json`."""
    shops = load_shops()
    rows: list[dict[str, object]] = []
    async with shop_http(shops) as http:
        for number, args in enumerate(passes):
            if number:
                print()
                print(f"==> eval: {SCRIPTED_HEADING}")
            for split, cases_file in splits.items():
                outcomes = await run(args, split, _selected(args, cases_file.cases), shops, http)
                _report(split, outcomes)
                rows.extend(_rows(args, split, outcomes))
    return rows


def _report(split: str, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    print()
    print(f"-- {split} split, by kind")
    print(table(outcomes))
    print(f"-- {split} split, by language")
    print(table(outcomes, by=lambda o: o.case.lang, heading="language"))
    print()
    print(summary(outcomes))


def _rows(args: argparse.Namespace, split: str, outcomes: list[Outcome]) -> list[dict[str, object]]:
    return [
        {
            "split": split,
            "pass": "scripted" if args.scripted else "configured",
            "id": o.case.id,
            "turns": [*o.case.before, o.case.text],
            "reply": o.text,
            "correct": o.correct,
            "problems": o.problems,
            "invented": o.invented,
            "language": o.language,
            "own_words_language": o.own_words_language,
            "shop_text_in_language": o.shop_text_in_language,
            "escalated": o.wants_human,
            "assistant": o.assistant,
            "outcome": o.outcome,
            "tokens": o.tokens,
            "latency_ms": round(o.latency_ms, 1),
            "own_ms": round(o.own_ms, 2),
            "error": o.error,
        }
        for o in outcomes
    ]


if __name__ == "__main__":
    raise SystemExit(main())
