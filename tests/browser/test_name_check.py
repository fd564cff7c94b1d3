"""The company-name check as an investor types, in a browser: taken, similar, then free."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import ApplicationFactory, UserFactory, registered_application


def test_the_investor_is_told_a_name_is_taken_and_picks_another(live_server, page):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    investor = UserFactory(role="investor")
    draft = ApplicationFactory(owner=investor, company_name="")
    db.session.commit()

    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(investor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/applications/{draft.id}/step/company")

    name = page.get_by_label("Proposed company name")
    message = page.locator("#company_name-check")
    expect(message).to_have_attribute("aria-live", "polite")
    confirm = page.get_by_label("I have checked", exact=False)

    name.fill("ТОО «Sіlk Rоad»")  # Cyrillic, with look-alike letters
    expect(message).to_contain_text(
        "This name is taken: Silk Road LLP is already registered as KEG-IND-2026-000012."
    )
    expect(confirm).to_be_hidden()

    name.fill("Silk Roads")
    expect(message).to_contain_text("similar to: Silk Road LLP (registered as KEG-IND-2026-000012)")
    expect(confirm).to_be_visible()
    expect(page.get_by_text("I have checked: my company is not Silk Road LLP.")).to_be_visible()

    name.fill("Altyn Dala Trading")
    expect(message).to_have_text("This name is free.")
    expect(confirm).to_be_hidden()

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(message).to_have_text("This name is free.")
