"""Login backoff and lockout per account and per client IP, with the `limits` library.

Only failed attempts count (a moving window): after `per_account` failures for one email, or
`per_ip` failures from one address, within `window_seconds`, logins are refused with 429 and a
`Retry-After` until the oldest failure leaves the window — even with the right password, so a
guesser learns nothing. A successful login clears the account's failures.

Storage is in-process (`limits`' memory storage): independent of the database, so it behaves
the same on SQLite and PostgreSQL; with several gateway replicas each keeps its own counts
(the bound multiplies by the replica count), which a shared storage (`limits` supports Redis
and others) would tighten.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account: int = 5
    per_ip: int = 20
    window_seconds: int = 900


class LoginLockedError(Exception):
    """Too many failures; `retry_after` seconds until the next attempt may succeed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins")
        self.retry_after = retry_after


class LoginThrottle:
    def __init__(self, policy: LoginLimits, storage: MemoryStorage | None = None) -> None:
        self._storage = storage or MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._account = RateLimitItemPerSecond(policy.per_account, policy.window_seconds)
        self._ip = RateLimitItemPerSecond(policy.per_ip, policy.window_seconds)

    @staticmethod
    def _account_key(email: str) -> str:
        # Hashed: the storage never holds an email (nor a guess typed into it).
        return hashlib.sha256(email.encode()).hexdigest()

    async def check(self, email: str, ip: str | None) -> None:
        """Raise `LoginLockedError` when the account or the IP is over its failure budget."""
        waits = []
        checks = [(self._account, "account", self._account_key(email))]
        if ip:
            checks.append((self._ip, "ip", ip))
        for item, scope, key in checks:
            if not await self._limiter.test(item, "login", scope, key):
                stats = await self._limiter.get_window_stats(item, "login", scope, key)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        if waits:
            raise LoginLockedError(max(waits))

    async def failed(self, email: str, ip: str | None) -> None:
        await self._limiter.hit(self._account, "login", "account", self._account_key(email))
        if ip:
            await self._limiter.hit(self._ip, "login", "ip", ip)

    async def succeeded(self, email: str) -> None:
        await self._limiter.clear(self._account, "login", "account", self._account_key(email))
