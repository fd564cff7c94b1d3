"""A company's life after registration, in a browser: the owner changes its address, a reviewer
approves the change, the old certificate's QR page says it is superseded and shows the new
address; an admin strikes the company off and the same page says so."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from portal.services import signing, statements
from tests.browser.test_review_flow import sign_in
from tests.factories import UserFactory, registered_application

NUMBER = "KEG-IND-2026-000077"


def test_a_change_of_address_supersedes_the_certificate_and_a_strike_off_ends_it(
    live_server, page, screenshot
):
    investor = UserFactory(role="investor", full_name="Li Wei")
    reviewer = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    admin = UserFactory(role="admin")
    registered = registered_application(
        investor,
        number=NUMBER,
        company_name="Silk Thread Textiles LLP",
        address="Nurkent, building 3",
        registered_on=date(2026, 3, 14),
    )
    # The QR statement of the certificate as printed before the change.
    old = statements.sign(
        statements.Statement.of(registered.registration, issued_on=date(2026, 3, 14)),
        signing.current_keys(),
    )

    # The owner files the change from the company's page.
    sign_in(page, live_server, investor)
    page.goto(f"{live_server}/applications/{registered.id}")
    page.get_by_role("button", name="File a change").click()
    expect(page.get_by_text("The legal form, zone and sector stay as registered.")).to_be_visible()
    page.get_by_label("Address in the zone").fill("Nurkent, building 9")
    screenshot("change-01-company-step")
    page.get_by_label("Address in the zone").press("Enter")  # Enter saves and continues
    for _step in ("founders", "owners"):
        page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Continue to review").click()  # no document is required
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_text("What the change changes").first).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The reviewer finds it among the changes, sees old against new, and approves.
    sign_in(page, live_server, reviewer)
    page.get_by_label("Kind").select_option(label="Change")
    page.get_by_role("button", name="Show applications").click()
    page.get_by_role("link", name="Silk Thread Textiles LLP").click()
    expect(page.locator("ins", has_text="Nurkent, building 9")).to_be_visible()
    expect(page.locator("del", has_text="Nurkent, building 3")).to_be_visible()
    page.get_by_role("button", name="Take it").click()
    screenshot("change-02-review")
    page.get_by_role("button", name="Approve the change").click()
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The old certificate's QR code: superseded by version 2, the new address shown.
    page.goto(f"{live_server}/verify/{NUMBER}?s={old}")
    expect(page.get_by_role("heading", name="This certificate was superseded on")).to_be_visible()
    expect(page.get_by_text("by version 2").first).to_be_visible()
    expect(page.locator(".verify-address")).to_have_text("Nurkent, building 9")
    screenshot("change-03-superseded")

    # An admin strikes the company off: the same page now says the certificate is not valid.
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/companies/{NUMBER}")
    page.get_by_label("New status").select_option(label="Strike the company off (final)")
    page.get_by_label("Reason").fill("Liquidated by decision of its founders.")
    page.get_by_role("button", name="Change the status").click()
    page.goto(f"{live_server}/verify/{NUMBER}?s={old}")
    expect(page.get_by_role("heading", name="This certificate is not valid since")).to_be_visible()
