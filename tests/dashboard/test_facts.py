"""The read-only "Fakta" page: admins and reviewers see every fact, what changes soon, and which
answers and lessons state each fact; agents are refused. Over HTTP and in headless Chromium."""
from __future__ import annotations

import pytest
from playwright.async_api import async_playwright
from starlette.testclient import TestClient

from bot import clock
from bot.knowledge.catalog import due
from tests.dashboard.conftest import PASSWORD, SCREENSHOTS, login


@pytest.fixture()
def client(dashboard_app):
    with TestClient(dashboard_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_reviewers_and_admins_see_every_fact_with_its_users(client, staff, knowledge):
    login(client, staff["reviewer"])
    page = client.get("/facts")
    assert page.status_code == 200
    html = page.text
    assert 'href="/facts">Fakta</a>' in html
    assert html.count('<tr id="fact-') == len(knowledge.facts)
    row = html.split('<tr id="fact-jp_wage_cap">')[1].split("</tr>")[0]
    assert "Rp11.086.300" in row and "surat edaran BPJS Ketenagakerjaan, Februari 2026" in row
    assert "jawaban contribution_pu" in row and "materi jp" in row and "kalkulator" in row
    assert "2027-03-01" in row
    # Nothing on the page changes anything: no form posts.
    assert 'method="post" action="/facts' not in html and "<textarea" not in html


def test_the_due_filter_lists_only_what_changes_within_the_days(client, staff, knowledge):
    login(client, staff["admin"])
    html = client.get("/facts?due=3650").text
    expected = due(knowledge, clock.today(), 3650)
    assert html.count('<tr id="fact-') == len(expected) > 0
    assert "jkm_total" not in html.split("<tbody>")[1]
    assert client.get("/facts?due=abc").status_code == 200      # a bad number shows everything


def test_agents_cannot_open_the_facts_page(client, staff):
    login(client, staff["agent"])
    response = client.get("/facts")
    assert response.status_code == 403
    assert 'href="/facts"' not in client.get("/conversations").text


@pytest.mark.asyncio
async def test_the_facts_page_in_the_browser(live_dashboard, browser_path, staff):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        await page.goto(f"{live_dashboard}/login")
        await page.fill("input[name=name]", staff["reviewer"])
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button:has-text('Masuk')")
        await page.wait_for_url(f"{live_dashboard}/conversations")
        await page.click("nav >> text=Fakta")
        await page.wait_for_url(f"{live_dashboard}/facts")
        assert "Rp42.000.000" in await page.inner_text("#fact-jkm_total")
        await page.fill("input[name=due]", "3650")
        await page.click("button:has-text('Tampilkan')")
        await page.wait_for_url(f"{live_dashboard}/facts?due=3650")
        assert await page.locator("#fact-jkm_total").count() == 0
        assert await page.locator("#fact-jp_wage_cap").count() == 1
        await page.screenshot(path=str(SCREENSHOTS / "facts.png"), full_page=True)
        await browser.close()
