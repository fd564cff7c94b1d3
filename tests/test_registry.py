"""The public registry and certificate verification: what a visitor finds, and nothing private."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models.base import utcnow
from tests import factories
from tests.conftest import ON_POSTGRES, count_queries


def _rows(html: str) -> list[str]:
    """The registration numbers of the companies the registry table links to, in order."""
    return re.findall(r'<a href="/registry/([^"]+)">', html)


@pytest.fixture
def companies(app):
    """Three registered companies in two zones and three sectors, and one still in review."""
    return {
        **factories.three_companies(),
        "pending": _in_review(
            factories.complete_application(company_name="Not Yet Registered LLP")
        ),
    }


def _in_review(application):
    application.status = "in_review"
    application.submitted_at = utcnow()
    db.session.commit()
    return application


def test_registry_lists_registered_companies_newest_first(client, companies):
    response = client.get("/registry")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _rows(html) == ["KEG-IND-2026-000002", "KEG-LOG-2026-000001", "KEG-IND-2026-000001"]
    assert "Dry Port Logistics LLP" in html
    assert "Қорғас Электроника 电子 LLP" in html
    assert "Jan 10, 2026" in html
    assert "Not Yet Registered LLP" not in html
    assert "3 companies" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("silk way", ["KEG-IND-2026-000001"]),
        ("Электроника", ["KEG-IND-2026-000002"]),
        ("电子", ["KEG-IND-2026-000002"]),
        ("keg-log-2026", ["KEG-LOG-2026-000001"]),
        ("  KEG-IND-2026-000001 ", ["KEG-IND-2026-000001"]),
        ("%", []),
        ("nothing like this", []),
    ],
)
def test_registry_searches_by_company_name_or_number(client, companies, query, expected):
    html = client.get("/registry", query_string={"q": query}).get_data(as_text=True)

    assert _rows(html) == expected


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite folds the case of ASCII letters only")
def test_registry_search_ignores_the_case_of_cyrillic_names(client, companies):
    html = client.get("/registry", query_string={"q": "қорғас электроника"}).get_data(as_text=True)

    assert _rows(html) == ["KEG-IND-2026-000002"]


def test_registry_filters_by_zone_and_sector(client, companies):
    by_zone = client.get("/registry?zone=KEG-LOG").get_data(as_text=True)
    by_sector = client.get("/registry?sector=electronics").get_data(as_text=True)
    both = client.get("/registry?zone=KEG-IND&sector=textiles").get_data(as_text=True)
    none = client.get("/registry?zone=KEG-LOG&sector=textiles").get_data(as_text=True)

    assert _rows(by_zone) == ["KEG-LOG-2026-000001"]
    assert _rows(by_sector) == ["KEG-IND-2026-000002"]
    assert _rows(both) == ["KEG-IND-2026-000001"]
    assert _rows(none) == []
    assert "No registered company matches." in none


def test_registry_keeps_the_chosen_filters_in_the_form(client, companies):
    html = client.get("/registry?q=silk&zone=KEG-IND&sector=textiles").get_data(as_text=True)

    assert 'value="silk"' in html
    assert '<option selected value="KEG-IND">' in html
    assert '<option selected value="textiles">' in html


def test_registry_pages_keep_the_filters(app, client):
    app.config["PAGE_SIZE"] = 2
    for n in range(1, 6):
        factories.registered_application(
            number=f"KEG-IND-2026-{n:06d}", registered_on=date(2026, 1, n)
        )
    factories.registered_application(zone_code="ICBC", number="ICBC-2026-000001")

    first = client.get("/registry?zone=KEG-IND").get_data(as_text=True)
    last = client.get("/registry?zone=KEG-IND&page=3").get_data(as_text=True)

    assert _rows(first) == ["KEG-IND-2026-000005", "KEG-IND-2026-000004"]
    assert 'href="/registry?page=2&amp;zone=KEG-IND" rel="next"' in first
    assert "page 1 of 3" in first
    assert _rows(last) == ["KEG-IND-2026-000001"]


@pytest.mark.parametrize(
    "query",
    ["zone=NOWHERE", "sector=%3Cscript%3E", "page=abc", "page=-4", "page=999", "q=" + "x" * 500],
)
def test_registry_survives_odd_parameters(client, companies, query):
    response = client.get(f"/registry?{query}")

    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


def test_an_unknown_zone_is_reported_next_to_its_field(client, companies):
    html = client.get("/registry?zone=NOWHERE").get_data(as_text=True)

    assert 'id="zone-error"' in html
    assert len(_rows(html)) == 3  # the bad filter is ignored, not applied


def test_registry_takes_the_same_number_of_queries_for_few_and_many_rows(app, client):
    factories.registered_application()
    few = count_queries(client, "/registry")
    for _ in range(12):
        factories.registered_application(sector_code="electronics")
    many = count_queries(client, "/registry")

    assert few == many


# --- a company's public page -----------------------------------------------------------------


def test_a_registry_row_opens_the_companys_public_page(client, companies):
    html = client.get("/registry?q=dry+port").get_data(as_text=True)

    assert '<a href="/registry/KEG-LOG-2026-000001">Dry Port Logistics LLP</a>' in html


def test_a_companys_public_page_shows_its_record_and_checks_its_certificate(client, companies):
    response = client.get("/registry/KEG-LOG-2026-000001")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Dry Port Logistics LLP</h1>" in html
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]*)</dd>", html))
    assert re.fullmatch(r"Feb\w* 3, 2026", facts.pop("Date of registration"))
    assert facts == {
        "Company name": "Dry Port Logistics LLP",
        "Registration number": "KEG-LOG-2026-000001",
        "Zone": "SEZ &#34;Khorgos - Eastern Gate&#34; logistics zone (dry port) (KEG-LOG)",
        "Sector": "Logistics",
        "Legal form": "Limited liability partnership (LLP)",
        "Address in the zone": "Industrial zone, plot 7",
        "Director": "Aruzhan Bekova",
        "Certificate version": "1",
    }
    assert 'href="/verify/KEG-LOG-2026-000001"' in html


def test_a_companys_page_answers_at_its_number_written_in_capitals(client, companies):
    response = client.get("/registry/keg-log-2026-000001")

    assert response.status_code == 301
    assert response.headers["Location"] == "/registry/KEG-LOG-2026-000001"


def test_a_company_that_is_not_registered_has_no_public_page(client, companies):
    unknown = client.get("/registry/KEG-IND-2026-999999")
    pending = client.get(f"/registry/{companies['pending'].company_name}")

    assert unknown.status_code == 404
    assert "No company is registered under this number" in unknown.get_data(as_text=True)
    assert pending.status_code == 404


def test_the_investor_of_a_registered_company_reads_company_name_not_proposed(
    client, auth, investor, reviewer
):
    registered = factories.registered_application(investor, company_name="Silk Way LLP")
    draft = factories.complete_application(investor)

    auth.login(investor)
    own = client.get(f"/applications/{registered.id}").get_data(as_text=True)
    before = client.get(f"/applications/{draft.id}").get_data(as_text=True)
    auth.logout()
    auth.login(reviewer)
    reviewed = client.get(f"/review/applications/{registered.id}").get_data(as_text=True)

    for html in (own, reviewed):
        assert "<dt>Company name</dt><dd>Silk Way LLP</dd>" in html
        assert "Proposed company name" not in html
    assert "<dt>Proposed company name</dt>" in before
    assert f'href="/registry/{registered.registration.number}"' in own


def test_verify_confirms_a_registered_company(client, companies):
    response = client.get("/verify/KEG-LOG-2026-000001")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This certificate is valid" in html
    assert "Dry Port Logistics LLP" in html
    assert "KEG-LOG-2026-000001" in html
    assert "SEZ &#34;Khorgos - Eastern Gate&#34; logistics zone (dry port)" in html
    assert "Logistics" in html
    assert "Feb 3, 2026" in html  # one date format everywhere (issue 14)


def test_verify_accepts_the_number_in_lower_case(client, companies):
    response = client.get("/verify/keg-log-2026-000001")

    assert response.status_code == 200
    assert "Dry Port Logistics LLP" in response.get_data(as_text=True)


def test_verify_says_clearly_when_a_number_is_unknown(client, companies):
    response = client.get("/verify/KEG-IND-2026-999999")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "No company is registered under this number" in html
    assert "KEG-IND-2026-999999" in html
    assert "This certificate is valid" not in html


def test_verify_does_not_confirm_an_application_that_is_not_registered(client, companies):
    pending = companies["pending"]

    response = client.get(f"/verify/{pending.company_name}")

    assert response.status_code == 404


def test_verify_escapes_what_was_typed(client, app):
    response = client.get("/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in html
    assert "/verify/%3Cscript%3Ealert(1)%3C/script%3E" in html  # in the language links, encoded


def test_verify_form_opens_the_page_of_the_typed_number(client, companies):
    response = client.get("/verify?number=+keg-ind-2026-000001+")

    assert response.status_code == 302
    assert response.headers["Location"] == "/verify/KEG-IND-2026-000001"


def test_verify_form_asks_for_a_number_when_empty(client):
    blank = client.get("/verify")
    empty = client.get("/verify?number=")

    assert blank.status_code == 200
    assert 'id="number-error"' not in blank.get_data(as_text=True)
    assert empty.status_code == 422
    assert "Type the number printed on the certificate." in empty.get_data(as_text=True)


def test_every_page_links_to_the_registry_and_to_verification(client):
    html = client.get("/").get_data(as_text=True)

    assert '<a href="/registry">Public registry</a>' in html
    assert '<a href="/verify">Verify a certificate</a>' in html


# --- Nothing private on public pages ----------------------------------------------------------

SECRETS = {
    "owner_email": "owner-secret-7731@private.example",
    "contact_email": "contact-secret-7731@private.example",
    "contact_phone": "+7 701 555 77 31",
    "address": "Secret Warehouse Street 7731",
    "investment": "987654321",
    "document": "passport-scan-7731.pdf",
    "director": "Director Secretname",
    "founder": "Founder Hiddenname",
    "activity_code": "99.77.31",
}


@pytest.fixture
def registered_with_secrets(app):
    owner = factories.UserFactory(email=SECRETS["owner_email"])
    application = factories.registered_application(
        owner,
        company_name="Open Registry Facts LLP",
        number="KEG-IND-2026-007731",
        contact_email=SECRETS["contact_email"],
        contact_phone=SECRETS["contact_phone"],
        address=SECRETS["address"],
        investment_amount=Decimal(SECRETS["investment"]),
        investment_currency="CNY",
        planned_jobs=7731,
        director_name=SECRETS["director"],
        activity_code=SECRETS["activity_code"],
        founders=[("natural", SECRETS["founder"], "KZ", "100")],
    )
    application.documents[0].original_name = SECRETS["document"]
    db.session.commit()
    return application


# What a company's own public page and its verification show of its record, as registers do (its
# registered address and its director); the lists show neither.
COMPANY_PAGE_FACTS = ("address", "director")


@pytest.mark.parametrize(
    "url",
    [
        "/registry",
        "/registry?q=open+registry",
        "/registry?q=KEG-IND-2026-007731&zone=KEG-IND&sector=textiles",
        "/verify/KEG-IND-2026-007731",
        "/registry/KEG-IND-2026-007731",
    ],
)
def test_public_pages_show_nothing_private(client, registered_with_secrets, url):
    response = client.get(url)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Open Registry Facts LLP" in html  # the page does show the company
    public = COMPANY_PAGE_FACTS if url.startswith(("/registry/", "/verify/")) else ()
    for name, secret in SECRETS.items():
        if name in public:
            assert secret in html, f"{name} is missing from {url}"
        else:
            assert secret not in html, f"{name} leaked on {url}"
    for investment_shape in ("987,654,321", "987 654 321", "7,731"):
        assert investment_shape not in html
    assert "/documents/" not in html
    assert "@" not in html


def test_public_pages_show_nothing_private_when_signed_in_as_someone_else(
    client, auth, other_investor, registered_with_secrets
):
    auth.login(other_investor)

    for url in ("/verify/KEG-IND-2026-007731", "/registry/KEG-IND-2026-007731"):
        html = client.get(url).get_data(as_text=True)
        for name, secret in SECRETS.items():
            assert secret not in html or name in COMPANY_PAGE_FACTS, f"{name} leaked on {url}"


def test_the_home_page_counts_the_registry_and_verifies_a_number(client):
    factories.registered_application(number="KEG-IND-2026-000001")
    factories.complete_application()  # a draft is not registered
    home = client.get("/").get_data(as_text=True)
    assert "1 company is registered in the zones." in home
    assert "How registration works" in home
    assert 'action="/verify"' in home
    factories.registered_application(
        number="LYG-2026-000001", zone_code="LYG", sector_code="logistics"
    )
    assert "2 companies are registered in the zones." in client.get("/").get_data(as_text=True)
    response = client.get("/verify?number=keg-ind-2026-000001")
    assert response.headers["Location"].endswith("/verify/KEG-IND-2026-000001")
