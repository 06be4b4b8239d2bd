"""The workspace agents and reviewers use, in real headless Chromium over a seeded database.

Times in WIB, conversations as people, the handoff inbox, the review queue, applications and
insights: each page is photographed at 1280 px and at 390 px (a phone) into reports/screenshots/,
and at 390 px no page scrolls sideways.
"""
from __future__ import annotations

import asyncio
import csv
import io

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright
from sqlalchemy import select

from bot.storage.models import Handoff, HandoffNote, MessageLog, Outbox
from tests.dashboard.conftest import PASSWORD, SCREENSHOTS
from tests.dashboard.workspace_seed import seed

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


@pytest.fixture()
def seeded(database, vault, staff):
    return seed(database, vault)


@pytest_asyncio.fixture()
async def browser(browser_path):
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def logged_in(browser, base: str, name: str):
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(f"{base}/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Masuk')")
    await page.wait_for_url(f"{base}/conversations")
    return page


async def both_widths(page, name: str) -> None:
    """Photograph the page at 1280 px and at 390 px; at 390 px nothing may scroll sideways."""
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.reload()
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 390 px by {overflow} px"
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)


def rows_of(database, query):
    with database.transaction() as session:
        return list(session.execute(query).scalars())


async def test_conversations_are_people_with_wib_times_and_button_labels(live_dashboard, browser, seeded):
    login = await browser.new_page(viewport=DESKTOP)
    await login.goto(f"{live_dashboard}/login")
    await both_widths(login, "login")
    page = await logged_in(browser, live_dashboard, "ani")
    rows = page.locator("table.people tbody tr")
    assert await rows.count() == 5                                   # one row per person, not per message
    order = [await rows.nth(n).get_attribute("data-user") for n in range(5)]
    assert order == [str(seeded.quiet), str(seeded.taken), str(seeded.asker), str(seeded.owner), str(seeded.worker)]
    worker = page.locator(f"tr[data-user='{seeded.worker}']")
    text = await worker.inner_text()
    assert "✅ Setuju, mulai" in text                                 # the last message: a button, by its label
    assert "2 tidak dipahami" in text                                # a fallback and an out-of-scope answer
    assert "pekerja" in text and "menu" in text                      # role and flow
    assert "2026-11-23 01:41 WIB" in text                            # 18:41 UTC the day before, shown in WIB
    owner = await page.locator(f"tr[data-user='{seeded.owner}']").inner_text()
    assert "2 tidak dipahami" in owner                               # the form answer typed at "income" is not one
    assert "menunggu petugas" in await page.locator(f"tr[data-user='{seeded.asker}']").inner_text()
    assert "enrol:consent" not in await page.content()
    await both_widths(page, "conversations")

    await page.click(f"tr[data-user='{seeded.worker}'] a")
    timeline = page.locator("ol.timeline")
    await timeline.wait_for()
    items = await timeline.inner_text()
    assert "2026-11-23 01:31:00 WIB" in items                        # /start at 18:31 UTC
    assert "▸ Saya pekerja" in items and "role:worker" not in items
    followup = page.locator("li", has_text="kalau ojol gimana")
    note = await followup.locator("small.context").inner_text()
    assert "dibaca sebagai lanjutan" in note and "occupation = ojek" in note and "topic = contribution_bpu" in note
    plain = page.locator("li", has_text="brp iuran jkk")
    assert await plain.locator("small.context").count() == 0         # no context used: nothing claimed
    await both_widths(page, "conversation")


