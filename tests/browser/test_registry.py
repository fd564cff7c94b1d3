"""A visitor searches the registry, opens a company's page and verifies a certificate; an
investor downloads theirs."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests import factories


def _register_some_companies():
    factories.registered_application(
        company_name="Silk Way Textiles LLP",
        number="KEG-IND-2026-000001",
        registered_on=date(2026, 1, 10),
    )
    factories.registered_application(
        company_name="Dry Port Logistics LLP",
        zone_code="KEG-LOG",
        sector_code="logistics",
        number="KEG-LOG-2026-000001",
        registered_on=date(2026, 2, 3),
    )
    factories.registered_application(
        company_name="Қорғас Электроника 电子 LLP",
        sector_code="electronics",
        number="KEG-IND-2026-000002",
        registered_on=date(2026, 3, 1),
    )


def test_visitor_searches_the_registry_and_verifies_a_certificate(
    app, live_server, page, screenshot
):
    app.config["PAGE_SIZE"] = 2
    _register_some_companies()

    page.goto(live_server + "/")
    page.get_by_role("link", name="Public registry").click()
    expect(
        page.get_by_role("heading", name="Companies registered in the Khorgos zones")
    ).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(3)  # the header and two of three companies
    screenshot("registry-01-list")
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(page.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("link", name="Silk Way Textiles LLP")).to_be_visible()

    page.get_by_label("Zone").select_option("KEG-IND")
    page.get_by_label("Company name or registration number").fill("Nothing like this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("No registered company matches.")
    page.get_by_label("Company name or registration number").fill("Электроника")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row")).to_have_count(2)
    expect(page.get_by_label("Zone")).to_have_value("KEG-IND")
    screenshot("registry-02-search")

    page.get_by_role("link", name="Қорғас Электроника 电子 LLP").click()
    expect(page.get_by_role("heading", name="Қорғас Электроника 电子 LLP")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="Aruzhan Bekova")).to_be_visible()
    screenshot("registry-03-company")
    page.get_by_role("link", name="Verify the certificate").click()
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.get_by_text("Қорғас Электроника 电子 LLP")).to_be_visible()
    screenshot("registry-03-verify-valid")

    page.get_by_role("link", name="Verify another certificate").click()
    page.get_by_label("Registration number").fill("KEG-IND-2026-999999")
    page.get_by_role("button", name="Verify").click()
    expect(
        page.get_by_role("heading", name="No company is registered under this number")
    ).to_be_visible()
    screenshot("registry-04-verify-not-found")


def test_investor_downloads_the_certificate_from_the_application_page(
    live_server, page, screenshot, investor, tmp_path
):
    application = factories.registered_application(
        investor, company_name="Silk Way Textiles LLP", number="KEG-IND-2026-000001"
    )
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(investor.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/applications/{application.id}")
    expect(page.get_by_text("Your company is registered")).to_be_visible()
    screenshot("registry-05-application-registered")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the certificate").click()
    download = info.value
    assert download.suggested_filename == "certificate-KEG-IND-2026-000001.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="See it in the public registry").click()
    expect(page.get_by_role("heading", name="Silk Way Textiles LLP")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="KEG-IND-2026-000001")).to_be_visible()
