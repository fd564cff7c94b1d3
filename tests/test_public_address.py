"""The public address: every absolute link comes from BASE_URL, never from the request's Host;
TRUSTED_HOSTS refuses other hosts; PROXY_HOPS believes only the proxies it is told about."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import request

from portal.config import from_environment
from portal.extensions import db, limiter
from portal.security import client_address
from portal.services import applications as app_service
from portal.services.certificates import verify_url
from portal.urls import external_url
from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://gateway.example.kz"
EVIL = "evil.example"

# (headers an attacker sends, PROXY_HOPS of the deployment)
FORGERIES = [
    pytest.param({"Host": EVIL}, 0, id="host"),
    pytest.param({"X-Forwarded-Host": EVIL}, 0, id="x-forwarded-host"),
    pytest.param({"Host": EVIL}, 1, id="host-behind-proxy"),
    pytest.param(
        {"X-Forwarded-Host": EVIL, "X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "http"},
        1,
        id="x-forwarded-host-behind-proxy",
    ),
]


def links(outbox) -> list[str]:
    """Every URL in every message of the outbox."""
    found = []
    for message in outbox.messages():
        found += re.findall(r"https?://\S+", message.get_body(("plain",)).get_content())
    return found


def assert_links_on_base_url(outbox) -> None:
    found = links(outbox)
    assert found, "no link was mailed"
    assert all(url.startswith(BASE + "/") for url in found), found
    for message in outbox.messages():
        assert EVIL not in message.get_body(("plain",)).get_content()


def login(client, user, headers) -> None:
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 302


# --- links in e-mails ------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "hops"), FORGERIES)
def test_a_password_reset_asked_for_a_forged_host_mails_a_link_on_the_public_address(
    make_app, investor, outbox, headers, hops
):
    client = make_app(BASE_URL=BASE, PROXY_HOPS=hops).test_client()

    response = client.post("/forgot", data={"email": investor.email}, headers=headers)
    response.close()  # the reset e-mail leaves once the answer has gone

    assert response.status_code == 302
    assert_links_on_base_url(outbox)
    assert any(url.startswith(f"{BASE}/reset/") for url in links(outbox))


@pytest.mark.parametrize(("headers", "hops"), FORGERIES)
def test_a_sign_up_from_a_forged_host_mails_a_confirmation_link_on_the_public_address(
    make_app, outbox, headers, hops
):
    client = make_app(BASE_URL=BASE, PROXY_HOPS=hops).test_client()
    data = {
        "full_name": "Nurlan Abenov",
        "email": "newcomer@example.com",
        "password": "a long and unusual phrase",
        "password_confirm": "a long and unusual phrase",
    }

    response = client.post("/signup", data=data, headers=headers)

    assert response.status_code == 302
    assert_links_on_base_url(outbox)
    assert any(url.startswith(f"{BASE}/confirm/") for url in links(outbox))


@pytest.mark.parametrize(("headers", "hops"), FORGERIES)
def test_an_invitation_sent_from_a_forged_host_links_to_the_public_address(
    make_app, admin, outbox, headers, hops
):
    client = make_app(BASE_URL=BASE, PROXY_HOPS=hops).test_client()
    login(client, admin, headers)
    data = {"email": "gulnara@example.com", "full_name": "G. A.", "role": "reviewer"}

    response = client.post("/admin/users/invite", data={"locale": "en", **data}, headers=headers)

    assert response.status_code == 302
    assert_links_on_base_url(outbox)
    assert any(url.startswith(f"{BASE}/reset/") for url in links(outbox))


@pytest.mark.parametrize(("headers", "hops"), FORGERIES)
def test_a_decision_made_from_a_forged_host_mails_a_link_on_the_public_address(
    make_app, reviewer, outbox, headers, hops
):
    application = complete_application()
    app_service.submit(application, application.owner)
    db.session.commit()
    client = make_app(BASE_URL=BASE, PROXY_HOPS=hops).test_client()
    login(client, reviewer, headers)
    base = f"/review/applications/{application.id}"
    client.post(f"{base}/take", headers=headers)

    response = client.post(
        f"{base}/request-info", data={"message": "Please sign the charter."}, headers=headers
    )

    assert response.status_code == 302
    assert_links_on_base_url(outbox)
    assert f"{BASE}/applications/{application.id}" in links(outbox)


def test_links_keep_the_path_prefix_of_the_public_address_outside_a_request(app):
    """The CLI and the RQ worker have no request: links come from BASE_URL all the same."""
    app.config["BASE_URL"] = "https://gateway.example.kz/portal/"

    assert external_url("auth.reset", token="t0k") == "https://gateway.example.kz/portal/reset/t0k"
    assert verify_url("KEG-IND-2026-000001") == (
        "https://gateway.example.kz/portal/verify/KEG-IND-2026-000001"
    )


def test_a_certificates_verification_link_ignores_the_requests_host(app):
    app.config["BASE_URL"] = BASE
    with app.test_request_context("/", base_url=f"http://{EVIL}"):
        assert verify_url("KEG-IND-2026-000001") == f"{BASE}/verify/KEG-IND-2026-000001"


def test_nothing_builds_an_absolute_link_from_the_request():
    """One way to write an absolute URL: portal.urls.external_url, on BASE_URL."""
    pattern = re.compile(r"\b_external\s*=\s*True|host_url|url_root")
    files = [*ROOT.joinpath("portal").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.*")]
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(("port", "expected"), [(None, 5000), ("8000", 8000)])
def test_in_development_the_public_address_follows_the_port(monkeypatch, tmp_path, port, expected):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    if port:
        monkeypatch.setenv("PORT", port)
    else:
        monkeypatch.delenv("PORT", raising=False)

    assert from_environment(str(tmp_path))["BASE_URL"] == f"http://127.0.0.1:{expected}"


# --- trusted hosts ---------------------------------------------------------------------------


def test_trusted_hosts_are_read_from_the_environment_comma_separated(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    assert from_environment(str(tmp_path))["TRUSTED_HOSTS"] is None  # development: any host

    monkeypatch.setenv("TRUSTED_HOSTS", " gateway.example.kz, .khorgos.kz ,")
    assert from_environment(str(tmp_path))["TRUSTED_HOSTS"] == ["gateway.example.kz", ".khorgos.kz"]


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/portal.css"])
def test_a_request_for_an_untrusted_host_gets_the_400_page(make_app, path):
    client = make_app(BASE_URL=BASE, TRUSTED_HOSTS=["gateway.example.kz"]).test_client()

    response = client.get(path, headers={"Host": EVIL})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The request could not be understood." in page
    assert 'href="/static/css/portal.css"' in page  # the site's own layout


def test_a_reset_asked_for_an_untrusted_host_is_refused_and_mails_nothing(
    make_app, investor, outbox
):
    client = make_app(BASE_URL=BASE, TRUSTED_HOSTS=["gateway.example.kz"]).test_client()

    refused = client.post("/forgot", data={"email": investor.email}, headers={"Host": EVIL})
    refused.close()
    served = client.post(
        "/forgot", data={"email": investor.email}, headers={"Host": "gateway.example.kz"}
    )
    served.close()

    assert refused.status_code == 400
    assert served.status_code == 302
    assert len(outbox.messages()) == 1


# --- proxies ---------------------------------------------------------------------------------


def address_app(make_app, **overrides):
    """An app with one extra page that answers with what the portal believes of the client,
    limited to 2 a minute by the portal's rate limiter (its key is the client's address)."""
    app = make_app(RATELIMIT_ENABLED=True, **overrides)

    @limiter.limit("2/minute")
    def who():
        return f"{client_address()} {request.scheme}"

    app.add_url_rule("/test-who", "test_who", who)
    return app


def ask(client, forwarded_for: str, proto: str = "https"):
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto}
    return client.get("/test-who", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})


def test_behind_one_trusted_proxy_the_client_is_the_forwarded_address(make_app):
    client = address_app(make_app, PROXY_HOPS=1).test_client()

    response = ask(client, "203.0.113.7")

    assert response.get_data(as_text=True) == "203.0.113.7 https"
    # The rate limit counts each client, not the proxy they all come through.
    assert ask(client, "203.0.113.7").status_code == 200
    assert ask(client, "203.0.113.7").status_code == 429
    assert ask(client, "198.51.100.20").status_code == 200


def test_behind_one_proxy_only_its_own_entry_of_x_forwarded_for_is_believed(make_app):
    client = address_app(make_app, PROXY_HOPS=1).test_client()

    # The client forged the first entry; the proxy appended the address it saw.
    response = ask(client, "127.0.0.1, 203.0.113.7")

    assert response.get_data(as_text=True).split()[0] == "203.0.113.7"


def test_without_proxy_hops_forwarded_headers_are_ignored(make_app):
    client = address_app(make_app).test_client()

    response = ask(client, "203.0.113.7")

    assert response.get_data(as_text=True) == "10.0.0.2 http"
    # A forged X-Forwarded-For does not buy a fresh rate limit.
    assert ask(client, "198.51.100.1").status_code == 200
    assert ask(client, "198.51.100.2").status_code == 429


def test_the_client_address_is_empty_outside_a_request(app):
    assert client_address() == ""


def test_the_client_address_is_the_socket_address_by_default(app):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.4"}):
        assert client_address() == "192.0.2.4"


def test_a_signed_in_user_from_a_forged_host_stays_on_this_site(make_app):
    """Redirects are paths: a forged Host never sends the browser elsewhere."""
    user = UserFactory(role="investor")
    client = make_app(BASE_URL=BASE).test_client()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers={"Host": EVIL}
    )
    assert response.status_code == 302
    assert EVIL not in response.headers["Location"]