async def test_handoff_inbox_assign_reply_notes_states_and_refresh(live_dashboard, browser, seeded, database):
    base = live_dashboard
    agent = await logged_in(browser, base, "sari")
    # Least privilege: an agent sees the people who asked for staff, nobody else.
    shown = await agent.locator("table.people tbody tr").evaluate_all("rows => rows.map(r => r.dataset.user)")
    assert sorted(shown) == sorted([str(seeded.asker), str(seeded.taken)])
    response = await agent.goto(f"{base}/conversations/{seeded.quiet}")
    assert response.status == 404

    await agent.goto(f"{base}/handoffs")
    assert await agent.locator("meta[http-equiv=refresh]").count() == 1      # the list reloads itself
    row = agent.locator(f"tr[data-handoff='{seeded.open_handoff}']")
    assert "belum ada" in await row.locator("td.assignee").inner_text()
    assert await row.locator("td.wait").inner_text() != ""                   # waiting time
    await both_widths(agent, "handoffs")
    await row.locator("a").click()
    await agent.click("button:has-text('Ambil (saya)')")
    assert "diberikan ke sari" in await agent.inner_text(".flash")
    assert await agent.inner_text(".side .assignee") == "sari"

    # Newest message last, right above the reply box.
    last = agent.locator("#timeline li").last
    assert "klaim jht saya ditolak" in await last.inner_text()
    assert await agent.evaluate("""() => {
        const list = document.getElementById('timeline'), form = document.querySelector('form.reply');
        return list.nextElementSibling === form; }""")

    # A private note stays with staff.
    await agent.fill("textarea[name=note]", "Sudah dicek: klaim ditolak karena rekening beda nama.")
    await agent.click("button:has-text('Simpan catatan')")
    assert "rekening beda nama" in await agent.inner_text(".notes")

    # The page refreshes itself: a new message appears while the draft in the reply box stays.
    await agent.click("button.canned-reply:has-text('Salam pembuka')")
    draft = await agent.input_value("#reply-text")
    assert draft.startswith("Halo, saya petugas Lindungi.")
    with database.transaction() as session:
        session.add(MessageLog(user_id=seeded.asker, chat_id="7003", direction="in", kind="text",
                               text="ini nomor klaim saya 12345"))
    await agent.locator("#timeline li", has_text="ini nomor klaim saya").wait_for(timeout=15000)
    assert await agent.input_value("#reply-text") == draft
    assert "ini nomor klaim saya" in await agent.locator("#timeline li").last.inner_text()

    await agent.fill("#reply-text", draft + " Boleh kirim foto buku tabungan Anda?")
    await agent.click("button:has-text('Kirim ke pengguna')")
    assert "menunggu pengguna" in await agent.inner_text(".handoff-meta .state")
    assert "belum ada" not in await agent.inner_text(".first-response")      # first response time
    await both_widths(agent, "handoff")
    sent = rows_of(database, select(Outbox).where(Outbox.user_id == seeded.asker))
    assert len(sent) == 1 and "Boleh kirim foto buku tabungan" in sent[0].text
    assert "rekening beda nama" not in sent[0].text                          # the note never left
    assert rows_of(database, select(HandoffNote))[0].staff_name == "sari"
    await agent.goto(f"{base}/handoffs?status=pending")
    assert await agent.locator(f"tr[data-handoff='{seeded.open_handoff}']").count() == 1

    # An admin answering a handoff someone else holds is warned, and nothing typed is lost.
    admin = await logged_in(browser, base, "ani")
    await admin.goto(f"{base}/handoffs/{seeded.open_handoff}")
    assert "dipegang sari" in await admin.inner_text(".warning")
    await admin.fill("#reply-text", "Halo, saya ani dari Lindungi.")
    await admin.click("button:has-text('Kirim ke pengguna')")
    assert "belum dikirim" in await admin.inner_text(".error")
    assert await admin.input_value("#reply-text") == "Halo, saya ani dari Lindungi."
    assert len(rows_of(database, select(Outbox).where(Outbox.user_id == seeded.asker))) == 1
    await admin.check("input[name=confirm]")
    await admin.click("button:has-text('Kirim ke pengguna')")
    assert "Balasan dikirim" in await admin.inner_text(".flash")
    assert len(rows_of(database, select(Outbox).where(Outbox.user_id == seeded.asker))) == 2

    # Give it to someone, then open -> pending -> resolved.
    await admin.select_option("select[name=to]", label="ani (admin)")
    await admin.click("button:has-text('Berikan')")
    assert await admin.inner_text(".side .assignee") == "ani"
    await admin.click("button:has-text('Buka lagi')")
    assert "menunggu petugas" in await admin.inner_text(".handoff-meta .state")
    await admin.click("button:has-text('Selesai, kembalikan ke bot')")
    handoff = rows_of(database, select(Handoff).where(Handoff.id == seeded.open_handoff))[0]
    assert handoff.status == "resolved" and handoff.first_response_at is not None
    await admin.goto(f"{base}/handoffs?status=resolved")
    assert await admin.locator(f"tr[data-handoff='{seeded.open_handoff}']").count() == 1


