"""`create_app(script)`: the scripted OpenAI-compatible server as a FastAPI application.

Model side: `POST /v1/chat/completions` (non-streaming; tools and tool results as OpenAI
sends them), `GET /v1/models`. Control side, for tests and the eval: `PUT /script` loads a
script (and resets its counters), `GET /script/requests` lists the request bodies received
(`DELETE` forgets them), `POST /script/hold {"match": regex}` parks every request whose
message texts match until `POST /script/release {"match": regex}`, `GET /script/holds`
says how many requests wait at each gate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bancone_scripted_llm.script import Script
from bancone_scripted_llm.state import Recorded, ScriptState, texts_of


class GateBody(BaseModel):
    match: str


def state_of(request: Request) -> ScriptState:
    return cast(ScriptState, request.app.state.script_state)


def create_app(script: Script | None = None) -> FastAPI:
    state = ScriptState()
    state.load(script or Script())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.closing.set()
            state.release_all()

    app = FastAPI(title="Bancone scripted LLM", lifespan=lifespan)
    app.state.script_state = state

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "messages is required")
        if body.get("stream"):
            return _error(400, "streaming is not scripted")
        recorded = Recorded(body=body, authorization=request.headers.get("authorization"))
        state.requests.append(recorded)
        await state.wait_at_gates(texts_of(body))
        decision = state.decide(body, recorded)
        await state.pause(decision.delay_seconds)
        return JSONResponse(decision.body, status_code=decision.status, headers=decision.headers)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "bancone-scripted"}
                for name in state.script.models
            ],
        }

    @app.put("/script")
    async def load_script(script: Script) -> dict[str, Any]:
        state.load(script)
        return {"rules": len(script.rules), "failures": len(script.failures)}

    @app.get("/script")
    async def current_script() -> Script:
        return state.script

    @app.get("/script/requests")
    async def requests() -> list[dict[str, Any]]:
        return [
            {"body": r.body, "authorization": r.authorization, "answered_by": r.answered_by}
            for r in state.requests
        ]

    @app.delete("/script/requests", status_code=204)
    async def forget_requests() -> None:
        state.requests.clear()

    @app.post("/script/hold")
    async def hold(gate: GateBody) -> dict[str, Any]:
        try:
            state.hold(gate.match)
        except Exception as error:  # re.error: a bad regex is the caller's mistake
            raise HTTPException(422, f"not a regex: {error}") from error
        return {"match": gate.match}

    @app.post("/script/release")
    async def release(gate: GateBody) -> dict[str, Any]:
        return {"match": gate.match, "released": state.release(gate.match)}

    @app.get("/script/holds")
    async def holds() -> list[dict[str, Any]]:
        return [
            {"match": h.pattern, "waiting": h.waiting, "passed": h.passed}
            for h in state.holds.values()
        ]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
        status_code=status,
    )
