"""The dashboard in Chromium: charts drawn from the tables, with the baselines visible."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.demo import load_history
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import UserFactory


def sign_in(page, live_server, user):
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(getattr(user, "email", user))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def chart_series(page, table: str) -> list[str]:
    return page.evaluate(
        """(table) => {
            const canvas = document.querySelector(`figure[data-table="${table}"] canvas`);
            return Chart.getChart(canvas).data.datasets.map((d) => d.label);
        }""",
        table,
    )


def canvas_is_drawn(page, table: str) -> bool:
    """Some pixels of the chart's canvas are not blank."""
    return page.evaluate(
        """(table) => {
            const canvas = document.querySelector(`figure[data-table="${table}"] canvas`);
            const { width, height } = canvas;
            const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
            return inked > 1000;
        }""",
        table,
    )


def test_admin_sees_registrations_against_the_baselines(live_server, page, screenshot, admin):
    email = admin.email
    load_history(days=2 * 365)
    db.session.remove()
    sign_in(page, live_server, email)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Registration dashboard")).to_be_visible()
    page.get_by_label("Window").select_option(label="Last 365 days")
    page.get_by_role("button", name="Show").click()

    expect(page.locator('figure[data-table="table-daily"]')).to_have_attribute(
        "data-rendered", "true"
    )
    series = chart_series(page, "table-daily")
    assert "2016: 6.57 per day" in series, series
    assert "2017: 20.00 per day" in series, series
    assert {"Registrations", "7-day average", "30-day average", "Submissions"} <= set(series)
    for table in (
        "table-daily",
        "table-year-to-date",
        "table-zones",
        "table-sectors",
        "table-funnel",
        "table-review-times",
        "table-rejections",
        "table-backlog",
    ):
        assert canvas_is_drawn(page, table), table

    # The numbers are there as tables too, each with its caption.
    expect(page.get_by_role("table", name="Registrations per day")).to_be_visible()
    expect(page.get_by_role("table", name="Year to date against the baselines")).to_contain_text(
        "2016"
    )
    screenshot("dashboard-01-admin-365-days")
    page.locator("#funnel").scroll_into_view_if_needed()
    screenshot("dashboard-02-lower-half", full_page=False)

    with page.expect_download() as download:
        page.locator("#daily").get_by_role("link", name=re.compile("Download CSV")).click()
    assert download.value.suggested_filename.startswith("daily_")


def test_reviewer_reaches_the_dashboard_and_investor_does_not(live_server, page, screenshot):
    reviewer = UserFactory(role="reviewer")
    investor = UserFactory(role="investor")
    sign_in(page, live_server, investor)
    response = page.goto(live_server + "/dashboard/")
    assert response.status == 403
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, live_server, reviewer)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator('figure[data-table="table-daily"]')).to_have_attribute(
        "data-rendered", "true"
    )
    screenshot("dashboard-03-reviewer-empty")


def test_without_javascript_the_tables_are_the_page(live_server, new_context, admin):
    page = new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    ).new_page()
    sign_in(page, live_server, admin)
    page.goto(live_server + "/dashboard/")
    expect(page.get_by_role("table", name="Registrations per day")).to_be_visible()
    expect(page.locator("figure.chart").first).to_be_hidden()


# Each bar chart's categories, as its axis names them, beside the table's row headings.
CATEGORIES = """(table) => {
    const chart = Chart.getChart(document.querySelector(`figure[data-table="${table}"] canvas`));
    const axis = chart.options.indexAxis === "y" ? chart.scales.y : chart.scales.x;
    const rows = [...document.querySelectorAll(`#${table} tbody th[scope=row]`)];
    return {
        ticks: axis.ticks.map((t) => [].concat(axis.getLabelForValue(t.value)).join(" ")),
        rows: rows.map((th) => th.textContent.trim()),
    };
}"""


@pytest.mark.parametrize("width", [1280, 360])
def test_every_category_of_a_chart_is_named(live_server, new_context, admin, width):
    email = admin.email
    load_history(days=60)  # six reviewers, open applications of every age
    db.session.remove()
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, live_server, email)
    page.goto(live_server + "/dashboard/")
    expect(page.locator('figure[data-table="table-backlog"]')).to_have_attribute(
        "data-rendered", "true"
    )
    for table in ("table-review-times", "table-backlog", "table-funnel", "table-rejections"):
        shown = page.evaluate(CATEGORIES, table)
        assert shown["ticks"] == shown["rows"], table
    # A week only partly inside the window says so under its bar and in the table (30 days
    # are not whole weeks: the first or the last week, or both, are cut).
    zones = page.evaluate(CATEGORIES, "table-zones")
    marked = [i for i, tick in enumerate(zones["ticks"]) if tick.endswith("(partial week)")]
    assert marked and set(marked) <= {0, len(zones["ticks"]) - 1}, zones["ticks"]
    assert marked == [i for i, row in enumerate(zones["rows"]) if "partial week" in row]
