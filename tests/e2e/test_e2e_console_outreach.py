"""The console's outreach pages in a real browser (Playwright driving Debian's Chromium) on the
real services behind the gateway's one origin: an admin writes a template on the Templates page
(a 422 is shown as the notifier says it; the sandbox approves) and sends a campaign with it from
the Campaigns form (an empty segment is refused first) — the opted-in customer receives it once,
with the variable filled in; a customer whose 24-hour window had closed gets no answer, and the
conversation page says a template is needed on the refused message and on the reply box;
a satisfaction answer shows on the Usage page; the Customers page records an opt-in with its
proof and edits tags; the Numbers page sets a number's throughput tier. Screenshots go to
`<e2e output>/console/` like the console test's."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Browser, Page, expect

from bancone_cli.webhooks import build_message_webhook, build_text_webhook
from tests.e2e.browser import DESKTOP, UI, log_in, new_page, screenshot
from tests.e2e.test_e2e_console import conversation_in_state, import_agent_config

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


async def owner_page(browser: Browser, platform: Platform) -> Page:
    email, password = platform.owner_logins["demo"]
    page = await new_page(browser, platform, DESKTOP)
    await log_in(page, email, password)
    await expect(page.get_by_test_id("inbox-list")).to_be_attached(timeout=UI)
    return page


async def opted_in(platform: Platform, customer: str) -> None:
    """The customer writes ISCRIVIMI and gets the confirmation (the ledger has the opt-in)."""
    _, response = await platform.say(platform.tenants["demo"], customer, "ISCRIVIMI")
    assert response.status_code == 200, response.text
    texts = await platform.replies(customer, count=1, seconds=90)
    assert texts, "the opt-in confirmation"


async def create_a_template_on_the_page(
    page: Page, platform: Platform, name: str, shots: Path
) -> None:
    """A bad name is refused with the notifier's words; the good one is listed APPROVED."""
    await page.goto(platform.url("gateway") + "/console/#/templates")
    form = page.get_by_test_id("template-form")
    number = page.locator("select[name=number]")
    await expect(number).to_have_value(platform.tenants["demo"].phone_number_id, timeout=UI)
    await form.locator("input[name=name]").fill("Offerta Natale")
    await form.locator("input[name=language]").fill("it")
    await form.locator("select[name=category]").select_option("marketing")
    await form.locator("textarea[name=body]").fill("Ciao {{1}}, il Barolo è in offerta!")
    await form.locator("input[name=example-1]").fill("Giulia")
    await form.locator("button[type=submit]").click()
    await expect(page.get_by_test_id("template-error")).to_be_visible(timeout=UI)
    assert await page.locator("tr[data-template='Offerta Natale']").count() == 0

    await form.locator("input[name=name]").fill(name)
    await form.locator("button[type=submit]").click()
    row = page.locator(f"tr[data-template='{name}']")
    await expect(row.locator("[data-status]")).to_have_attribute(
        "data-status", "APPROVED", timeout=UI
    )
    await expect(row).to_contain_text("Ciao {{1}}, il Barolo è in offerta!")
    await page.click("[data-action=sync]")
    await expect(page.get_by_role("status")).to_contain_text("Synced", timeout=UI)
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "APPROVED")
    await screenshot(page, shots, "templates")


def given(stored: dict[str, Any]) -> dict[str, Any]:
    """What was set (the notifier stores unset filters and fields as null)."""
    return {key: value for key, value in stored.items() if value is not None}


