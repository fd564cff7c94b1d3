"""Security behaviour: CSRF, headers, error pages."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Application
from tests.conftest import PASSWORD


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_a_post_without_csrf_token_is_refused(csrf_app, investor):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": investor.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_a_post_with_the_csrf_token_works(csrf_app, investor):
    import re

    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": investor.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    count = db.session.scalar(db.select(db.func.count(Application.id)))
    response = client.post("/applications/new")
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Application.id))) == count


def test_security_headers_forbid_inline_code_and_framing(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts_or_styles(client, investor):
    client.post("/login", data={"email": investor.email, "password": PASSWORD})
    for path in ("/", "/applications/", "/account", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html
        assert " style=" not in html


@pytest.mark.parametrize(("path", "code"), [("/no-such-page", 404), ("/logout", 405)])
def test_error_pages_use_the_site_layout(client, path, code):
    response = client.get(path)
    assert response.status_code == code
    assert "Khorgos Gateway" in response.get_data(as_text=True)


def test_health_check_reaches_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_pages_of_a_signed_in_user_are_not_kept_by_the_browser(app, investor_client, investor):
    from tests.factories import ApplicationFactory

    application = ApplicationFactory(owner=investor)
    for url in ("/applications/", f"/applications/{application.id}", "/account"):
        response = investor_client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # A visitor's public page may be cached; the stylesheet too.
    visitor = app.test_client()
    assert "no-store" not in visitor.get("/registry").headers.get("Cache-Control", "")
    stylesheet = investor_client.get("/static/css/portal.css")
    stylesheet.close()
    assert "no-store" not in stylesheet.headers.get("Cache-Control", "")