async def test_review_queue_teaches_without_a_preselected_label(live_dashboard, browser, seeded, database):
    base = live_dashboard
    page = await logged_in(browser, base, "rudi")
    await page.goto(f"{base}/review")
    queue = await page.inner_text("table.review tbody")
    assert "xyzzy plugh kwek" in queue and "qwerty asdf zxcv" in queue and "harga cabe hari ini" in queue
    assert "Budi Santoso" not in queue and "dua juta lima ratus" not in queue     # form answers stay out
    values = await page.locator("input[name=intent]").evaluate_all("inputs => inputs.map(i => i.value)")
    assert values and set(values) == {""}                                         # nothing chosen for the reviewer
    guess = await page.locator("tr", has_text="xyzzy plugh kwek").locator("td.guess").inner_text()
    assert "Tebakan bot: nlu_fallback" in guess
    described = await page.locator("#label-choices option[value=program_jkm]").get_attribute("label")
    assert described == "Jaminan kematian (JKM)"
    assert await page.locator("#label-choices option[value='claim_jht/no_paklaring']").get_attribute("label") \
        == "Tidak punya paklaring"
    await both_widths(page, "review")

    # Several groups at once, then undo.
    await page.locator("tr", has_text="xyzzy plugh kwek").locator("input[name=group]").check()
    await page.locator("tr", has_text="qwerty asdf zxcv").locator("input[name=group]").check()
    await page.fill("#bulk input[name=intent]", "out_of_scope")
    await page.click("button:has-text('Label yang dicentang')")
    assert "3 pesan diberi label out_of_scope" in await page.inner_text(".flash")
    queue = await page.inner_text("table.review tbody")
    assert "xyzzy" not in queue and "qwerty" not in queue and "harga cabe" in queue
    assert "3 pesan sebagai out_of_scope" in await page.inner_text("form.undo")
    await page.click("button:has-text('Urungkan')")
    assert "3 pesan kembali ke antrean" in await page.inner_text(".flash")
    assert "xyzzy plugh kwek" in await page.inner_text("table.review tbody")

    # An empty label is refused, never a silent guess.
    row = page.locator("tr", has_text="harga cabe hari ini")
    await row.locator("input[name=intent]").evaluate("i => { i.required = false; }")
    await row.locator("button:has-text('Label kelompok')").click()
    assert "Pilih label yang benar dulu" in await page.inner_text(".flash")
    row = page.locator("tr", has_text="harga cabe hari ini")
    await row.locator("input[name=intent]").fill("out_of_scope")
    await row.locator("button:has-text('Label kelompok')").click()
    await page.click("button:has-text('Ekspor data latih')")
    flash = await page.inner_text(".flash")
    assert "1 contoh disimpan sebagai data latih" in flash
    assert "make" not in flash and "--" not in flash and "`" not in flash          # no command line in the UI

    await page.goto(f"{base}/review/group?key=xyzzy+plugh+kwek&intent=nlu_fallback")
    assert await page.locator("table.list tbody tr").count() == 2
    await both_widths(page, "review-group")

    # The "reviewed" marker on a conversation, visible in the list.
    await page.goto(f"{base}/conversations/{seeded.worker}")
    await page.click("button:has-text('Tandai sudah ditinjau')")
    assert "Sudah ditinjau oleh rudi" in await page.inner_text(".reviewed-form")
    await page.goto(f"{base}/conversations")
    assert "✓ ditinjau" in await page.locator(f"tr[data-user='{seeded.worker}']").inner_text()
    assert "✓ ditinjau" not in await page.locator(f"tr[data-user='{seeded.owner}']").inner_text()
    await page.select_option("select[name=reviewed]", "no")
    await page.click("button:has-text('Saring')")
    assert await page.locator(f"tr[data-user='{seeded.worker}']").count() == 0


