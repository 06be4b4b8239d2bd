"""After logout, Back shows no personal data (issue 14, findings 1 and 5), in real headless Chromium.

An admin reveals an applicant's NIK and phone, opens the masked detail page again, and logs out.
Pressing Back through the whole history never shows the name, NIK or phone from the browser's
cache: every authenticated page is `Cache-Control: no-store`, and the session is gone on the server.
"""
from __future__ import annotations

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from tests.dashboard import seed
from tests.dashboard.conftest import PASSWORD, SCREENSHOTS

pytestmark = pytest.mark.asyncio
PERSONAL = (seed.NIK, "SITI AMINAH", "081234567890", "+6281234567890", "1990-08-17")


async def settled_content(page) -> str:
    """The page's HTML once the navigation Back started (and any redirect after it) has finished."""
    for _ in range(50):
        try:
            await page.wait_for_load_state("load")
            return await page.content()
        except PlaywrightError as error:
            if "navigating" not in str(error):
                raise
    raise AssertionError("the page never settled")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_back_after_logout_shows_no_personal_data(live_dashboard, browser_path, database, vault, staff):
    base = live_dashboard
    app_id = seed.application(database, vault)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{base}/login")
        await page.fill("input[name=name]", staff["admin"])
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button:has-text('Masuk')")
        await page.wait_for_url(f"{base}/conversations")
        await page.goto(f"{base}/applications/{app_id}")
        assert "SITI AMINAH" in await page.content()
        await page.click("button:has-text('Tampilkan NIK')")
        await page.wait_for_selector(f"dd.nik:has-text('{seed.NIK}')")
        await page.goto(f"{base}/applications/{app_id}")
        await page.click("button:has-text('Keluar')")
        await page.wait_for_url(f"{base}/login")

        seen = []
        for _ in range(4):                    # back through the masked page, the revealed one, …
            try:
                await page.go_back(wait_until="load")
            except PlaywrightError:           # "confirm form resubmission" for the POSTed page: nothing shown
                pass
            content = await settled_content(page)
            seen.append(page.url)
            for secret in PERSONAL:
                assert secret not in content, (page.url, secret)
        await page.screenshot(path=str(SCREENSHOTS / "logout-back.png"), full_page=True)
        assert any("/login" in url for url in seen)
        await browser.close()
