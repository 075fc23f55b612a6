"""Which outbound messages count as marketing: the one answer consent (`window.refusal`) and
pacing (`pacing_slots.priority_of`) both use. Pure.

A template without a declared category counts as marketing (fail closed): an undeclared
utility template to an opted-out customer is refused and goes at campaign priority, which is
safe; the opposite mistake would send marketing to someone who said stop.
"""

from __future__ import annotations


def is_marketing(content_kind: str, category: str | None) -> bool:
    """A marketing template, or a template with no category; never a free-form message."""
    return content_kind == "template" and category in (None, "marketing")
