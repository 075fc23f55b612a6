"""A customer's interests, for campaign audiences: the product categories they **bought**
(their confirmed or paid orders) and **asked about** (the products the assistant showed them).
Pure: an event's data in, category slugs out."""

from __future__ import annotations

import re
from typing import Final, Literal

from bancone_contracts.events.agent_turn import AgentTurn
from bancone_contracts.events.order import OrderChange

InterestKind = Literal["bought", "asked"]

BOUGHT_STATUSES: Final[frozenset[str]] = frozenset({"confirmed", "paid", "shipped", "delivered"})
"""An order in one of these states counts as bought (a refund later does not undo it: the
customer still showed the interest). Pending, cancelled and expired orders do not count."""
SEARCH_TOOL: Final = "search_products"
_SLUG: Final = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def category_slug(raw: object) -> str | None:
    """A catalog category slug (`vino-rosso`), or None for anything that is not one."""
    if not isinstance(raw, str):
        return None
    slug = raw.strip().lower()
    return slug if len(slug) <= 64 and _SLUG.match(slug) else None


def bought_categories(change: OrderChange) -> frozenset[str]:
    """The categories of an order's lines once it is confirmed or paid (none before)."""
    order = change.order
    if order.status not in BOUGHT_STATUSES:
        return frozenset()
    found = (category_slug(line.category) for line in order.lines)
    return frozenset(slug for slug in found if slug)


def asked_categories(turn: AgentTurn) -> frozenset[str]:
    """What a turn shows the customer was interested in: the categories of the products its
    tools returned, and a category the assistant searched for on the customer's behalf."""
    found: set[str] = set()
    for call in turn.tool_calls:
        if call.error is not None:
            continue
        found.update(slug for slug in map(category_slug, call.categories) if slug)
        if call.name == SEARCH_TOOL:
            searched = category_slug(call.arguments.get("category"))
            if searched:
                found.add(searched)
    return frozenset(found)
