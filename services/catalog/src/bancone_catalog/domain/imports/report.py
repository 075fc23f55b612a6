"""What an import did, per kind: rows created, changed, and left as they were."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Outcome = Literal["created", "updated", "unchanged"]


class KindCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class ImportReport(BaseModel):
    """The result of a committed import; re-importing the same file reports only `unchanged`."""

    products: KindCounts = Field(default_factory=KindCounts)
    faqs: KindCounts = Field(default_factory=KindCounts)
    offers: KindCounts = Field(default_factory=KindCounts)

    @property
    def changed(self) -> int:
        """Rows created or updated, which is also the number of events published."""
        return sum(k.created + k.updated for k in (self.products, self.faqs, self.offers))
