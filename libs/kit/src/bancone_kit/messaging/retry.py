"""The one retry policy for transient failures: exponential backoff with jitter, bounded."""

from __future__ import annotations

from dataclasses import dataclass

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential_jitter


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 5.0

    def retrying(self) -> AsyncRetrying:
        """A tenacity controller that re-raises the last error once the attempts are spent."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=self.initial_delay, max=self.max_delay),
            reraise=True,
        )