async def send_a_campaign_from_the_form(
    page: Page, platform: Platform, template: str
) -> dict[str, Any]:
    """Spanish speakers only: the notifier refuses the empty segment (422, shown); Italian
    speakers who wrote today: created, sent now, completed."""
    await page.goto(platform.url("gateway") + "/console/#/campaigns")
    form = page.get_by_test_id("campaign-form")
    name = f"Console form {template}"
    await form.locator("input[name=name]").fill(name)
    option = form.locator("select[name=template] option", has_text=f"{template} (it)")
    await expect(option).to_be_attached(timeout=UI)
    await form.locator("select[name=template]").select_option(label=f"{template} (it)")
    await expect(form.get_by_test_id("campaign-template-body")).to_contain_text("Ciao {{1}}")
    await form.locator("select[name=var-1-field]").select_option("name")
    await form.locator("input[name=var-1-value]").fill("cliente")
    await form.locator("input[name=lang-es]").check()
    await form.locator("input[name=when][value=now]").check()
    await form.locator("button[type=submit]").click()
    await expect(page.get_by_test_id("campaign-error")).to_contain_text("segment", timeout=UI)

    await form.locator("input[name=lang-es]").uncheck()
    await form.locator("input[name=lang-it]").check()
    await form.locator("input[name=days]").fill("1")
    await form.locator("button[type=submit]").click()
    await expect(page.get_by_test_id("campaign-created")).to_contain_text(name, timeout=UI)
    listed = await platform.http.get(
        platform.url("gateway") + "/v1/tenants/demo/campaigns", headers=platform.admin()
    )
    [campaign] = [c for c in listed.json()["items"] if c["name"] == name]
    assert given(campaign["segment"]) == {"languages": ["it"], "contacted_within_days": 1}
    assert [given(v) for v in campaign["template"]["variables"]] == [
        {"field": "name", "fallback": "cliente"}
    ]
    row = page.locator(f"tr[data-campaign='{campaign['id']}']")
    await expect(row.locator("[data-state]")).to_have_attribute(
        "data-state", "completed", timeout=UI * 3
    )
    result: dict[str, Any] = campaign
    return result


async def test_an_admin_writes_a_template_and_sends_a_campaign_from_the_console(
    platform: Platform, browser: Browser, customer: str, shots: Path
) -> None:
    await opted_in(platform, customer)
    template = f"console_tpl_{secrets.token_hex(4)}"
    page = await owner_page(browser, platform)
    await create_a_template_on_the_page(page, platform, template, shots)

    await send_a_campaign_from_the_form(page, platform, template)
    await screenshot(page, shots, "campaign-form")
    sent = [m for m in await platform.sent_to(customer) if m["body"].get("type") == "template"]
    assert [m["body"]["template"]["name"] for m in sent] == [template], "exactly once"
    [component] = sent[0]["body"]["template"]["components"]
    assert component["parameters"] == [{"type": "text", "text": "Cliente Demo"}]
    await page.context.close()


async def test_a_conversation_outside_the_24_hour_window_says_a_template_is_needed(
    platform: Platform, browser: Browser, customer: str, shots: Path
) -> None:
    """The customer's message is 25 hours old when it arrives (WhatsApp's timestamp): the
    notifier refuses the assistant's answer with 131047, nothing reaches the customer, the
    conversation waits for a person, and the page says why — on the message and the reply box."""
    demo = platform.tenants["demo"]
    old = str(int(time.time()) - 25 * 3600)
    payload = build_text_webhook(demo.phone_number_id, customer, "Avete un Barolo?", timestamp=old)
    response = await platform.post_webhook(demo, payload)
    assert response.status_code == 200, response.text
    conversation_id = await conversation_in_state(platform, customer, "waiting_for_human")

    page = await owner_page(browser, platform)
    await page.goto(platform.url("gateway") + f"/console/#/c/{conversation_id}")
    refused = page.locator("li[data-sender=ai]").first
    await expect(refused.get_by_test_id("template-needed")).to_have_text(
        "Outside the 24-hour window — a template is needed", timeout=UI
    )
    await expect(refused.locator(".ticks")).to_have_attribute("data-status", "failed")
    await expect(page.get_by_test_id("window-closed")).to_be_visible()
    await page.click("[data-action=takeover]")
    form = page.get_by_test_id("reply-form")
    await expect(form).to_have_attribute("data-window", "closed", timeout=UI)
    await expect(form.locator("#reply")).to_be_disabled()
    await expect(form.locator("#reply")).to_have_attribute(
        "placeholder",
        "The customer's 24-hour window is closed: free text cannot be sent, only a template.",
    )
    await screenshot(page, shots, "template-needed")
    assert await platform.settle(customer, seconds=3) == [], "nothing reached the customer"
    await page.context.close()


