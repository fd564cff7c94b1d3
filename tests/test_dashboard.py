"""The dashboard page: who reaches it, its filters, and CSV exports equal to its tables."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine

from portal.extensions import db
from portal.models import RejectionReason, Sector
from tests.factories import ApplicationFactory, UserFactory, event, registered, zone

FROZEN = datetime(2026, 4, 10, 6, 0, tzinfo=UTC)  # 10 April in Almaty: day 100


class TableReader(HTMLParser):
    """The data-value of every cell of one table, row by row, as a person's CSV would hold."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.section = None
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        if not self.inside:
            return
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td"):
            if self.section == "thead":
                self.cell = ""
            elif "data-value" in attrs:
                self.rows[-1].append(attrs["data-value"])

    def handle_data(self, data):
        if self.inside and self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "th" and self.section == "thead":
            self.head.append(self.cell.strip())
            self.cell = None
        elif tag == "table":
            self.inside = False


def read_table(html: str, table_id: str) -> tuple[list[str], list[list[str]]]:
    reader = TableReader(table_id)
    reader.feed(html)
    return reader.head, [r for r in reader.rows if r]


@pytest.fixture
def admin_client(client, auth):
    """An administrator's client, on 10 April 2026 (the clock stands still)."""
    with time_machine.travel(FROZEN, tick=False):
        auth.login(UserFactory(role="admin"))
        yield client


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/dashboard/", "/dashboard/export/daily.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login?next=" in response.location


def test_investors_may_not_see_the_dashboard(client, auth, investor):
    auth.login(investor)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export/daily.csv").status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_see_the_dashboard_and_a_nav_link_to_it(client, auth, request, role):
    auth.login(request.getfixturevalue(role))
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/dashboard/"' in html
    assert "Registrations per day" in html
    # Read-only: no form on the page posts anything but the layout's own (signing out, the
    # language, and "Stay signed in" on the warning before the session ends).
    assert set(re.findall(r'<form method="post" action="([^"]+)"', html)) <= {
        "/logout",
        "/language",
        "/session/keepalive",
    }


def test_the_page_shows_the_year_to_date_against_both_baselines(admin_client):
    registered({date(2026, 1, 1) + timedelta(days=i): 7 for i in range(100)})  # 700 by day 100

    html = admin_client.get("/dashboard/").get_data(as_text=True)

    head, rows = read_table(html, "table-year-to-date")
    assert head[:4] == ["Baseline", "Per day", "Pace by day 100", "Registered"]
    assert rows == [
        ["2016", "6.57", "657", "700", "43", "6.5", "1"],
        ["2017", "20.00", "2000", "700", "-1300", "-65.0", "0"],
    ]
    assert "ahead of its pace of 657" in html
    assert "behind its pace of 2,000" in html


def test_the_window_filter_chooses_the_days_shown(admin_client):
    html_30 = admin_client.get("/dashboard/").get_data(as_text=True)
    html_90 = admin_client.get("/dashboard/?window=90").get_data(as_text=True)
    html_year = admin_client.get("/dashboard/?window=year&year=2016").get_data(as_text=True)
    custom = admin_client.get("/dashboard/?window=custom&start=2026-02-01&end=2026-02-10")

    days_30 = read_table(html_30, "table-daily")[1]
    assert len(days_30) == 30 and days_30[-1][0] == "2026-04-10"
    assert len(read_table(html_90, "table-daily")[1]) == 90
    assert len(read_table(html_year, "table-daily")[1]) == 366
    custom_days = read_table(custom.get_data(as_text=True), "table-daily")[1]
    assert [r[0] for r in custom_days][:2] == ["2026-02-01", "2026-02-02"] and len(
        custom_days
    ) == 10


def test_a_custom_range_ending_before_it_starts_is_refused_next_to_the_field(admin_client):
    response = admin_client.get("/dashboard/?window=custom&start=2026-02-10&end=2026-02-01")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The end comes before the start." in html
    assert len(read_table(html, "table-daily")[1]) == 30  # falls back to the last 30 days


