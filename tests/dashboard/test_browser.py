"""The dashboard in real headless Chromium (Debian's), next to the bot on the Telegram stand-in.

Staff log in, filter conversations, label a group in the review queue and find it in the exported
YAML, answer a person from the handoff inbox (the reply reaches the stand-in as sendMessage), and
change an application's status (the user is told in Telegram). A screenshot of each page is saved
in reports/screenshots/.
"""
from __future__ import annotations

import pytest
import yaml
from playwright.async_api import async_playwright

from bot.engine.events import ButtonEvent, UserRef
from tests.dashboard.conftest import PASSWORD, SCREENSHOTS
from tests.e2e.conftest import Person, texts

pytestmark = [pytest.mark.asyncio, pytest.mark.model, pytest.mark.e2e]


async def shot(page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def log_in(page, base: str, name: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Masuk')")
    await page.wait_for_url(f"{base}/conversations")


async def test_staff_work_through_the_browser(telegram, standin, live_dashboard, browser_path, dialogue,
                                              database, tmp_path, staff):
    base = live_dashboard
    budi = Person(standin, 9001)
    await budi.say("/start")
    await budi.press("Saya pekerja")
    # Nonsense the bot cannot help with (out of scope or not understood) lands in the review queue.
    for text in ("xyzzy plugh kwek", "xyzzy plugh kwek", "brp iuran bpjs tk buat pedagang"):
        await budi.say(text)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1200, "height": 900})

        # Conversations: filter to what was not understood.
        await log_in(page, base, staff["admin"])
        await page.fill("input[name=q]", "xyzzy")
        await page.click("button:has-text('Saring')")
        rows = page.locator("table.list tbody tr")
        assert await rows.count() == 1                       # one row per person: Budi typed it twice
        assert "tidak dipahami" in await rows.first.inner_text()
        await page.fill("input[name=q]", "")
        await page.select_option("select[name=intent]", "contribution_bpu")
        await page.click("button:has-text('Saring')")
        assert await rows.count() == 1
        await page.select_option("select[name=role]", "owner")          # Budi is a worker
        await page.click("button:has-text('Saring')")
        assert "Tidak ada percakapan yang cocok" in await page.inner_text("table.list tbody")
        await page.select_option("select[name=role]", "")
        await page.click("button:has-text('Saring')")
        await shot(page, "conversations")
        await page.click("table.list tbody tr >> nth=0 >> a")
        assert "Percakapan #" in await page.inner_text("h1")
        await shot(page, "conversation")

        # Review queue: the two identical messages form one group; label it and export.
        await page.goto(f"{base}/review")
        group = page.locator("tr", has_text="xyzzy plugh kwek")
        assert "2" in await group.locator("td.count").inner_text()
        await group.locator("input[name=intent]").fill("out_of_scope")
        await group.locator("button:has-text('Label kelompok')").click()
        assert "2 pesan diberi label out_of_scope" in await page.inner_text(".flash")
        await shot(page, "review")
        await page.click("button:has-text('Ekspor data latih')")
        exported = yaml.safe_load((tmp_path / "reviewed" / "reviewed.yml").read_text())
        block = next(b for b in exported["nlu"] if b["intent"] == "out_of_scope")
        assert "- xyzzy plugh kwek" in block["examples"]

        # Handoff: the person asks for a human; the agent answers from the inbox.
        siti = Person(standin, 9002)
        events = await siti.say("saya mau bicara dengan petugas")
        assert "petugas" in texts(events).lower()
        mark = standin.activity(siti.chat_id)
        standin.send_text(siti.user_id, "halo, klaim jht saya ditolak kenapa ya")
        quiet = await siti.settle(mark, timeout=3)
        assert quiet == [], "the bot stays quiet while a person handles the chat"
        await page.goto(f"{base}/handoffs")
        await page.click("table.list tbody tr >> nth=0 >> a")
        assert "klaim jht saya ditolak" in await page.inner_text("ol.timeline")
        await page.fill("textarea[name=text]", "Halo Bu Siti, <b>kirim</b> nomor pengajuan klaim Anda, ya.")
        await page.click("button:has-text('Kirim ke pengguna')")
        await shot(page, "handoff")
        events = await siti.settle(mark, timeout=30)
        assert "Halo Bu Siti, <b>kirim</b> nomor pengajuan" in texts(events)
        sent = [params for method, params in standin.calls if method == "sendMessage"
                and "Bu Siti" in params.get("_plain", "")]
        assert sent and "&lt;b&gt;" in sent[0]["text"]
        assert "menunggu pengguna" in await page.inner_text(".handoff-meta .state")
        # Siti answers: the handoff is back with the agents (open), the bot still quiet.
        mark = standin.activity(siti.chat_id)
        standin.send_text(siti.user_id, "nomor pengajuannya 12345")
        # The open page shows her message by itself (its refresh script), then the state is back to open.
        await page.locator("#timeline li", has_text="nomor pengajuannya 12345").wait_for(timeout=30000)
        assert await siti.settle(mark, timeout=3) == []
        await page.reload()
        assert "menunggu petugas" in await page.inner_text(".handoff-meta .state")
        assert "nomor pengajuannya 12345" in await page.locator("#timeline li").last.inner_text()
        mark = standin.activity(siti.chat_id)
        await page.click("button:has-text('Selesai, kembalikan ke bot')")
        events = await siti.settle(mark, timeout=30)
        assert "Lindungi kembali membantu" in texts(events)
        events = await siti.say("apa itu jkm")
        assert "JKM" in texts(events)

        # Applications: a worker enrolled in the chat; staff activate it; the worker is told.
        from tests.engine.test_enrolment import enrol_until_summary

        worker = UserRef("telegram", "9003", "9003")
        enrol_until_summary(dialogue, worker)
        dialogue.handle(worker, ButtonEvent("enrol:submit"))
        await page.goto(f"{base}/applications")
        await page.click("table.list tbody tr >> nth=0 >> a")
        assert "3201********0001" in await page.inner_text("dd.nik")
        await page.select_option("select[name=status]", "aktif")
        mark = standin.activity(9003)
        await page.click("button:has-text('Simpan dan beri tahu pendaftar')")
        assert "Status diubah" in await page.inner_text(".flash")
        await shot(page, "application")
        events = await Person(standin, 9003).settle(mark, timeout=30)
        assert "AKTIF" in texts(events)

        await page.goto(f"{base}/insights")
        assert await page.locator("svg.chart, table.bars").count() >= 6
        await shot(page, "insights")
        await page.goto(f"{base}/audit")
        audit_text = await page.inner_text("table.list")
        for action in ("login", "label", "export_training", "reply", "handoff_close", "status"):
            assert action in audit_text
        await shot(page, "audit")
        await page.set_viewport_size({"width": 390, "height": 800})     # a phone
        await page.goto(f"{base}/conversations")
        await shot(page, "conversations-phone")
        await browser.close()
