"""Forms in a browser: Enter saves and continues, errors are summarised and reachable, the
sector list follows the zone."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.services.reference import active_sectors
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_accessibility import RULES
from tests.conftest import PASSWORD
from tests.factories import complete_application, sector, zone

PHONE = {"width": 360, "height": 740}


def sign_in(page, base: str, user) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My applications", exact=True)).to_be_visible()


def test_enter_in_a_field_saves_the_step_and_moves_on(live_server, page, investor):
    application = complete_application(owner=investor)
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/investment")

    page.get_by_label("Planned jobs").fill("75")
    page.get_by_label("Planned jobs").press("Enter")
    # Not "Back" to the company step: saved, and on to the founders.
    expect(page.get_by_role("heading", name="Founders", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Founder 2")).to_be_visible()

    second = page.get_by_role("group", name="Founder 2")
    second.get_by_label("Full name or company name").fill("Xinjiang Silk Co.")
    second.get_by_label("Full name or company name").press("Enter")
    # Not a new empty founder: saved, and on to the beneficial owners.
    expect(page.get_by_role("heading", name="Beneficial owners", exact=True)).to_be_visible()

    page.goto(f"{live_server}/applications/{application.id}/step/founders")
    expect(page.get_by_role("group", name="Founder 3")).to_have_count(0)
    expect(
        page.get_by_role("group", name="Founder 2").get_by_label("Full name or company name")
    ).to_have_value("Xinjiang Silk Co.")
    page.goto(f"{live_server}/applications/{application.id}/step/investment")
    expect(page.get_by_label("Planned jobs")).to_have_value("75")


def test_errors_are_summarised_at_the_top_and_each_link_reaches_its_field(
    live_server, page, new_context, investor, screenshot
):
    application = complete_application(owner=investor)
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/company")
    page.get_by_label("Address in the zone").fill("")
    page.get_by_label("Economic activity code (OKED)").fill("1392")
    page.get_by_label("Contact e-mail").fill("not an address")
    page.get_by_label("Contact e-mail").press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # a screen reader reads it first
    expect(summary.get_by_role("link")).to_have_count(3)
    code = page.get_by_label("Economic activity code (OKED)")
    expect(code).to_have_attribute("aria-invalid", "true")
    # Marked like a select in error: a red border of 2 px.
    assert code.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    assert code.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    screenshot("forms-company-errors-1280", full_page=False)
    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, results.generate_report()

    summary.get_by_role("link", name=re.compile("Economic activity code")).click()
    expect(code).to_be_focused()
    expect(page.get_by_text("Economic activity code (OKED)", exact=True)).to_be_in_viewport()

    small = new_context(viewport=PHONE).new_page()
    sign_in(small, live_server, investor)
    small.goto(f"{live_server}/applications/{application.id}/step/company")
    small.get_by_label("Economic activity code (OKED)").fill("1392")
    small.get_by_label("Economic activity code (OKED)").press("Enter")
    expect(small.locator("[data-error-summary]")).to_be_focused()
    overflow = small.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    small.screenshot(path=str(SCREENSHOTS / "forms-company-errors-360.png"), full_page=True)


def test_the_founders_errors_name_the_founder(live_server, page, investor, screenshot):
    application = complete_application(owner=investor)
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/founders")
    second = page.get_by_role("group", name="Founder 2")
    second.get_by_label("Full name or company name").fill("")
    second.get_by_label("Share, %").fill("thirty")
    second.get_by_label("Share, %").press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Founder 2 — Full name or company name: This field is required.",
            "Founder 2 — Share, %: Enter a number, for example 1500000.50.",
        ]
    )
    share = second.get_by_label("Share, %")
    expect(share).to_have_attribute("aria-invalid", "true")
    assert share.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    screenshot("forms-founders-errors-1280")
    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, results.generate_report()
    summary.get_by_role("link", name=re.compile("Share")).click()
    expect(share).to_be_focused()


def test_the_sector_list_offers_only_what_the_chosen_zone_admits(live_server, page, investor):
    application = complete_application(owner=investor)
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/company")
    zones = page.get_by_label("Zone", exact=True)
    sectors = page.get_by_label("Sector", exact=True)

    def names(items) -> set[str]:
        return {s.name for s in items}

    def offered() -> set[str]:
        return {t.strip() for t in sectors.locator("option").all_text_contents()} - {"— choose —"}

    zones.select_option(str(zone("KEG-IND").id))
    assert offered() == names(zone("KEG-IND").sectors)
    expect(sectors).to_have_value(str(sector("textiles").id))  # admitted there: kept
    zones.select_option(str(zone("KEG-LOG").id))
    assert offered() == names(zone("KEG-LOG").sectors)
    assert "Pharmaceuticals" not in offered()
    expect(sectors).to_have_value("")  # the dry port does not admit textiles
    zones.select_option(str(zone("ICBC").id))
    assert offered() == names(zone("ICBC").sectors)
    zones.select_option("")
    assert offered() == names(active_sectors())  # no zone chosen: every sector
