"""A reviewer's day, in a browser: filter the queue, take, ask, and approve after the answer."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from pypdf import PdfReader

from portal.extensions import db
from portal.services import applications as app_service
from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application, sector, zone


def submitted(owner, **kwargs):
    application = complete_application(owner, **kwargs)
    app_service.submit(application, owner)
    db.session.commit()
    return application


def sign_in(page, live_server, user) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_reviewer_asks_for_information_then_approves_and_the_investor_sees_the_number(
    live_server, page, screenshot
):
    investor = UserFactory(role="investor", full_name="Li Wei")
    reviewer = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    ours = submitted(investor, company_name="Silk Thread Textiles LLP")
    submitted(
        UserFactory(),
        company_name="Steppe Freight LLP",
        zone=zone("KEG-LOG"),
        sector=sector("logistics"),
    )
    submitted(UserFactory(), company_name="Altyn Cotton LLP")

    # The reviewer lands on the queue and narrows it down.
    sign_in(page, live_server, reviewer)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(4)
    screenshot("review-01-queue")
    page.get_by_label("Zone").select_option(label="KEG-IND")
    page.get_by_label("Search").fill("silk thread")
    page.get_by_role("button", name="Show applications").click()
    expect(page.get_by_role("row")).to_have_count(2)
    assert "q=silk+thread" in page.url  # the view can be bookmarked or shared
    screenshot("review-02-queue-filtered")

    page.get_by_role("link", name="Silk Thread Textiles LLP").click()
    expect(page.get_by_text("Nobody has taken this application yet.")).to_be_visible()
    page.get_by_role("button", name="Take it").click()
    expect(page.get_by_text("You have this application since")).to_be_visible()
    page.get_by_label("Message to the investor").fill(
        "The charter is not signed. Please upload a signed copy."
    )
    screenshot("review-03-application-taken")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent.")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Information requested")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The investor reads the request, changes the address and resubmits.
    sign_in(page, live_server, investor)
    page.get_by_role("link", name="Silk Thread Textiles LLP").click()
    request = page.get_by_role("note", name="The reviewer asks for more information")
    expect(request).to_contain_text("The charter is not signed.")
    screenshot("review-04-investor-sees-request")
    page.get_by_role("link", name="Continue where you stopped").click()
    expect(request).to_contain_text("The charter is not signed.")
    steps = page.get_by_role("navigation", name="Application steps")
    steps.get_by_role("link", name=re.compile("Company")).click()
    page.get_by_label("Address in the zone").fill("Industrial zone, plot 15")
    page.get_by_role("button", name="Save draft").click()
    page.goto(f"{live_server}/applications/{ours.id}/step/review")
    page.get_by_label("Your answer to the reviewer").fill("The charter is signed; plot 15 now.")
    page.get_by_label("I confirm that the information").check()
    page.get_by_role("button", name="Resubmit the application").click()
    expect(page.locator(".badge").first).to_have_text("Submitted")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The reviewer takes it again and approves.
    sign_in(page, live_server, reviewer)
    page.get_by_role("link", name="Silk Thread Textiles LLP").click()
    expect(page.locator("dd", has_text="Industrial zone, plot 15")).to_be_visible()
    expect(page.locator(".timeline blockquote").last).to_have_text(
        "The charter is signed; plot 15 now."
    )
    changes = page.get_by_role("region", name="What changed since the request for information")
    expect(changes.locator("ins")).to_have_text("Industrial zone, plot 15")
    screenshot("review-04b-what-changed")
    page.get_by_role("button", name="Take it").click()
    page.get_by_role("button", name="Approve and register").click()
    expect(page.get_by_text(re.compile(r"registered as KEG-IND-\d{4}-000001"))).to_be_visible()
    screenshot("review-05-approved")
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, live_server, investor)
    page.get_by_role("link", name="Silk Thread Textiles LLP").click()
    expect(page.locator(".badge").first).to_have_text("Approved")
    expect(page.locator("strong.reg-number")).to_have_text(re.compile(r"KEG-IND-\d{4}-000001"))
    screenshot("review-06-investor-approved")

    # The investor downloads the certificate; its QR address confirms the registration.
    number = page.locator("strong.reg-number").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate").click()
    pdf_path = download_info.value.path()
    text = "".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert number in text
    assert "Silk Thread Textiles LLP" in text
    assert f"/verify/{number}" in text
    page.goto(f"{live_server}/verify/{number}")
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.get_by_text("Silk Thread Textiles LLP")).to_be_visible()
    screenshot("review-07-verified")
