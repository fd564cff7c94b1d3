"""The warning before the idle timeout, in a browser: it comes, "Stay signed in" keeps the
session, and a step left alone is saved as a draft before the end.

The sessions here last a minute (the warning at 50 seconds); the server's clock is moved with
time-machine, the browser's runs as it does.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Application
from portal.models.base import utcnow
from tests.conftest import PASSWORD
from tests.factories import ApplicationFactory, UserFactory


@pytest.fixture
def short_sessions(app):
    app.config.update(SESSION_IDLE_MINUTES_INVESTOR=1, SESSION_WARNING_SECONDS=50)
    with time_machine.travel(utcnow(), tick=True) as clock:
        yield clock


def sign_in(page, live_server, user) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_warning_comes_before_the_idle_timeout_and_stay_signed_in_keeps_the_session(
    live_server, page, screenshot, short_sessions
):
    investor = UserFactory(role="investor")
    application = ApplicationFactory(owner=investor)
    step = f"{live_server}/applications/{application.id}/step/company"
    sign_in(page, live_server, investor)
    page.goto(step)
    dialog = page.get_by_role("alertdialog", name="You will be signed out soon")
    expect(dialog).to_be_hidden()

    # Ten seconds later, 50 seconds before the end, the page says so and offers a way out.
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog).to_contain_text("You will be signed out in 1 minute without activity")
    expect(dialog).to_contain_text("saved as a draft")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    screenshot("session-01-warning")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()

    # A minute after the last page was loaded, only "Stay signed in" has kept the session.
    short_sessions.shift(timedelta(seconds=55))
    page.goto(step)
    expect(page.get_by_role("heading", name="Company")).to_be_visible()
    assert "/login" not in page.url


def test_a_changed_step_is_saved_as_a_draft_before_the_end_and_the_sign_in_says_so(
    live_server, page, screenshot, short_sessions
):
    investor = UserFactory(role="investor")
    application = ApplicationFactory(owner=investor, company_name="Old Name LLP")
    step = f"{live_server}/applications/{application.id}/step/company"
    sign_in(page, live_server, investor)
    short_sessions.shift(timedelta(seconds=50))  # ten seconds left
    page.goto(step)
    page.get_by_label("Proposed company name").fill("Typed Before The End LLP")

    # Nobody presses anything: the draft is saved, then the page goes to the sign-in page.
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=20_000)
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_text("You were signed out after 1 minute without activity.")).to_be_visible()
    screenshot("session-02-signed-out")
    db.session.expire_all()
    assert db.session.get(Application, application.id).company_name == "Typed Before The End LLP"

    # Signing in again leads back to the step, with what was typed.
    page.get_by_label("E-mail").fill(investor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Proposed company name")).to_have_value("Typed Before The End LLP")