async def set_satisfaction_question(platform: Platform, on: bool) -> None:
    url = platform.url("gateway") + "/v1/tenants/demo/assistant-config"
    current = (await platform.http.get(url, headers=platform.admin())).json()
    saved = await platform.http.put(
        url,
        json={
            "base_version": current["version"],
            "config": {**current["config"], "satisfaction_question": on},
        },
        headers=platform.admin(),
    )
    assert saved.status_code in (200, 201), saved.text


async def today_satisfaction(platform: Platform) -> dict[str, Any]:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    found = await platform.http.get(
        platform.url("gateway") + "/v1/tenants/demo/usage/daily",
        params={"from": today, "to": today},
        headers=platform.admin(),
    )
    assert found.status_code == 200, found.text
    [day] = found.json()["items"]
    answer: dict[str, Any] = day["satisfaction"]
    return answer


async def test_a_satisfaction_answer_shows_on_the_usage_page(
    platform: Platform, browser: Browser, customer: str, shots: Path
) -> None:
    """With the question on, resolving a conversation asks it; the customer taps 4 and the
    Usage page shows today's answers and their average (as the API computes them)."""
    demo = platform.tenants["demo"]
    import_agent_config(platform)  # the demo shop's hand-off rules
    before = await today_satisfaction(platform)
    await set_satisfaction_question(platform, True)
    try:
        _, response = await platform.say(demo, customer, "Voglio parlare con una persona")
        assert response.status_code == 200
        waiting = await conversation_in_state(platform, customer, "waiting_for_human")
        path = f"{platform.url('gateway')}/v1/tenants/demo/conversations/{waiting}/resolve"
        resolved = await platform.http.post(path, headers=platform.admin())
        assert resolved.status_code == 200, resolved.text
        await platform.replies(customer, count=2, seconds=60)  # the holding message, the question
    finally:
        await set_satisfaction_question(platform, False)
    [question] = [
        m for m in await platform.sent_to(customer) if m["body"].get("type") == "interactive"
    ]
    assert question["body"]["interactive"]["type"] == "list"
    tap = {
        "type": "interactive",
        "interactive": {"type": "list_reply", "list_reply": {"id": "csat:4", "title": "4"}},
    }
    response = await platform.post_webhook(
        demo, build_message_webhook(demo.phone_number_id, customer, tap)
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 60
    while (after := await today_satisfaction(platform))["count"] == before["count"]:
        assert time.monotonic() < deadline, "the answer was never counted"
        await asyncio.sleep(0.3)
    assert after["count"] == before["count"] + 1

    page = await owner_page(browser, platform)
    await page.goto(platform.url("gateway") + "/console/#/usage")
    shown = page.get_by_test_id("satisfaction")
    await expect(shown).to_have_attribute("data-count", str(after["count"]), timeout=UI)
    await expect(shown).to_have_attribute("data-average", f"{float(after['average']):.2f}")
    await expect(shown).to_contain_text(f"{float(after['average']):.1f} / 5")
    await screenshot(page, shots, "usage-satisfaction")
    await page.context.close()


async def test_the_customers_page_records_an_opt_in_with_proof_and_edits_tags(
    platform: Platform, browser: Browser, customer: str, shots: Path
) -> None:
    """A customer who only wrote "Buongiorno" has no consent; on their page an opt-in without
    proof is refused (422, shown), one with proof is recorded with its source and proof in the
    history; tags are saved lower-cased; the list filters by consent and tag."""
    _, response = await platform.say(platform.tenants["demo"], customer, "Buongiorno")
    assert response.status_code == 200
    await platform.replies(customer, count=1, seconds=90)  # the assistant's answer
    api = f"{platform.url('gateway')}/v1/tenants/demo/customers"
    deadline = time.monotonic() + 60
    while (
        await platform.http.get(f"{api}/{customer}", headers=platform.admin())
    ).status_code != 200:
        assert time.monotonic() < deadline, "the notifier never listed the customer"
        await asyncio.sleep(0.3)

    page = await owner_page(browser, platform)
    await page.goto(platform.url("gateway") + "/console/#/customers")
    await expect(page.get_by_test_id("keywords")).to_contain_text("Consent keywords", timeout=UI)
    await page.locator("input[name=q]").fill(customer)
    row = page.locator(f"tr[data-customer='{customer}']")
    await expect(row.locator("[data-consent]")).to_have_attribute(
        "data-consent", "none", timeout=UI
    )
    await row.locator("a").click()

    consent = page.get_by_test_id("consent-form")
    await consent.locator("[data-action=opt-in]").click()
    await expect(page.get_by_test_id("customer-error")).to_be_visible(timeout=UI)
    proof = f"Modulo web firmato il 7/12, rif. {secrets.token_hex(3)}"
    await consent.locator("select[name=source]").select_option("web_form")
    await consent.locator("textarea[name=proof]").fill(proof)
    await consent.locator("[data-action=opt-in]").click()
    await expect(
        page.get_by_test_id("customer-consent").locator("[data-consent]")
    ).to_have_attribute("data-consent", "opted_in", timeout=UI)
    history = page.get_by_test_id("consent-history")
    await expect(history.locator("li[data-action=opt_in]")).to_contain_text(proof)
    await expect(history.locator("li[data-action=opt_in]")).to_contain_text("web_form")

    tag = f"vip{secrets.token_hex(2)}"
    await (
        page.get_by_test_id("tags-form").locator("input[name=tags]").fill(f"{tag.upper()}, natale")
    )
    await page.get_by_test_id("tags-form").locator("button[type=submit]").click()
    await expect(page.locator(f"[data-testid=customer-tags] [data-tag='{tag}']")).to_be_visible(
        timeout=UI
    )
    await screenshot(page, shots, "customer")

    stored = (await platform.http.get(f"{api}/{customer}", headers=platform.admin())).json()
    assert stored["consent"] == "opted_in"
    assert sorted(stored["tags"]) == sorted([tag, "natale"])
    assert [(h["action"], h["source"], h["proof"]) for h in stored["consent_history"]] == [
        ("opt_in", "web_form", proof)
    ]

    await page.goto(platform.url("gateway") + "/console/#/customers")
    await page.locator("select[name=consent]").select_option("opted_in")
    await page.locator("input[name=tag]").fill(tag)
    await expect(page.locator("table[data-testid=customers] tbody tr")).to_have_count(1, timeout=UI)
    await expect(page.locator(f"tr[data-customer='{customer}']")).to_be_visible()
    await screenshot(page, shots, "customers")
    await page.context.close()


async def test_an_admin_sets_a_numbers_tier_on_the_numbers_page(
    platform: Platform, browser: Browser, shots: Path
) -> None:
    """A tier outside 1 to 1000 is refused on the page and nothing is stored; 200 is stored at the
    notifier, shown in force, and still there after a reload; "use the default" goes back."""
    demo = platform.tenants["demo"]
    pacing = f"{platform.url('gateway')}/v1/tenants/demo/pacing/{demo.phone_number_id}"
    page = await owner_page(browser, platform)
    await page.goto(platform.url("gateway") + "/console/#/numbers")
    row = page.locator(f"tr[data-number='{demo.phone_number_id}']")
    in_force = row.get_by_test_id("tier-in-force")
    tier = row.locator("input[name=tier]")
    try:
        await expect(in_force).to_contain_text("80 /s", timeout=UI)
        await tier.fill("5000")
        await row.get_by_role("button", name="Save").click()
        await expect(row.get_by_test_id("tier-error")).to_contain_text("from 1 to 1000")
        stored = (await platform.http.get(pacing, headers=platform.admin())).json()
        assert stored["own_tier"] is None

        await tier.fill("200")
        await row.get_by_role("button", name="Save").click()
        await expect(in_force).to_contain_text("200 /s", timeout=UI)
        await expect(row.get_by_test_id("tier-error")).to_have_count(0)
        await page.reload()
        await expect(in_force).to_contain_text("200 /s", timeout=UI)
        await expect(tier).to_have_value("200")
        stored = (await platform.http.get(pacing, headers=platform.admin())).json()
        assert (stored["own_tier"], stored["tier_per_second"]) == (200, 200)
        await screenshot(page, shots, "numbers")

        await row.get_by_role("button", name="Use the default").click()
        await expect(in_force).to_contain_text("80 /s", timeout=UI)
        await expect(tier).to_have_value("")
    finally:  # the other tests send on this number at the default tier
        reset = await platform.http.put(
            pacing, json={"tier_per_second": None}, headers=platform.admin()
        )
        assert reset.status_code == 200, reset.text
