"""The layout's header, footer and session warning are rendered once per language and kind of
user and kept (portal/templating.py, layout_part): what differs per request must still be each
request's own."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, csrf_token_in
from tests.factories import UserFactory


def _signed_in(app, user):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if app.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token_in(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return client


def _header(html: str) -> str:
    return html[html.index("<header") : html.index("</header>")]


def test_each_kind_of_user_sees_their_own_navigation(app):
    investor, admin = UserFactory(), UserFactory(role="admin")
    investor_client, admin_client = _signed_in(app, investor), _signed_in(app, admin)

    # Alternated, so that each is served from what the other's request kept.
    headers = [
        _header(c.get("/account/").get_data(as_text=True))
        for c in (investor_client, admin_client, investor_client, admin_client)
    ]

    assert "My applications" in headers[2] and "Administration" not in headers[2]
    assert "Administration" in headers[3] and "My applications" not in headers[3]
    assert headers[0] == headers[2] and headers[1] == headers[3]


def test_the_header_carries_each_sessions_own_token_and_it_signs_out(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = _signed_in(app, UserFactory()), _signed_in(app, UserFactory())

    first_page = first.get("/applications/").get_data(as_text=True)
    second_page = second.get("/applications/").get_data(as_text=True)
    first_token = re.search(r'name="csrf_token" value="([^"]+)"', _header(first_page)).group(1)
    second_token = re.search(r'name="csrf_token" value="([^"]+)"', _header(second_page)).group(1)
    signed_out = first.post("/logout", data={"csrf_token": first_token})

    assert first_token != second_token
    assert signed_out.status_code == 302
    assert first.get("/applications/").status_code == 302  # to sign in: the session ended


def test_the_language_switch_comes_back_to_the_page_it_was_on_escaped(app):
    client = _signed_in(app, UserFactory())

    page = client.get('/applications/?x="<b>').get_data(as_text=True)

    assert 'name="next" value="/applications/?x=&#34;&lt;b&gt;"' in page
    assert '"<b>' not in page


def test_the_header_follows_the_language(app):
    client = _signed_in(app, UserFactory())

    english = _header(client.get("/applications/").get_data(as_text=True))
    client.post("/language", data={"code": "kk", "next": "/applications/"})
    kazakh = _header(client.get("/applications/").get_data(as_text=True))

    assert "My applications" in english
    assert 'aria-current="true" class="current">Қазақша' in kazakh
    assert "My applications" not in kazakh and 'class="current">English' not in kazakh


def test_a_visitors_language_links_bring_them_back_to_the_page_they_were_on(app):
    from urllib.parse import unquote

    from flask import url_for
    from markupsafe import escape

    visitor = app.test_client()
    for page in ["/help", "/registry?q=Silk Road&page=1", '/login?next=/x"<b>']:
        html = visitor.get(page).get_data(as_text=True)
        with app.test_request_context():
            expected = url_for("main.visitor_language", code="kk", next=page)
        switched = visitor.get(expected)

        assert f'href="{escape(expected)}"' in html, page
        assert switched.status_code == 302
        assert unquote(switched.headers["Location"]) == page
