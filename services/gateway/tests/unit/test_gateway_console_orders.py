"""The console's Orders page: the keys it builds at run time (a status's or a change's name
in a template string, which the literal-key check of `test_gateway_console_strings` cannot
see) exist in Italian, English and Spanish; its statuses are the contract's; every change it
offers has a label; the shell routes and links it."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest

from bancone_contracts.events.order import OrderStatus, OrderTransition
from services.gateway.tests.unit.test_gateway_console_strings import CONSOLE, strings

pytestmark = pytest.mark.unit

PAGE = (CONSOLE / "js" / "pages" / "orders.js").read_text(encoding="utf-8")


def _js_value(name: str) -> str:
    found = re.search(rf"^(?:export )?const {name} = (.*?);$", PAGE, re.M | re.S)
    assert found, f"{name} not found in orders.js"
    return found.group(1)


def _statuses() -> list[str]:
    return list(json.loads(_js_value("STATUSES")))


def _next() -> dict[str, list[str]]:
    body = _js_value("NEXT")
    return {
        status: re.findall(r'"(\w+)"', targets)
        for status, targets in re.findall(r"^\s+(\w+): \[(.*?)\],$", body, re.M)
    }


def test_the_page_lists_the_contracts_statuses() -> None:
    assert _statuses() == list(get_args(OrderStatus))


def test_every_built_key_exists_in_every_language() -> None:
    targets = {to for tos in _next().values() for to in tos}
    asks_first = set(re.findall(r'"(\w+)"', _js_value("ASKS_FIRST")))
    built = (
        {f"orders.status_{s}" for s in _statuses()}
        | {f"orders.action_{to}" for to in targets}
        | {f"orders.confirm_{to}" for to in asks_first}
        | {f"orders.method_{m}" for m in ("delivery", "pickup")}
        | {f"orders.transition_{name}" for name in json.loads(_js_value("TRANSITIONS"))}
    )
    assert json.loads(_js_value("TRANSITIONS")) == list(get_args(OrderTransition))
    assert targets == {"confirmed", "shipped", "delivered", "cancelled", "refunded"}
    assert asks_first == {"cancelled", "refunded"}
    for language, keys in strings().items():
        assert built <= keys, (language, sorted(built - keys))


def test_the_offered_changes_follow_the_lifecycle() -> None:
    assert _next() == {
        "pending": ["confirmed", "cancelled"],
        "confirmed": ["cancelled"],
        "paid": ["shipped", "delivered", "refunded"],
        "shipped": ["delivered", "refunded"],
        "delivered": ["refunded"],
    }


def test_the_shell_routes_and_links_the_orders_page() -> None:
    app = (CONSOLE / "js" / "app.js").read_text(encoding="utf-8")
    assert 'import { OrdersPage } from "./pages/orders.js";' in app
    assert '["orders", "nav.orders", "viewer"]' in app
    assert 'case "orders":' in app
