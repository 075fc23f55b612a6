"""The console tests' browser: Debian's Chromium driven by Playwright, its fixtures (made
available to every e2e test by `conftest.py`) and the page helpers both console test files use.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

if TYPE_CHECKING:
    from conftest import Platform

CHROMIUM = os.environ.get("BANCONE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = ViewportSize(width=1280, height=860)
PHONE = ViewportSize(width=390, height=844)
UI = 30_000  # ms: how long the page may take to show something that depends on the services


@pytest.fixture(scope="module")
def shots(e2e_dir: Path) -> Path:
    """Where the console tests' screenshots go: `<e2e output>/console/`."""
    folder = e2e_dir / "console"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser: Browser, platform: Platform, viewport: ViewportSize) -> Page:
    context = await browser.new_context(viewport=viewport, locale="en-US")
    page = await context.new_page()
    await page.goto(platform.url("gateway") + "/")
    return page


async def log_in(page: Page, email: str, password: str) -> None:
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")


async def screenshot(page: Page, shots: Path, name: str) -> None:
    """The page at desktop width, then at phone width (the same page, resized); the caller
    has waited for the content it shows."""
    await page.screenshot(path=str(shots / f"{name}-desktop.png"), full_page=True)
    size = page.viewport_size
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(shots / f"{name}-phone.png"), full_page=True)
    if size is not None:
        await page.set_viewport_size(size)