def test_the_zone_filter_counts_only_that_zone(admin_client):
    registered({date(2026, 4, 1): 3}, "KEG-IND", "textiles")
    registered({date(2026, 4, 1): 5}, "KEG-LOG", "logistics")

    html = admin_client.get(f"/dashboard/?zone={zone('KEG-LOG').id}").get_data(as_text=True)

    rows = read_table(html, "table-daily")[1]
    assert [r[1] for r in rows if r[0] == "2026-04-01"] == ["5"]


@pytest.mark.parametrize(
    "key",
    [
        "daily",
        "year-to-date",
        "zones",
        "sectors",
        "funnel",
        "review-times",
        "rejections",
        "backlog",
    ],
)
def test_each_csv_equals_the_table_shown(admin_client, key):
    registered({date(2026, 3, 20): 4, date(2026, 4, 2): 9}, "KEG-LOG", "logistics")
    reviewer = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    application = ApplicationFactory(status="submitted", submitted_on=date(2026, 4, 1))
    reason = db.session.scalar(db.select(RejectionReason).where(RejectionReason.code == "other"))
    event(application, "submit", application.owner, datetime(2026, 4, 1, 5, 0, tzinfo=UTC))
    event(application, "take", reviewer, datetime(2026, 4, 2, 5, 0, tzinfo=UTC))
    event(application, "reject", reviewer, datetime(2026, 4, 3, 5, 0, tzinfo=UTC), reason)
    query = "?window=90"

    html = admin_client.get("/dashboard/" + query).get_data(as_text=True)
    response = admin_client.get(f"/dashboard/export/{key}.csv" + query)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    head, rows = read_table(html, f"table-{key}")
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == head
    assert lines[1:] == rows
    assert rows  # every table has rows to compare


def test_an_unknown_export_is_not_found(admin_client):
    assert admin_client.get("/dashboard/export/users.csv").status_code == 404


def test_sector_breakdown_is_headed_by_sector_names_not_codes(client, auth, admin):
    auth.login(admin)
    csv_text = client.get("/dashboard/export/sectors.csv").get_data(as_text=True)
    header = csv_text.splitlines()[0]
    assert "Agricultural processing" in header
    assert "agro" not in header.split(",")


def test_sectors_and_rejection_reasons_read_in_the_admins_language(admin_client):
    reviewer = UserFactory(role="reviewer")
    application = ApplicationFactory(status="submitted", submitted_on=date(2026, 4, 1))
    reason = db.session.scalar(
        db.select(RejectionReason).where(RejectionReason.code == "sector_not_eligible")
    )
    event(application, "submit", application.owner, datetime(2026, 4, 1, 5, 0, tzinfo=UTC))
    event(application, "take", reviewer, datetime(2026, 4, 2, 5, 0, tzinfo=UTC))
    event(application, "reject", reviewer, datetime(2026, 4, 3, 5, 0, tzinfo=UTC), reason)
    admin_client.post("/language", data={"code": "ru"})

    html = admin_client.get("/dashboard/?window=365").get_data(as_text=True)

    (reason_row,) = read_table(html, "table-rejections")[1]
    assert reason_row == ["Отрасль не допускается в выбранной зоне", "1"]
    assert ">Логистика</option>" in html  # the sector filter
    assert "Logistics" not in html


# --- CSV exports a spreadsheet opens without running anything (issue 9) -----------------------


def _csv(client, key: str) -> list[list[str]]:
    response = client.get(f"/dashboard/export/{key}.csv?window=90")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_a_spreadsheet_would_run_is_exported_as_text(admin_client, start):
    # The admin pages strip spaces around what admins type, so a leading tab or carriage
    # return can only come from elsewhere (a seed file, the database): set them on the models.
    reason = RejectionReason(code="formula", label=start + 'HYPERLINK("https://evil.test","x")')
    db.session.add_all([reason, Sector(code="formula", name=start + "1+cmd|' /C calc'!A0")])
    reviewer = UserFactory(role="reviewer")
    application = ApplicationFactory(status="submitted", submitted_on=date(2026, 4, 1))
    event(application, "submit", application.owner, datetime(2026, 4, 1, 5, 0, tzinfo=UTC))
    event(application, "take", reviewer, datetime(2026, 4, 2, 5, 0, tzinfo=UTC))
    event(application, "reject", reviewer, datetime(2026, 4, 3, 5, 0, tzinfo=UTC), reason)

    rejections = _csv(admin_client, "rejections")
    sectors_header = _csv(admin_client, "sectors")[0]

    assert ["'" + start + 'HYPERLINK("https://evil.test","x")', "1"] in rejections[1:]
    assert "'" + start + "1+cmd|' /C calc'!A0" in sectors_header
    assert not any(cell.startswith(start) for row in rejections for cell in row)
    assert not any(cell.startswith(start) for cell in sectors_header)


