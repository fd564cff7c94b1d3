"""Every role's main pages pass axe-core's WCAG 2.1 A/AA rules and its best practices.

axe-core (through axe-playwright-python) checks what a screen-reader or keyboard user meets:
labels, names, contrast, landmarks, headings, ARIA. Charts are canvases and are not judged;
their tables are.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.extensions import db
from portal.services import applications as app_service
from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application, registered_application

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def sign_in(page, base: str, user, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def assert_accessible(axe: Axe, page, what: str) -> None:
    results = axe.run(page, options=RULES)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def test_pages_of_every_role_pass_axe(live_server, page, axe):
    investor = UserFactory(role="investor")
    admin = UserFactory(role="admin")
    draft = complete_application(owner=investor, company_name="Silk Draft LLP")
    waiting = complete_application(owner=investor, company_name="Silk Waiting LLP")
    app_service.submit(waiting, investor)
    db.session.commit()
    registered = registered_application(owner=investor, number="KEG-IND-2026-000042")

    visitor_pages = [
        "/",
        "/signup",
        "/registry",
        "/registry/KEG-IND-2026-000042",
        "/verify/KEG-IND-2026-000042",
        "/verify/NO-1",
        "/help",
        "/help/investors",
        "/help/administrators",
    ]
    for path in visitor_pages:
        page.goto(live_server + path)
        assert_accessible(axe, page, path)
    # A form with its errors shown.
    sign_in(page, live_server, investor, password="not the password")
    assert_accessible(axe, page, "sign-in with an error")

    sign_in(page, live_server, investor)
    investor_pages = [
        "/applications/",
        f"/applications/{registered.id}",
        f"/applications/{waiting.id}",
        *(f"/applications/{draft.id}/step/{s}" for s in app_service.STEPS),
        "/account",
        "/account/details",
    ]
    for path in investor_pages:
        page.goto(live_server + path)
        assert_accessible(axe, page, path)
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, live_server, admin)
    admin_pages = [
        "/review/",
        f"/review/applications/{waiting.id}",
        "/dashboard/",
        "/admin/users",
        "/admin/eligibility",
        "/admin/baselines",
        "/admin/audit",
        "/admin/contacts",
        "/admin/contacts/new",
    ]
    for path in admin_pages:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        assert_accessible(axe, page, path)
