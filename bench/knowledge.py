"""Knowledge from documents, measured on the whole platform: how fast a PDF is ingested, and
how well the demo shop's sample documents answer questions.

    uv run --all-packages python bench/knowledge.py [--state-dir .bancone/bench-knowledge]
        [--port-offset 500] [--pages 100] [--runs 1] [--keep-state]

Starts `deploy/local/run.py` in its own state dir and ports (its own Kafka), on the offline
assistant, logs in as the demo shop's owner and, through the gateway's API (as the console and
`bancone knowledge add` do):

1. uploads the sample documents of `deploy/local/demo/knowledge` (PDF, Markdown, HTML, text)
   and waits until each is indexed;
2. asks the it/en/es questions of `bench/knowledge_set.json` to ingest's search (documents
   only, 3 hits): recall@3 is the share of questions with a passage of the right document in
   the top 3 (and, stricter, one holding the answer's fact);
3. sends the same questions as signed WhatsApp webhooks and reads the replies in the sandbox:
   the share that cite the right document, and that state the fact;
4. uploads a generated 100-page PDF (`--pages`) and times upload → job `indexed`, polling the
   job every 0.5 s (the same ingest process serves the polls): pages per second end to end,
   and the time spent in each job state.

Prints the tables, saves every answer as `<state-dir>/knowledge.json`, stops the platform.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich import box
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `bench` as a package, run as a file
from bancone_cli.operator_login import log_in_async
from bench.harness import (
    LLM_VARIABLES,
    REPO,
    RunEnv,
    console,
    machine_line,
    run_main,
    running_platform,
    say,
)
from bench.pdf import minimal_pdf
from bench.traffic import SandboxWatcher, ask_and_wait

SAMPLES = REPO / "deploy" / "local" / "demo" / "knowledge"
QUESTION_SET = Path(__file__).resolve().parent / "knowledge_set.json"
POLL_SECONDS = 0.5
TOP_K = 3


# -- the API ---------------------------------------------------------------------------------


class Api:
    """The demo shop's document, job and search routes on the gateway, as its owner."""

    def __init__(self, client: httpx.AsyncClient, env: RunEnv, token: str) -> None:
        self.client = client
        self.base = f"{env.gateway_url}/v1/tenants/{env.tenant_id}"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def upload(self, filename: str, data: bytes, title: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.base}/documents",
            files={"file": (filename, data, "application/octet-stream")},
            data={"title": title},
            headers=self.headers,
        )
        if response.status_code != 202:
            raise RuntimeError(f"upload of {filename}: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body

    async def job(self, job_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"{self.base}/ingestion-jobs/{job_id}", headers=self.headers
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def search(self, text: str, limit: int = TOP_K) -> list[dict[str, Any]]:
        response = await self.client.post(
            f"{self.base}/search",
            json={"text": text, "kinds": ["document"], "limit": limit},
            headers=self.headers,
        )
        response.raise_for_status()
        hits: list[dict[str, Any]] = response.json()["hits"]
        return hits


@dataclass
class Ingestion:
    """One document's job followed from its upload: when each state was first seen."""

    filename: str
    size_bytes: int
    document_id: str = ""
    seconds: float = 0.0
    """Upload POST sent → job seen `indexed` (or `failed`)."""
    state: str = ""
    reason: str | None = None
    pages: int | None = None
    chunks: int | None = None
    first_seen: dict[str, float] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float | None:
        return self.pages / self.seconds if self.pages and self.seconds else None


async def ingest(api: Api, filename: str, data: bytes, title: str, within: float) -> Ingestion:
    """Upload and poll the job until it is final, noting when each state first showed."""
    result = Ingestion(filename, len(data))
    started = time.monotonic()
    document = await api.upload(filename, data, title)
    job = document["job"]
    while True:
        elapsed = time.monotonic() - started
        result.first_seen.setdefault(job["state"], elapsed)
        if job["state"] in ("indexed", "failed"):
            break
        if elapsed > within:
            raise RuntimeError(f"{filename}: still {job['state']} after {within:.0f}s")
        await asyncio.sleep(POLL_SECONDS)
        job = await api.job(job["job_id"])
    result.seconds = time.monotonic() - started
    result.state, result.reason = job["state"], job.get("reason")
    result.pages, result.chunks = job.get("pages_total"), job.get("chunks_total")
    result.document_id = document["document_id"]
    return result


# -- the generated PDF -------------------------------------------------------------------------

_WINES = (
    "Barolo",
    "Barbaresco",
    "Chianti Classico",
    "Brunello di Montalcino",
    "Amarone",
    "Nero d'Avola",
    "Primitivo",
    "Vermentino",
    "Verdicchio",
    "Franciacorta",
    "Lambrusco",
    "Montepulciano d'Abruzzo",
    "Sagrantino",
    "Aglianico",
    "Greco di Tufo",
    "Soave",
)
_NOTES = (
    "profumi di ciliegia e viola",
    "tannino fine e lungo",
    "note di spezie dolci e tabacco",
    "sapidità minerale",
    "frutta rossa matura",
    "acidità vivace",
    "finale ammandorlato",
    "sentori di agrumi e fiori bianchi",
    "bollicina fine e persistente",
    "corpo pieno e caldo",
)
_PAIRINGS = (
    "brasati e selvaggina",
    "pasta al ragù",
    "pesce alla griglia",
    "formaggi stagionati",
    "salumi toscani",
    "risotto ai funghi",
    "pizza margherita",
    "crostacei",
    "dolci secchi",
)


def catalogue_pages(count: int, lines_per_page: int = 38, seed: int = 14) -> list[list[str]]:
    """A wine list of `count` pages: a heading and full lines of varied text on each."""
    rng = random.Random(seed)
    pages = []
    for number in range(1, count + 1):
        wine = _WINES[number % len(_WINES)]
        lines = [f"Scheda {number}: {wine} selezione {1990 + number % 35}"]
        while len(lines) < lines_per_page:
            lines.append(
                f"Il {rng.choice(_WINES)} della cantina {number}-{len(lines)} ha "
                f"{rng.choice(_NOTES)}, con {rng.choice(_NOTES)}; si abbina a "
                f"{rng.choice(_PAIRINGS)} e si serve a {rng.randint(8, 18)} gradi."
            )
        pages.append(lines)
    return pages


# -- questions -------------------------------------------------------------------------------


@dataclass
class Answer:
    language: str
    question: str
    document: str
    fact: str
    rank: int | None = None
    """1-based rank of the first passage of the right document in the search, None if not in
    the top 3."""
    fact_in_top: bool = False
    reply: str = ""
    cites: bool = False
    states_fact: bool = False


async def retrieval(
    api: Api, questions: Sequence[dict[str, Any]], ids: dict[str, str]
) -> list[Answer]:
    answers = []
    for q in questions:
        answer = Answer(q["language"], q["text"], q["document"], q["fact"])
        hits = await api.search(q["text"])
        for position, hit in enumerate(hits[:TOP_K], start=1):
            if hit["payload"].get("document_id") == ids[q["document"]] and answer.rank is None:
                answer.rank = position
            if q["fact"].casefold() in hit["text"].casefold():
                answer.fact_in_top = True
        answers.append(answer)
    return answers


async def assistant(
    client: httpx.AsyncClient,
    env: RunEnv,
    answers: list[Answer],
    titles: dict[str, str],
    within: float,
) -> None:
    run = f"{int(time.time()) % 100000:05d}"
    async with SandboxWatcher(client, env) as watcher:
        for index, answer in enumerate(answers):
            sent = await ask_and_wait(
                client, env, watcher, f"39{run}7{index:03d}", answer.question, within
            )
            answer.reply = sent.reply
            answer.cites = titles[answer.document].casefold() in sent.reply.casefold()
            answer.states_fact = answer.fact.casefold() in sent.reply.casefold()


# -- tables ----------------------------------------------------------------------------------


def _rate(values: Sequence[bool]) -> str:
    return f"{sum(values) / len(values):.2f} ({sum(values)}/{len(values)})" if values else "-"


def quality_table(answers: list[Answer], *, asked_assistant: bool) -> Table:
    table = Table(
        title="Sample documents: retrieval (search, documents only) and the offline assistant",
        box=box.MARKDOWN,
    )
    table.add_column("questions")
    table.add_column("n", justify="right")
    table.add_column("R@1 doc", justify="right")
    table.add_column("R@3 doc", justify="right")
    table.add_column("R@3 fact", justify="right")
    if asked_assistant:
        table.add_column("reply cites doc", justify="right")
        table.add_column("reply states fact", justify="right")
    groups = [(lang, [a for a in answers if a.language == lang]) for lang in ("it", "en", "es")]
    for label, group in [*groups, ("all", answers)]:
        row = [
            label,
            str(len(group)),
            _rate([a.rank == 1 for a in group]),
            _rate([a.rank is not None for a in group]),
            _rate([a.fact_in_top for a in group]),
        ]
        if asked_assistant:
            row += [_rate([a.cites for a in group]), _rate([a.states_fact for a in group])]
        table.add_row(*row)
    return table


def answers_table(answers: list[Answer]) -> Table:
    table = Table(title="Per question", box=box.MARKDOWN)
    for column in ("lang", "question", "doc", "rank", "fact in top 3", "reply (first 70 chars)"):
        table.add_column(column)
    for a in answers:
        reply = " ".join(a.reply.split())[:70]
        table.add_row(
            a.language,
            a.question,
            a.document,
            str(a.rank or "-"),
            "yes" if a.fact_in_top else "no",
            reply,
        )
    return table


def ingestion_table(runs: list[Ingestion], title: str) -> Table:
    table = Table(title=title, box=box.MARKDOWN)
    for column in (
        "document",
        "KiB",
        "pages",
        "passages",
        "state",
        "upload → indexed s",
        "pages/s",
        "queued→extracting s",
        "extracting s",
        "embedding s",
        "→ indexed s",
    ):
        table.add_column(column, justify="left" if column in ("document", "state") else "right")
    for run in runs:
        seen = run.first_seen

        def span(start: str, end: str, seen: dict[str, float] = seen) -> str:
            return f"{seen[end] - seen[start]:.1f}" if start in seen and end in seen else "-"

        pps = run.pages_per_second
        table.add_row(
            run.filename,
            f"{run.size_bytes / 1024:.0f}",
            str(run.pages or "-"),
            str(run.chunks or "-"),
            run.state + (f" ({run.reason})" if run.reason else ""),
            f"{run.seconds:.1f}",
            f"{pps:.1f}" if pps else "-",
            f"{seen.get('extracting', 0.0):.1f}",
            span("extracting", "embedding"),
            span("embedding", "indexed"),
            f"{run.seconds:.1f}",
        )
    return table


# -- the run ---------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> int:
    console.rule("[bold]bench/knowledge.py[/]")
    load_start = machine_line()
    say(f"machine at start: {load_start}")
    question_set = json.loads(QUESTION_SET.read_text(encoding="utf-8"))
    documents = question_set["documents"]
    titles = {d["key"]: d["title"] for d in documents}
    async with (
        running_platform(
            Path(args.state_dir), args.port_offset, unset=LLM_VARIABLES, fresh=not args.keep_state
        ) as platform,
        httpx.AsyncClient(timeout=60.0) as client,
    ):
        env = platform.env
        token = await log_in_async(client, env.gateway_url, env.owner_email, env.owner_password)
        api = Api(client, env, token)

        say(f"uploading {len(documents)} sample documents")
        samples, ids = [], {}
        for d in documents:
            data = (SAMPLES / d["file"]).read_bytes()
            done = await ingest(api, d["file"], data, d["title"], args.job_timeout)
            samples.append(done)
            ids[d["key"]] = done.document_id
            say(f"{d['file']}: {done.state} in {done.seconds:.1f}s, {done.chunks} passages")

        say(f"{len(question_set['questions'])} questions to search")
        answers = await retrieval(api, question_set["questions"], ids)
        if not args.no_assistant:
            say("the same questions as WhatsApp messages (offline assistant)")
            await assistant(client, env, answers, titles, args.reply_timeout)

        pdf = minimal_pdf(catalogue_pages(args.pages), title="Schede dei vini")
        runs: list[Ingestion] = []
        for run in range(args.runs):
            say(f"{args.pages}-page PDF ({len(pdf) / 1024:.0f} KiB), run {run + 1} of {args.runs}")
            done = await ingest(
                api, f"schede-{run + 1}.pdf", pdf, f"Schede dei vini {run + 1}", args.job_timeout
            )
            runs.append(done)
            say(f"{done.state} in {done.seconds:.1f}s ({done.chunks} passages)")
        load_end = machine_line()

    console.print()
    console.print(
        ingestion_table(
            runs, f"A generated {args.pages}-page PDF: upload → indexed (through the gateway)"
        )
    )
    console.print()
    console.print(ingestion_table(samples, "The sample documents: upload → indexed"))
    console.print()
    console.print(quality_table(answers, asked_assistant=not args.no_assistant))
    console.print()
    console.print(answers_table(answers))
    saved = platform.state / "knowledge.json"
    saved.write_text(
        json.dumps(
            {
                "machine_start": load_start,
                "machine_end": load_end,
                "pdf_runs": [asdict(r) for r in runs],
                "samples": [asdict(s) for s in samples],
                "answers": [asdict(a) for a in answers],
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    console.print(f"every answer: {saved}; service logs: {platform.state / 'logs'}")
    console.print(f"broker: {platform.broker}")
    console.print(f"machine at start: {load_start}")
    console.print(f"machine at end: {load_end}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--state-dir", default=str(REPO / ".bancone" / "bench-knowledge"))
    parser.add_argument("--port-offset", type=int, default=500)
    parser.add_argument("--pages", type=int, default=100, help="pages of the generated PDF (100)")
    parser.add_argument("--runs", type=int, default=1, help="uploads of the generated PDF (1)")
    parser.add_argument("--job-timeout", type=float, default=900.0)
    parser.add_argument("--reply-timeout", type=float, default=60.0)
    parser.add_argument("--no-assistant", action="store_true", help="search only, no WhatsApp")
    parser.add_argument("--keep-state", action="store_true", help="reuse the state dir")
    args = parser.parse_args()
    return run_main(lambda: bench(args))


if __name__ == "__main__":
    raise SystemExit(main())
