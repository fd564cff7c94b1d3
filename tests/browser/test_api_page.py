"""/api/ in a browser: Swagger UI (vendored) draws the OpenAPI document under the site's
Content-Security-Policy, and "Try it out" calls the API."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests import factories


def test_the_api_page_tries_a_call_without_breaking_the_csp(live_server, page, screenshot, app):
    factories.registered_application(
        company_name="Silk Way Textiles LLP",
        number="KEG-IND-2026-000001",
        registered_on=date(2026, 1, 10),
    )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server}/api/")
    page.get_by_role(
        "button", name="GET /api/v1/companies/{number} One company's public record"
    ).click()
    page.get_by_placeholder("number").fill("KEG-IND-2026-000001")
    page.get_by_role("button", name="Execute").click()

    live = page.locator(".live-responses-table").first
    expect(live.locator("tbody .response-col_status").first).to_have_text("200")
    expect(live).to_contain_text("Silk Way Textiles LLP")
    screenshot("api-page")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert problems == []
