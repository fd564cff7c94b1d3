"""Beneficial owners in a browser: declared behind a founding company, errors next to the fields
and in the summary, Enter saves and continues, and the public record shows month and year."""

from __future__ import annotations

import re
from decimal import Decimal

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Founder
from tests.browser.test_accessibility import RULES
from tests.conftest import PASSWORD
from tests.factories import ApplicationFactory, complete_application, registered_application


def sign_in(page, base: str, user) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My applications", exact=True)).to_be_visible()


def test_an_investor_declares_the_owner_behind_a_founding_company(
    live_server, page, investor, screenshot
):
    application = ApplicationFactory(owner=investor)
    application.founders = [
        Founder(position=0, kind="natural", name="Li Wei", nationality="CN", share=Decimal(60)),
        Founder(
            position=1,
            kind="legal",
            name="Қорғас Логистика ЖШС",
            nationality="KZ",
            share=Decimal(40),
        ),
    ]
    db.session.commit()
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/founders")
    # Enter on the founders step saves and goes on to the owners.
    page.get_by_role("group", name="Founder 1").get_by_label("Share, %").press("Enter")
    expect(page.get_by_role("heading", name="Beneficial owners", exact=True)).to_be_visible()

    first = page.get_by_role("group", name="Owner 1")
    first.get_by_label("Full name").fill("Li Wei")
    first.get_by_label("Date of birth").fill("1979-05-21")
    first.get_by_label("Nationality").select_option(label="China")
    first.get_by_label("Country of residence").select_option(label="China")
    first.get_by_label("Owns shares: at least 25%").check()
    first.get_by_label("Shares, %").fill("60")
    page.get_by_role("button", name="Add an owner").click()

    second = page.get_by_role("group", name="Owner 2")
    expect(page.get_by_role("group", name="Owner 1").get_by_label("Full name")).to_have_value(
        "Li Wei"
    )
    second.get_by_label("Full name").fill("Айгерим Жумабаева")
    second.get_by_label("Date of birth").fill("2031-11-02")  # a slip of the year
    second.get_by_label("Nationality").select_option(label="Kazakhstan")
    second.get_by_label("Country of residence").select_option(label="Kazakhstan")
    second.get_by_label("Holds voting rights: at least 25%").check()
    second.get_by_label("Votes, %").fill("40")
    second.get_by_label("Held").select_option(label="Through Қорғас Логистика ЖШС")
    second.get_by_label("Votes, %").press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Owner 2 — Date of birth: Enter a date of birth in the past."]
    )
    born = page.get_by_role("group", name="Owner 2").get_by_label("Date of birth")
    expect(born).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("group", name="Owner 2").get_by_label("Votes, %")).to_have_value("40")
    screenshot("owners-errors-1280")
    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, results.generate_report()

    born.fill("1988-11-02")
    page.get_by_role("button", name="Save and continue").first.click()
    expect(page.get_by_role("heading", name="Documents", exact=True)).to_be_visible()
    db.session.refresh(application)
    owners = [(o.name, o.held_through) for o in application.owners]
    assert owners == [("Li Wei", ""), ("Айгерим Жумабаева", "Қорғас Логистика ЖШС")]


def test_enter_on_the_founders_step_goes_on_to_the_owners(live_server, page, investor):
    application = complete_application(owner=investor)
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{application.id}/step/founders")
    page.get_by_role("group", name="Founder 2").get_by_label("Full name or company name").press(
        "Enter"
    )
    expect(page.get_by_role("heading", name="Beneficial owners", exact=True)).to_be_visible()
    expect(page.get_by_role("group", name="Owner 2").get_by_label("Full name")).to_have_value(
        "Li Wei"
    )


def test_the_public_record_shows_the_owners_month_and_year_of_birth(live_server, page, screenshot):
    registered_application(number="KEG-IND-2026-000077")

    page.goto(f"{live_server}/registry/KEG-IND-2026-000077")

    owners = page.get_by_role("region", name="Beneficial owners")
    expect(owners.get_by_role("heading", name="Li Wei")).to_be_visible()
    expect(owners).to_contain_text("Born September 1978 · Nationality: China")
    expect(owners).not_to_contain_text(re.compile(r"Sep\w* 3, 1978|1978-09-03"))
    screenshot("owners-public-record")
