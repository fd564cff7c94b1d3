"""An investor's whole first visit, as a person does it in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import PDF_BYTES, zone

PASSWORD = "a caravan crosses the steppe"


def zone_label(code: str) -> str:
    return f"{code} — {zone(code).name}"


def test_new_investor_signs_up_confirms_fills_all_steps_uploads_and_submits(
    live_server, page, screenshot, outbox, tmp_path
):
    page.goto(live_server + "/")
    screenshot("01-home")
    page.get_by_role("link", name="Create an account and apply").click()
    page.get_by_label("Your name").fill("Li Wei")
    page.get_by_label("E-mail").fill("li.wei@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    screenshot("02-signup")
    page.get_by_role("button", name="Create account").click()
    # The answer a stranger would get for a taken address too: the link is in the mail, and
    # signing in (with the password just chosen) comes next.
    expect(
        page.get_by_text("Check your e-mail: we sent a link to li.wei@example.com")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("E-mail").fill("li.wei@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My applications", exact=True)).to_be_visible()
    expect(page.get_by_text("is not confirmed yet")).to_be_visible()

    # Confirm the e-mail from the .eml in the outbox.
    link = outbox.last_link("/confirm/")
    page.goto(live_server + "/confirm/" + link.rsplit("/confirm/", 1)[1])
    expect(page.get_by_text("your e-mail address is confirmed")).to_be_visible()

    page.get_by_role("button", name="Start a new application").click()
    expect(page.get_by_role("heading", name="Company", exact=True)).to_be_visible()
    page.get_by_label("Proposed company name").fill("Silk Thread Textiles LLP")
    page.get_by_label("Legal form").select_option(label="Limited liability partnership (LLP)")
    page.get_by_label("Zone", exact=True).select_option(label=zone_label("KEG-LOG"))
    # The logistics zone does not admit pharmaceuticals: the list offers only its sectors.
    sectors = page.get_by_label("Sector", exact=True)
    expect(sectors.locator("option", has_text="Pharmaceuticals")).to_have_count(0)
    page.get_by_label("Zone", exact=True).select_option(label=zone_label("KEG-IND"))
    sectors.select_option(label="Textiles")
    page.get_by_label("Economic activity code (OKED)").fill("1392")
    page.get_by_label("Address in the zone").fill("Industrial zone, plot 14")
    page.get_by_label("Director's full name").fill("Li Wei")
    page.get_by_label("Director's nationality").select_option(label="China")
    page.get_by_role("button", name="Save and continue").click()
    # A code without its dots: refused next to the field and in the summary, nothing lost.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text("Write the code as 13.92.0 or 13.92.", exact=True)).to_be_visible()
    expect(page.get_by_label("Proposed company name")).to_have_value("Silk Thread Textiles LLP")
    screenshot("03-company-error")
    page.get_by_label("Economic activity code (OKED)").fill("13.92.0")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Investment", exact=True)).to_be_visible()
    page.get_by_label("Planned investment").fill("2 500 000")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Planned jobs").fill("120")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Founders", exact=True)).to_be_visible()
    page.get_by_label("Full name or company name").fill("Li Wei")
    page.get_by_label("Nationality or country of registration").select_option(label="China")
    page.get_by_label("Share, %").fill("60")
    page.get_by_role("button", name="Add a founder").click()
    second = page.get_by_role("group", name="Founder 2")
    second.get_by_label("Type").select_option(label="Legal entity")
    second.get_by_label("Full name or company name").fill("Қорғас Логистика ЖШС")
    second.get_by_label("Nationality or country of registration").select_option(label="Kazakhstan")
    second.get_by_label("Share, %").fill("30")
    page.get_by_role("button", name="Save and continue").click()
    # Next to the founders, and linked from the summary at the top.
    expect(page.locator("#founders-error")).to_contain_text("add up to 90%")
    expect(page.get_by_role("link", name=re.compile("add up to 90%"))).to_be_visible()
    screenshot("04-founders-shares-wrong")
    second.get_by_label("Share, %").fill("40")
    page.get_by_role("button", name="Save and continue").click()

    # A founder is a company: who stands behind it is declared, with Li Wei's own 60%.
    expect(page.get_by_role("heading", name="Beneficial owners", exact=True)).to_be_visible()
    owner = page.get_by_role("group", name="Owner 1")
    owner.get_by_label("Full name").fill("Li Wei")
    owner.get_by_label("Date of birth").fill("1979-05-21")
    owner.get_by_label("Nationality").select_option(label="China")
    owner.get_by_label("Country of residence").select_option(label="China")
    owner.get_by_label("Owns shares: at least 25%").check()
    owner.get_by_label("Shares, %").fill("60")
    page.get_by_role("button", name="Add an owner").click()
    behind = page.get_by_role("group", name="Owner 2")
    behind.get_by_label("Full name").fill("Айгерим Жумабаева")
    behind.get_by_label("Date of birth").fill("1988-11-02")
    behind.get_by_label("Nationality").select_option(label="Kazakhstan")
    behind.get_by_label("Country of residence").select_option(label="Kazakhstan")
    behind.get_by_label("Holds voting rights: at least 25%").check()
    behind.get_by_label("Votes, %").fill("40")
    behind.get_by_label("Held").select_option(label="Through Қорғас Логистика ЖШС")
    page.get_by_role("button", name="Save and continue").first.click()

    expect(page.get_by_role("heading", name="Documents", exact=True)).to_be_visible()
    pdf = tmp_path / "passport.pdf"
    pdf.write_bytes(PDF_BYTES)
    for label in ("Founder's passport or registration extract", "Charter"):
        page.get_by_label("Type of document").select_option(label=label)
        page.get_by_label("File (PDF, PNG or JPEG)").set_input_files(str(pdf))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text("Document uploaded.")).to_be_visible()
    screenshot("05-documents")
    page.get_by_role("button", name="Continue to review").click()

    expect(page.get_by_role("heading", name="Review and submit", exact=True)).to_be_visible()
    expect(page.get_by_text("Қорғас Логистика ЖШС", exact=True)).to_be_visible()
    expect(page.get_by_text("Through Қорғас Логистика ЖШС", exact=True)).to_be_visible()
    page.get_by_label("I confirm that the information").check()
    screenshot("06-review")
    page.get_by_role("button", name="Submit the application").click()
    expect(
        page.get_by_role("heading", name="Thank you — your application is submitted", exact=True)
    ).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Submitted")
    screenshot("07-submitted")

    page.get_by_role("link", name="My applications").click()
    row = page.get_by_role("row", name=re.compile("Silk Thread Textiles LLP"))
    expect(row).to_contain_text("Submitted")
    screenshot("08-my-applications")


def test_a_draft_resumes_after_signing_out_and_back_in(live_server, page, investor):
    from tests.conftest import PASSWORD as FACTORY_PASSWORD

    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(investor.email)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Start a new application").click()
    page.get_by_label("Proposed company name").fill("Half Finished LLP")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(investor.email)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_label("Proposed company name")).to_have_value("Half Finished LLP")
