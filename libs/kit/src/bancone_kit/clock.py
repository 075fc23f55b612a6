"""The wall clock every service's adapters read: timezone-aware UTC, never naive local time.

Defined once in `bancone_contracts.common` (event envelopes stamp their time with it) and
exported here for services; a pure domain receives the time as a parameter instead.
"""

from __future__ import annotations

from bancone_contracts.common import utc_now as utcnow

__all__ = ["utcnow"]
