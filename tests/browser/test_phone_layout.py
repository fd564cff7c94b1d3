"""On a phone, no page scrolls sideways: wide tables scroll inside their own box.

Kazakh (long Cyrillic words) and Chinese (CJK, no spaces) are the two hardest layouts."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application, registered_application

PHONE = {"width": 360, "height": 740}


def sign_in(page, base: str, user) -> None:
    page.goto(base + "/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("language", ["kk", "zh"])
def test_pages_fit_a_phone_screen(live_server, new_context, language):
    investor = UserFactory(role="investor")
    admin = UserFactory(role="admin")
    draft = complete_application(owner=investor)
    registered_application(owner=investor)
    page = new_context(viewport=PHONE).new_page()
    page.goto(live_server + "/")
    page.locator(f".lang-switch [lang={language}]").click()
    pages = {
        investor: [
            "/",
            "/applications/",
            f"/applications/{draft.id}/step/company",
            f"/applications/{draft.id}/step/founders",
            f"/applications/{draft.id}/step/review",
            "/registry",
        ],
        admin: [
            "/review/?status=all",
            f"/review/applications/{draft.id}",
            "/dashboard/",
            "/admin/users",
            "/admin/eligibility",
            "/admin/audit",
        ],
    }
    for user, paths in pages.items():
        sign_in(page, live_server, user)
        for path in paths:
            page.goto(live_server + path)
            assert overflow(page) <= 0, f"{path} scrolls sideways in {language}"
        page.locator("form[action$='/logout'] button").click()
