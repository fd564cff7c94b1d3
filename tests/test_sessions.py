"""Sessions end when idle and a fixed time after the sign-in (ASVS 3.3.2), and say so first."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import event

from portal.extensions import db
from portal.models import Application, UserSession
from portal.models.base import utcnow
from tests.conftest import PASSWORD
from tests.factories import ApplicationFactory, UserFactory


@pytest.fixture
def clock():
    """A frozen clock the test moves forward with `clock.shift(...)`."""
    with time_machine.travel(utcnow(), tick=False) as traveller:
        yield traveller


def sign_in(client, user, remember: bool = False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    with client.session_transaction() as session:
        token = session["_user_id"]
    return db.session.scalar(db.select(UserSession).where(UserSession.token == token))


def sent_to_sign_in(response) -> str | None:
    """The `next` of a redirect to the sign-in page, or None when the answer is not one."""
    if response.status_code != 302 or urlsplit(response.location).path != "/login":
        return None
    return parse_qs(urlsplit(response.location).query).get("next", [""])[0]


def flashes(client) -> str:
    return client.get("/login").get_data(as_text=True)


def session_writes(app):
    """The UPDATEs of user_sessions the requests made, recorded while the block runs."""
    writes: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE USER_SESSIONS"):
            writes.append(statement)

    class Recorder:
        def __enter__(self):
            event.listen(db.engine, "before_cursor_execute", record)
            return writes

        def __exit__(self, *exc):
            event.remove(db.engine, "before_cursor_execute", record)

    return Recorder()


# --- the idle timeout -----------------------------------------------------------------------


def test_a_staff_session_idle_for_31_minutes_is_refused_revoked_and_sent_back_after_sign_in(
    client, reviewer, clock
):
    row = sign_in(client, reviewer)
    clock.shift(timedelta(minutes=31))
    response = client.get("/review/?q=silk")
    assert sent_to_sign_in(response) == "/review/?q=silk"
    db.session.refresh(row)
    assert row.revoked_at is not None
    page = flashes(client)
    assert "You were signed out after 30 minutes without activity." in page
    # The cookie is of no more use, and signing in again leads back to the page.
    assert sent_to_sign_in(client.get("/review/")) is not None
    response = client.post(
        "/login?next=/review/?q=silk", data={"email": reviewer.email, "password": PASSWORD}
    )
    assert response.location == "/review/?q=silk"


def test_a_session_used_within_the_idle_window_lives_on(client, reviewer, clock):
    row = sign_in(client, reviewer)
    for _ in range(4):  # an hour and a half in all, never 30 minutes without a request
        clock.shift(timedelta(minutes=22))
        assert client.get("/review/").status_code == 200
    db.session.refresh(row)
    assert row.revoked_at is None


def test_the_idle_timeout_is_set_per_role(make_app, clock):
    app = make_app(SESSION_IDLE_MINUTES_STAFF=30, SESSION_IDLE_MINUTES_INVESTOR=60)
    investor, reviewer = UserFactory(role="investor"), UserFactory(role="reviewer")
    investor_client, reviewer_client = app.test_client(), app.test_client()
    sign_in(investor_client, investor)
    sign_in(reviewer_client, reviewer)
    clock.shift(timedelta(minutes=45))
    assert investor_client.get("/applications/").status_code == 200
    assert sent_to_sign_in(reviewer_client.get("/review/")) == "/review/"


def test_a_form_sent_after_the_timeout_leads_back_to_the_page_that_held_it(client, investor, clock):
    application = ApplicationFactory(owner=investor)
    sign_in(client, investor)
    clock.shift(timedelta(minutes=31))
    step = f"/applications/{application.id}/step/company"
    response = client.post(
        step,
        data={"action": "save", "company_name": "Typed After The End LLP"},
        headers={"Referer": f"http://localhost{step}"},
    )
    assert sent_to_sign_in(response) == step
    db.session.refresh(application)
    assert application.company_name != "Typed After The End LLP"  # nothing saved without a session


def test_static_files_and_the_health_check_are_not_activity(client, reviewer, clock):
    row = sign_in(client, reviewer)
    seen = row.last_seen_at
    clock.shift(timedelta(minutes=29))
    with client.get("/static/css/portal.css") as response:
        assert response.status_code == 200
    assert client.get("/healthz").status_code == 200
    db.session.refresh(row)
    assert row.last_seen_at == seen
    clock.shift(timedelta(minutes=2))
    assert sent_to_sign_in(client.get("/review/")) is not None


def test_last_seen_is_written_at_most_once_a_minute(app, client, reviewer, clock):
    row = sign_in(client, reviewer)
    signed_in_at = row.last_seen_at
    with session_writes(app) as writes:
        for _ in range(5):
            clock.shift(timedelta(seconds=10))
            assert client.get("/review/").status_code == 200
    assert writes == []
    db.session.refresh(row)
    assert row.last_seen_at == signed_in_at
    clock.shift(timedelta(seconds=15))  # 65 seconds after the sign-in
    with session_writes(app) as writes:
        assert client.get("/review/").status_code == 200
        assert client.get("/review/").status_code == 200
    assert len(writes) == 1
    db.session.refresh(row)
    assert row.last_seen_at == utcnow()


# --- the absolute lifetime ------------------------------------------------------------------


def test_any_session_ends_12_hours_after_sign_in_even_when_active(client, investor, clock):
    row = sign_in(client, investor)
    for _ in range(28):  # a request every 25 minutes: 11 hours 40 minutes
        clock.shift(timedelta(minutes=25))
        assert client.get("/applications/").status_code == 200
    clock.shift(timedelta(minutes=21))  # 12 hours and a minute after the sign-in
    assert sent_to_sign_in(client.get("/applications/")) == "/applications/"
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert "You were signed out 12 hours after signing in" in flashes(client)


def test_remember_me_cannot_outlive_the_sessions_lifetime(app, client, investor, clock):
    row = sign_in(client, investor, remember=True)
    remember = client.get_cookie("remember_token")
    # The cookie itself expires with the session's lifetime, not in a year.
    assert remember.expires <= utcnow() + timedelta(hours=12, minutes=1)

    def restarted_browser():
        restarted = app.test_client()
        restarted.set_cookie("remember_token", remember.value)
        return restarted

    for _ in range(24):  # used every half hour, closing the browser in between
        clock.shift(timedelta(minutes=29, seconds=59))
        assert restarted_browser().get("/applications/").status_code == 200
    clock.shift(timedelta(minutes=1))
    assert sent_to_sign_in(restarted_browser().get("/applications/")) == "/applications/"
    db.session.refresh(row)
    assert row.revoked_at is not None


def test_remember_me_does_not_survive_the_idle_timeout_either(app, client, investor, clock):
    sign_in(client, investor, remember=True)
    remember = client.get_cookie("remember_token").value
    clock.shift(timedelta(minutes=31))
    restarted = app.test_client()
    restarted.set_cookie("remember_token", remember)
    response = restarted.get("/applications/")
    assert sent_to_sign_in(response) == "/applications/"
    assert restarted.get_cookie("remember_token") is None  # the browser is told to forget it


# --- staying signed in ----------------------------------------------------------------------


def test_stay_signed_in_extends_the_idle_window(client, reviewer, clock):
    row = sign_in(client, reviewer)
    clock.shift(timedelta(minutes=28, seconds=30))
    response = client.post("/session/keepalive")
    assert response.status_code == 204
    db.session.refresh(row)
    assert row.last_seen_at == utcnow()
    clock.shift(timedelta(minutes=28))  # 56 minutes after the sign-in
    assert client.get("/review/").status_code == 200


def test_stay_signed_in_needs_a_session(client, reviewer, clock):
    assert client.post("/session/keepalive").status_code == 401
    row = sign_in(client, reviewer)
    clock.shift(timedelta(minutes=31))
    assert client.post("/session/keepalive").status_code == 401
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert "You were signed out after 30 minutes without activity." in flashes(client)


def test_stay_signed_in_needs_the_csrf_token(make_app, reviewer):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": reviewer.email, "password": PASSWORD, "csrf_token": token})
    assert client.post("/session/keepalive").status_code == 400
    page = client.get("/review/").get_data(as_text=True)
    form = re.search(r'action="/session/keepalive"[^>]*>\s*<input[^>]*value="([^"]+)"', page)
    assert client.post("/session/keepalive", data={"csrf_token": form.group(1)}).status_code == 204


def test_the_session_status_says_what_is_left_and_is_not_activity(client, investor, clock):
    assert client.get("/session/status").status_code == 401
    row = sign_in(client, investor)
    clock.shift(timedelta(minutes=10))
    response = client.get("/session/status")
    assert response.json == {
        "signed_in": True,
        "idle_ends_in": 20 * 60,
        "lifetime_ends_in": 12 * 3600 - 10 * 60,
    }
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(row)
    assert row.last_seen_at == row.created_at


def test_a_draft_the_page_saves_by_itself_does_not_keep_the_session_alive(client, investor, clock):
    application = ApplicationFactory(owner=investor)
    row = sign_in(client, investor)
    clock.shift(timedelta(minutes=29))
    step = f"/applications/{application.id}/step/company"
    response = client.post(
        step,
        data={"action": "save", "company_name": "Saved Before The End LLP", "legal_form": "llp"},
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 302
    assert db.session.get(Application, application.id).company_name == "Saved Before The End LLP"
    db.session.refresh(row)
    assert row.last_seen_at == row.created_at
    clock.shift(timedelta(minutes=2))
    assert sent_to_sign_in(client.get(step)) == step
    assert "Draft saved." in flashes(client)


# --- what the page is told ------------------------------------------------------------------


def test_a_signed_in_page_carries_the_time_left_and_the_warning(client, investor, clock):
    application = ApplicationFactory(owner=investor)
    sign_in(client, investor)
    clock.shift(timedelta(seconds=30))  # not yet a minute: the last activity is the sign-in
    html = client.get(f"/applications/{application.id}/step/company").get_data(as_text=True)
    assert 'data-session-idle-ends-in="1770"' in html
    assert f'data-session-lifetime-ends-in="{12 * 3600 - 30}"' in html
    assert 'data-session-warning="120"' in html
    assert 'role="alertdialog"' in html
    assert "You will be signed out in 2 minutes without activity" in html
    assert ">Stay signed in</button>" in html
    assert "/static/js/session.js" in html


def test_a_page_for_a_stranger_has_no_session_clock(client):
    html = client.get("/").get_data(as_text=True)
    assert "data-session-" not in html
    assert "session.js" not in html