def test_a_sector_an_admin_names_like_a_formula_heads_its_column_as_text(admin_client):
    data = {"code": "formula", "name": "=1+1", "active": "y"}
    assert admin_client.post("/admin/sectors/new", data=data).status_code == 302
    assert "'=1+1" in _csv(admin_client, "sectors")[0]


def test_a_negative_difference_stays_a_number_in_the_csv(admin_client):
    header, *rows = _csv(admin_client, "year-to-date")
    differences = [row[header.index("Difference")] for row in rows]
    assert differences and all(d.startswith("-") for d in differences)  # nothing registered yet
    assert all(int(d) < 0 for d in differences)


# --- what the charts say (issue 14) ------------------------------------------------------------


def row_labels(html: str, table_id: str) -> list[str]:
    """What the first cell of each row of one table reads, as a person sees it."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    cells = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', table, re.S)
    return [re.sub(r"\s+", " ", c).strip() for c in cells]


def test_weeks_cut_by_the_window_are_marked_partial_not_shown_as_dips(admin_client):
    # The last 30 days to Friday 10 April 2026 start on Thursday 12 March.
    registered({date(2026, 3, 12): 2, date(2026, 3, 20): 4, date(2026, 4, 9): 3})

    html = admin_client.get("/dashboard/").get_data(as_text=True)

    for table_id in ("table-zones", "table-sectors"):
        labels = row_labels(html, table_id)
        assert labels[0] == "Mar 12, 2026 (partial week: 4 days in the window)"
        assert labels[1:4] == ["Mar 16, 2026", "Mar 23, 2026", "Mar 30, 2026"]
        assert labels[-1] == "Apr 6, 2026 (partial week: 5 days in the window)"
    # The CSV keeps the period's first day as a date a spreadsheet reads.
    assert _csv(admin_client, "zones")[1][0] == "2026-01-11"  # the 90-day window's first day


def test_months_cut_by_the_window_are_marked_partial(admin_client):
    labels = row_labels(
        admin_client.get("/dashboard/?window=365").get_data(as_text=True), "table-zones"
    )

    assert labels[0] == "Apr 11, 2025 (partial month: 20 days in the window)"
    assert labels[1] == "May 1, 2025"
    assert labels[-1] == "Apr 1, 2026 (partial month: 10 days in the window)"
    assert len(labels) == 13


def test_a_calendar_year_has_no_partial_month(admin_client):
    html = admin_client.get("/dashboard/?window=year&year=2025").get_data(as_text=True)
    assert "partial" not in " ".join(row_labels(html, "table-zones"))


@pytest.mark.parametrize("language", ["en", "ru", "kk", "zh"])
def test_the_baseline_legend_is_a_rate_per_day_not_per_date(admin_client, language):
    admin_client.post("/language", data={"code": language})
    html = admin_client.get("/dashboard/").get_data(as_text=True)

    legend = re.search(r'data-baseline-label="([^"]*)"', html).group(1)
    date_heading = read_table(html, "table-daily")[0][0]  # "Date", "Дата", "日期" ...

    assert "{baseline}" in legend and "{rate}" in legend
    # as a word: Kazakh's "per day" (күніне) begins like its "Date" (Күні)
    assert not re.search(rf"\b{re.escape(date_heading.lower())}\b", legend.lower())
    if language == "en":
        assert legend == "{baseline}: {rate} per day"
