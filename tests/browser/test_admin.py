"""An administrator at work: the eligibility matrix, a baseline, then the audit log."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.factories import UserFactory


def test_admin_edits_eligibility_and_a_baseline_then_reads_the_audit_log(
    live_server, page, screenshot, admin
):
    UserFactory.create_batch(3, role="investor")
    UserFactory(role="reviewer", email="gulnara@khorgos.kz")
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Administration").first.click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    screenshot("admin-01-index")

    page.get_by_role("link", name="Users", exact=True).first.click()
    expect(page.get_by_label("Role of gulnara@khorgos.kz")).to_have_value("reviewer")
    screenshot("admin-02-users")

    # The logistics zone starts taking pharmaceuticals; the trade zone stops taking finance.
    page.get_by_role("link", name="Eligibility").first.click()
    pharma = page.get_by_label("KEG-LOG admits Pharmaceuticals")
    finance = page.get_by_label("ICBC admits Finance")
    expect(pharma).not_to_be_checked()
    expect(finance).to_be_checked()
    pharma.check()
    finance.uncheck()
    screenshot("admin-03-eligibility")
    page.get_by_role("button", name="Save the matrix").click()
    expect(page.get_by_text("1 pairs added, 1 removed")).to_be_visible()
    expect(page.get_by_label("KEG-LOG admits Pharmaceuticals")).to_be_checked()
    expect(page.get_by_label("ICBC admits Finance")).not_to_be_checked()

    # A baseline: a wrong day count is refused next to the field, then corrected.
    page.get_by_role("link", name="Baselines").first.click()
    expect(page.get_by_role("row", name="2016")).to_contain_text("6.57")
    page.get_by_role("link", name="Edit baseline 2016").click()
    page.get_by_label("Days").fill("365")
    page.get_by_role("button", name="Save the baseline").click()
    expect(page.get_by_text("2016 had 366 days")).to_be_visible()
    expect(page.get_by_label("Days")).to_have_attribute("aria-invalid", "true")
    screenshot("admin-04-baseline-error")
    page.get_by_label("Days").fill("366")
    page.get_by_label("Registrations").fill("2410")
    page.get_by_role("button", name="Save the baseline").click()
    expect(page.get_by_text("Baseline 2016 saved.")).to_be_visible()
    expect(page.get_by_role("row", name="2016")).to_contain_text("6.58")
    screenshot("admin-05-baselines")

    page.get_by_role("link", name="Audit log").first.click()
    rows = page.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("registrations: 2406 → 2410")
    expect(rows.nth(2)).to_contain_text("added: KEG-LOG × pharma; removed: ICBC × finance")
    expect(rows.nth(1)).to_contain_text(admin.email)
    screenshot("admin-06-audit")
    page.get_by_label("Action").select_option(label="Eligibility changed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(2)
