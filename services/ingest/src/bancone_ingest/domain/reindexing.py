"""A re-index run: every tenant's (or one tenant's) passages, products, FAQs and offers embedded
again with the current embedder, after the embedder changed. One run at a time per process."""

from __future__ import annotations

from typing import Literal

ReindexState = Literal["running", "done", "failed"]


class ReindexBusyError(RuntimeError):
    """A re-index is already running: wait for it (its run says how far it is)."""


class ReindexRunNotFoundError(LookupError):
    """No such re-index run in this process."""
