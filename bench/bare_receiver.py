"""The bare-receiver baseline of `bench/webhook_load.py`: what any webhook endpoint must do
(read the body, check its HMAC signature, parse the JSON, answer 200) and nothing durable.

    uv run python bench/bare_receiver.py --port 9700 --app-secret S

Served by uvicorn with the same options as the services (`bancone_kit.cli`), so the gateway's
ratio to it measures the gateway's own work, not the server's.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


def build_app(app_secret: str) -> FastAPI:
    app = FastAPI()
    key = app_secret.encode()

    @app.post("/webhooks/whatsapp")
    async def receive(request: Request) -> Response:
        body = await request.body()
        given = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"detail": "bad signature"}, status_code=401)
        payload = json.loads(body)
        return JSONResponse({"status": "accepted", "entries": len(payload.get("entry", []))})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-secret", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.app_secret),
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
