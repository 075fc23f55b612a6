"""Tokens for the eval's private catalog: the eval plays the gateway's part.

Catalog routes verify operator tokens against a JWKS URL (`bancone_kit.auth`); the eval has no
gateway, so it signs its own tokens (Ed25519, `kid`, the claims the kit's verifier checks) and
serves their public key on a loopback port. Running code takes nothing from the kit's test
support, hence this small issuer of its own.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from bancone_kit.auth.claims import ALGORITHM, DEFAULT_ISSUER, OPERATOR_AUDIENCE

JWKS_PATH = "/.well-known/jwks.json"


class EvalIssuer:
    """Signs operator tokens for one throwaway catalog; also the agent's shop-tool credentials
    (a viewer of the tenant may read the catalogue)."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        self._kid = f"eval-{uuid.uuid4().hex[:8]}"

    def jwks(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self._kid, "alg": ALGORITHM, "use": "sig"}]}

    def token(self, tenant_id: str, role: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": DEFAULT_ISSUER,
            "aud": OPERATOR_AUDIENCE,
            "sub": "eval-operator",
            "kind": "operator",
            "tid": tenant_id,
            "role": role,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + timedelta(hours=2),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})

    async def headers(self, tenant_id: str, callee: str) -> dict[str, str]:
        """`ServiceCredentials` for the shop tools: a viewer's bearer for the tenant."""
        return {"Authorization": f"Bearer {self.token(tenant_id, 'viewer')}"}

    @contextmanager
    def serving_jwks(self) -> Iterator[str]:
        """The JWKS URL, served on a free loopback port until the block ends."""
        body = json.dumps(self.jwks()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path == JWKS_PATH
                self.send_response(200 if found else 404)
                self.send_header("content-type", "application/json")
                self.end_headers()
                if found:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}{JWKS_PATH}"
        finally:
            server.shutdown()
            server.server_close()
