"""The stock ledger's vocabulary: every change of a sku's stock is one movement.

`stock` is what can still be sold: a reservation takes units off it (`reserved`, negative),
a cancelled or expired order gives them back (`released`, positive), and a payment turns the
reservation into a sale (`released` +q and `sold` -q, so the stock does not move twice).
So for every sku, the sum of its movements is its stock.
"""

from __future__ import annotations

from typing import Literal

MovementKind = Literal["received", "sold", "reserved", "released", "adjusted"]


def restock_kind(delta: int) -> MovementKind:
    """An owner's change: more stock is `received`, less (or a correction) `adjusted`."""
    return "received" if delta > 0 else "adjusted"
