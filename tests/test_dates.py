"""Dates and times read alike on every page: one format for a day, one for a moment, in the
reader's language, without seconds, on the clock of the application's zone and naming it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from portal.extensions import db
from portal.services import admin as admin_service
from portal.services import applications as app_service
from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application, registered_application, sector, zone

# 05:45:31 UTC: 10:45 in Almaty (UTC+5), 13:45 in Shanghai (UTC+8).
SUBMITTED = datetime(2026, 11, 26, 5, 45, 31, tzinfo=UTC)

EXPECTED = {
    ("en", "KEG-IND"): "Nov 26, 2026, 10:45 AM (Almaty time)",
    ("en", "LYG"): "Nov 26, 2026, 1:45 PM (Shanghai time)",
    # The city's name is Babel's; the words around it come from the catalog.
    ("zh", "KEG-IND"): re.compile(r"2026年11月26日 10:45\s*[（(]阿拉木图\s*(时间|time)[）)]"),
    ("zh", "LYG"): re.compile(r"2026年11月26日 13:45\s*[（(]上海\s*(时间|time)[）)]"),
}


def signed_in(app, user, language: str):
    client = app.test_client()
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    client.post("/language", data={"code": language})
    return client


def submitted_in(zone_code: str, sector_code: str):
    investor = UserFactory(role="investor")
    application = complete_application(investor, zone=zone(zone_code), sector=sector(sector_code))
    with time_machine.travel(SUBMITTED, tick=False):
        app_service.submit(application, investor)
        db.session.commit()
    return investor, application


def readable(response) -> str:
    """The page's HTML, with Babel's no-break spaces ("10:45\u202fAM") as plain spaces."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def found(expected, html: str) -> list[str]:
    if isinstance(expected, str):
        return [expected] if expected in html else []
    return [m.group(0) for m in expected.finditer(html)]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    ("zone_code", "sector_code"), [("KEG-IND", "textiles"), ("LYG", "logistics")]
)
def test_a_moment_reads_the_same_on_every_page_on_its_zones_clock(
    app, language, zone_code, sector_code
):
    investor, application = submitted_in(zone_code, sector_code)
    reviewer = UserFactory(role="reviewer")
    as_investor = signed_in(app, investor, language)
    as_reviewer = signed_in(app, reviewer, language)
    pages = {
        "my applications": as_investor.get("/applications/"),
        "application page": as_investor.get(f"/applications/{application.id}"),
        "review page": as_reviewer.get(f"/review/applications/{application.id}"),
    }

    shown = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = readable(response)
        shown[name] = found(EXPECTED[language, zone_code], html)
        assert shown[name], f"{name} does not show the submission as expected:\n{html}"
        text = re.sub(r"<[^>]*>", " ", html)  # what a person reads, not <time datetime=…>
        assert ":31" not in text, f"{name} shows seconds"
    assert len({text for texts in shown.values() for text in texts}) == 1, shown


def test_the_queue_shows_the_day_in_the_applications_zone(app):
    # 17:30 UTC on 26 November: 22:30 that day in Almaty, 01:30 on the 27th in Shanghai.
    late = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
    investor = UserFactory(role="investor")
    almaty = complete_application(investor, company_name="Almaty Evening LLP")
    shanghai = complete_application(
        investor, company_name="Lianyungang Night LLP", zone=zone("LYG"), sector=sector("logistics")
    )
    with time_machine.travel(late, tick=False):
        for application in (almaty, shanghai):
            app_service.submit(application, investor)
        db.session.commit()

    html = readable(signed_in(app, UserFactory(role="reviewer"), "en").get("/review/"))

    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert any("Almaty Evening LLP" in r and "Nov 26, 2026" in r for r in rows)
    assert any("Lianyungang Night LLP" in r and "Nov 27, 2026" in r for r in rows)


@pytest.mark.parametrize(
    ("language", "day"),
    [("en", "Jan 10, 2026"), ("zh", "2026年1月10日"), ("ru", "10 янв. 2026 г.")],
)
def test_a_registration_day_reads_the_same_in_the_registry_the_check_and_to_its_owner(
    app, language, day
):
    investor = UserFactory(role="investor")
    application = registered_application(
        investor, number="KEG-IND-2026-000010", registered_on=date(2026, 1, 10)
    )
    visitor = app.test_client()
    visitor.post("/language", data={"code": language})
    pages = {
        "registry": visitor.get("/registry"),
        "verify": visitor.get("/verify/KEG-IND-2026-000010"),
        "application page": signed_in(app, investor, language).get(
            f"/applications/{application.id}"
        ),
    }
    for name, response in pages.items():
        assert day in readable(response), name


def test_the_audit_log_shows_utc_without_seconds_as_its_heading_says(app):
    admin = UserFactory(role="admin")
    entry = admin_service.record(admin, "user.role", "user #1 x@example.com")
    entry.created_at = datetime(2026, 3, 1, 23, 30, 12, tzinfo=UTC)  # 04:30 on 2 March in Almaty
    db.session.commit()

    html = readable(signed_in(app, admin, "en").get("/admin/audit"))

    assert "When (UTC)" in html
    assert "Mar 1, 2026, 11:30 PM" in html
    assert "11:30:12" not in html