async def test_applications_search_history_and_indonesian_errors(live_dashboard, browser, seeded):
    base = live_dashboard
    page = await logged_in(browser, base, "rudi")
    await page.goto(f"{base}/applications")
    assert await page.locator("table.list tbody tr").count() == 2
    assert "Diajukan (menunggu diperiksa)" in await page.locator("td.status").first.inner_text()
    await page.fill("input[name=q]", "ldg-2026-000002")
    await page.click("button:has-text('Saring')")
    assert "LDG-2026-000002" in await page.inner_text("table.list tbody")
    assert await page.locator("table.list tbody tr").count() == 1
    await page.fill("input[name=q]", "siti")                        # a name: names are encrypted, still found
    await page.click("button:has-text('Saring')")
    assert await page.locator("table.list tbody tr").count() == 1
    assert seeded.reference in await page.inner_text("table.list tbody")
    await both_widths(page, "applications")

    await page.click(f"a:has-text('{seeded.reference}')")
    history = page.locator(".history tbody tr")
    assert "pendaftar (lewat chat)" in await history.first.inner_text()
    assert "2026-11-23 10:00 WIB" in await history.first.inner_text()
    await page.select_option("select[name=status]", "ditolak")
    await page.click("button:has-text('Simpan dan beri tahu pendaftar')")
    flash = await page.inner_text(".flash")
    assert "Tulis alasan penolakan" in flash and "--" not in flash
    await page.select_option("select[name=status]", "diverifikasi")
    await page.click("button:has-text('Simpan dan beri tahu pendaftar')")
    assert "Status diubah" in await page.inner_text(".flash")
    last = await page.locator(".history tbody tr").last.inner_text()
    assert "Diverifikasi (data sudah dicek)" in last and "rudi" in last and "WIB" in last
    assert "Diverifikasi" in await page.inner_text("dd.status")
    await both_widths(page, "application")
    await page.click("a.chat-link")
    await page.wait_for_url(f"{base}/conversations/{seeded.asker}")
    assert "klaim jht saya ditolak" in await page.inner_text("ol.timeline")


async def test_insights_readable_on_a_phone_with_dates_and_own_csv(live_dashboard, browser, seeded):
    base = live_dashboard
    page = await logged_in(browser, base, "ani")
    await page.goto(f"{base}/insights?from=2026-11-20&to=2026-11-24")
    assert "20 Nov" in await page.locator("#chart-messages svg").text_content()       # a date axis
    links = await page.locator("a.csv").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(links) == len(set(links)) == 8                                      # each chart its own CSV
    response = await page.request.get(f"{base}/insights/fallback.csv?from=2026-11-20&to=2026-11-24")
    rates = {row["hari_wib"]: float(row["tingkat_tidak_paham"]) for row in csv.DictReader(io.StringIO(await response.text()))}
    # The 23rd in WIB: 12 typed messages; 3 not understood and 1 out of scope (a fallback typed into the
    # calculator's income step answered the form and does not count).
    assert rates["2026-11-23"] == pytest.approx(4 / 12, abs=0.001)
    assert rates["2026-11-22"] == 0.0                                              # UTC's 22nd is WIB's 23rd
    response = await page.request.get(f"{base}/insights/messages.csv?from=2026-11-20&to=2026-11-24")
    assert response.headers["content-type"].startswith("text/csv")
    assert "2026-11-23,16" in await response.text()

    await page.fill("input[name=from]", "2026-11-24")
    await page.fill("input[name=to]", "2026-11-24")
    await page.click("button:has-text('Tampilkan')")
    assert "24 Nov" in await page.locator("#chart-messages svg").text_content()
    assert "from=2026-11-24" in await page.locator("#chart-fallback a.csv").get_attribute("href")

    await page.goto(f"{base}/insights?from=2026-11-20&to=2026-11-24")
    await both_widths(page, "insights")
    await page.set_viewport_size(PHONE)
    await page.reload()
    smallest = await page.evaluate("""() => {
        let least = 99;
        for (const t of document.querySelectorAll('.chart-card svg text, .chart-card table.bars th, .chart-card table.bars td')) {
            const svg = t.closest('svg');
            const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
            least = Math.min(least, parseFloat(getComputedStyle(t).fontSize) * scale);
        }
        return least; }""")
    assert smallest >= 12, f"chart text shrinks to {smallest:.1f} px on a phone"
    # The header folds behind one button on a phone.
    assert not await page.locator("nav.menu").is_visible()
    await page.click("label.menu-button")
    assert await page.locator("nav.menu a:has-text('Pendaftaran')").is_visible()
    await page.set_viewport_size(DESKTOP)
    assert await page.locator("nav.menu").is_visible()
    await page.goto(f"{base}/audit")
    assert "WIB" in await page.inner_text("table.list")
    await both_widths(page, "audit")
    await asyncio.sleep(0)
