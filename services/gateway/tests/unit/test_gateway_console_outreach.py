"""The console's outreach pages (templates, customers, campaign form, satisfaction): the keys
they build at run time (a consent, an action, a source, a category, a customer field or a
"when" in a template string, which the literal-key check cannot see) exist in every language,
and the shell routes and links the two new pages."""

from __future__ import annotations

import re

import pytest

from services.gateway.tests.unit.test_gateway_console_strings import CONSOLE, strings

pytestmark = pytest.mark.unit

PAGES = CONSOLE / "js" / "pages"


def _list(page: str, name: str) -> list[str]:
    source = (PAGES / page).read_text(encoding="utf-8")
    found = re.search(rf"^const {name} = \[(.*?)\];$", source, re.M | re.S)
    assert found, f"{name} not found in {page}"
    return re.findall(r'"(\w*)"', found.group(1))


def test_every_built_key_exists_in_every_language() -> None:
    consents = _list("customers.js", "CONSENTS")
    actions = _list("keywords.js", "ACTIONS")
    built = (
        {f"cust.consent_{c}" for c in consents}
        | {f"cust.action_{a}" for a in actions}
        | {f"cust.done_{a}" for a in actions}
        | {f"cust.source_{s}" for s in _list("customer.js", "SOURCES")}
        | {f"tpl.category_{c}" for c in _list("templates.js", "CATEGORIES")}
        | {f"cf.field_{f}" for f in _list("campaign_form.js", "FIELDS") if f}
        | {f"cf.when_{w}" for w in ("now", "at", "draft")}
        | {"nav.templates", "nav.customers", "cf.fixed_value"}
    )
    assert set(consents) == {"opted_in", "opted_out", "none"}
    assert set(actions) == {"opt_in", "opt_out"}
    for language, keys in strings().items():
        assert built <= keys, (language, sorted(built - keys))


def test_the_campaign_form_offers_the_notifiers_customer_fields() -> None:
    assert _list("campaign_form.js", "FIELDS") == ["", "name", "customer_id", "language"]


def test_the_shell_routes_and_links_the_new_pages() -> None:
    app = (CONSOLE / "js" / "app.js").read_text(encoding="utf-8")
    for page, component in (("templates", "TemplatesPage"), ("customers", "CustomersPage")):
        assert f'import {{ {component} }} from "./pages/{page}.js";' in app
        assert f'["{page}", "nav.{page}", "viewer"]' in app
        assert f'case "{page}":' in app


def test_the_shell_routes_and_links_the_numbers_page_for_admins() -> None:
    app = (CONSOLE / "js" / "app.js").read_text(encoding="utf-8")
    assert 'import { NumbersPage } from "./pages/numbers.js";' in app
    assert '["numbers", "nav.numbers", "admin"]' in app
    assert 'case "numbers":' in app
