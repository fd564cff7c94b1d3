"""The company-name check: normalisation, clashes refused, near clashes warned, the live check."""

from __future__ import annotations

import html
import re

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, Registration
from portal.services import applications as app_service
from portal.services import company_names
from portal.services.company_names import check, edit_distance, keys, normalise
from tests.factories import (
    ApplicationFactory,
    complete_application,
    registered_application,
    sector,
    zone,
)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def errors(response) -> dict[str, str]:
    found = re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', text_of(response))
    return {name: html.unescape(message) for name, message in found}


def company_data(**overrides) -> dict:
    data = {
        "company_name": "Eastern Gate Textiles LLP",
        "legal_form": "llp",
        "zone_id": str(zone("KEG-IND").id),
        "sector_id": str(sector("textiles").id),
        "activity_code": "13.92.0",
        "address": "Plot 12",
        "director_name": "Wang Fang",
        "director_nationality": "CN",
        "contact_email": "wang@example.com",
        "contact_phone": "+86 10 1234 5678",
        "action": "next",
    }
    data.update(overrides)
    return data


def draft_of(investor) -> Application:
    application = ApplicationFactory(owner=investor, company_name="")
    db.session.commit()
    return application


def under_review(name: str, status: str = lifecycle.SUBMITTED) -> Application:
    application = ApplicationFactory(company_name=name, status=status)
    application.submitted_at = application.created_at
    db.session.commit()
    return application


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ТОО «Silk Road»", '"SILK ROAD LLP"'),
        ("Sіlk Rоad", "Silk Road"),  # Cyrillic і and о among Latin letters
        ("ТОО «ЖІБЕК ЖОЛЫ»", "Товарищество с ограниченной ответственностью «Жібек жолы»"),
        ("ЖШС „Жібек жолы“", "жібек жолы"),
        ("АО «Казахтелеком»", "Акционерное общество Казахтелеком"),
        ("АҚ 'Қазақ Темір'", "Акционерлік қоғам «Қазақ Темір»"),
        ("Silk Road Co., Ltd.", "SILK-ROAD LIMITED"),
        ("L.L.C. Silk Road", "silk road llc"),
        ("Silk Road Inc.", "TOO Silk Road"),
        ("丝绸之路有限公司", "「丝绸之路」股份有限公司"),
        ("丝绸之路有限责任公司", "丝绸之路"),
        ("ＳＩＬＫ　ＲＯＡＤ", "Silk Road"),  # full-width letters (NFKC)
        ("Silk Road", "SilkRoad"),
        ("ВЕТЕР", "Ветер"),  # case never changes the key, Cyrillic or not
        ("АҚ «Ақ жол»", "Ақ жол ЖШС"),  # "Ақ" (white) in the name stays, the form goes
        ('"SILK ROAD LLP"', "Silk Road"),
    ],
)
def test_names_that_differ_only_in_form_normalise_alike(one, other):
    assert normalise(one) == normalise(other) != ""


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Silk Road", "Silk Way"),
        ("Silk Road", "Road Silk"),
        ("Жібек жолы", "Жібек"),
        ("Ak Zhol LLP", "Zhol LLP"),
        ("O'Brien's Trading", "Brien"),
    ],
)
def test_different_names_stay_different(one, other):
    assert normalise(one) != normalise(other)


def test_a_name_of_legal_form_words_only_is_empty():
    assert normalise("LLP") == normalise("ТОО") == normalise("有限公司") == ""
    assert check("Ltd.").state == "empty"


def test_the_words_key_ignores_their_order():
    assert keys("Road Silk LLP")[1] == keys("ТОО Silk Road")[1] == "road silk"


def test_edit_distance_stops_early_past_its_limit():
    assert edit_distance("silkroad", "silkroads", 2) == 1
    assert edit_distance("silkroad", "slikroad", 2) == 2
    assert edit_distance("silkroad", "caravan", 2) == 3


# --- the check ---------------------------------------------------------------------------------


def test_a_registered_name_is_taken_and_named_with_its_number(app):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    result = check("ТОО «Sіlk Rоad»")  # Cyrillic, with look-alike letters
    assert result.state == "taken"
    assert (result.clash.name, result.clash.number) == ("Silk Road LLP", "KEG-IND-2026-000012")
    assert "KEG-IND-2026-000012" in result.message


def test_registration_keeps_the_keys_of_the_name(app):
    application = registered_application(company_name="ТОО «Жібек жолы»")
    registration = db.session.scalars(db.select(Registration)).one()
    assert registration.normalised_name == application.normalised_name == normalise("жібек жолы")
    assert registration.name_words == application.name_words


def test_an_application_under_review_takes_the_name_a_draft_does_not(app):
    ApplicationFactory(company_name="Caravan Textiles LLP")  # someone's draft
    assert check("Caravan Textiles").state == "free"
    for status in (lifecycle.SUBMITTED, lifecycle.IN_REVIEW, lifecycle.INFO_REQUESTED):
        ApplicationFactory(company_name=f"Caravan {status} LLP", status=status)
        assert check(f"caravan {status}").state == "taken"
    for status in (lifecycle.REJECTED, lifecycle.WITHDRAWN):
        ApplicationFactory(company_name=f"Caravan {status} LLP", status=status)
        assert check(f"caravan {status}").state == "free"


def test_near_names_are_similar_not_taken(app):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    under_review("Golden Caravan Logistics")
    for name, how in [
        ("Silk Roads", company_names.SPELLING),
        ("Road Silk", company_names.REORDERED),
        ("Logistics Golden Caravan", company_names.REORDERED),
        ("Golden Karavan Logistics", company_names.SPELLING),
    ]:
        result = check(name)
        assert result.state == "similar", name
        assert [m.how for m in result.similar] == [how]
    assert check("Caravan Way").state == "free"


def test_a_slip_in_the_first_letter_is_found_among_a_crowd_of_names(app):
    """Many names between the two in the order of the name and of its words: only the name
    read backwards has them side by side."""
    registered_application(company_name="Bayterek Logistics LLP", number="KEG-IND-2026-000001")
    for i in range(2 * company_names.NEIGHBOURS + 10):
        registered_application(company_name=f"Caravan {i:03d} LLP")
    registration = db.session.scalars(
        db.select(Registration).where(Registration.number == "KEG-IND-2026-000001")
    ).one()

    result = check("Vayterek Logistics LLP")

    assert registration.reversed_name == "scitsigolkeretyab"
    assert result.state == "similar"
    assert [(m.name, m.how) for m in result.similar] == [
        ("Bayterek Logistics LLP", company_names.SPELLING)
    ]


def test_the_investors_own_application_does_not_clash_with_itself(app):
    application = under_review("Steppe Wind LLP", status=lifecycle.INFO_REQUESTED)
    assert check("Steppe Wind", exclude_application_id=application.id).state == "free"
    assert check("Steppe Wind").state == "taken"


# --- the company step --------------------------------------------------------------------------


def test_a_taken_name_is_refused_on_save_with_the_clash_named(investor_client, investor):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    application = draft_of(investor)
    url = f"/applications/{application.id}/step/company"
    for action in ("next", "save"):
        response = investor_client.post(
            url, data=company_data(company_name="Silk Road", action=action)
        )
        assert response.status_code == 422
        assert "already registered as KEG-IND-2026-000012" in errors(response)["company_name"]
    db.session.refresh(application)
    assert application.current_step == "company"
    assert application.company_name == "Silk Road"  # kept as typed, to change it


def test_a_similar_name_is_a_warning_the_investor_accepts(investor_client, investor):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    application = draft_of(investor)
    url = f"/applications/{application.id}/step/company"

    response = investor_client.post(url, data=company_data(company_name="Silk Roads LLP"))
    assert response.status_code == 422
    page = text_of(response)
    assert "I have checked: my company is not Silk Road LLP." in page
    assert "Silk Road LLP (registered as KEG-IND-2026-000012)" in page
    assert "Tick the box" in errors(response)["similar_names_checked"]
    assert "company_name" not in errors(response)
    db.session.refresh(application)
    assert application.company_name == "Silk Roads LLP"

    response = investor_client.post(
        url, data=company_data(company_name="Silk Roads LLP", similar_names_checked="y")
    )
    assert response.status_code == 302
    assert response.location.endswith("/step/investment")
    # The tick is remembered for this name: coming back and going on asks nothing more.
    page = text_of(investor_client.get(url))
    assert re.search(r'<input checked id="similar_names_checked"', page)
    response = investor_client.post(
        url, data=company_data(company_name="Silk Roads LLP", similar_names_checked="y")
    )
    assert response.status_code == 302
    # Another similar name must be checked again.
    response = investor_client.post(url, data=company_data(company_name="Silk Roadz LLP"))
    assert response.status_code == 422


def test_saving_a_draft_with_a_similar_name_only_warns(investor_client, investor):
    under_review("Golden Caravan Logistics")
    application = draft_of(investor)
    response = investor_client.post(
        f"/applications/{application.id}/step/company",
        data=company_data(company_name="Golden Karavan Logistics", action="save"),
    )
    assert response.status_code == 302
    page = text_of(investor_client.get(response.location))
    assert "similar to: Golden Caravan Logistics (an application under review)" in page


def test_a_free_name_is_said_to_be_free(investor_client, investor):
    application = draft_of(investor)
    url = f"/applications/{application.id}/step/company"
    assert investor_client.post(url, data=company_data()).status_code == 302
    assert "This name is free." in text_of(investor_client.get(url))


def test_submission_refuses_a_name_taken_since_the_draft(investor_client, investor):
    application = complete_application(owner=investor, company_name="Steppe Wind LLP")
    registered_application(company_name="ТОО «Steppe Wind»", number="KEG-IND-2026-000044")
    response = investor_client.post(
        f"/applications/{application.id}/step/review", data={"confirm": "y"}
    )
    assert response.status_code == 422
    assert "already registered as KEG-IND-2026-000044" in text_of(response)
    db.session.refresh(application)
    assert application.status == lifecycle.DRAFT


def test_the_service_refuses_to_submit_a_taken_name(app, investor):
    application = complete_application(owner=investor, company_name="Steppe Wind LLP")
    under_review("STEPPE WIND")
    with pytest.raises(Exception, match="not complete"):
        app_service.submit(application, investor)


def test_an_application_answering_a_request_keeps_its_own_name(investor_client, investor):
    application = complete_application(owner=investor, company_name="Steppe Wind LLP")
    application.status = lifecycle.INFO_REQUESTED
    application.submitted_at = application.created_at
    db.session.commit()
    response = investor_client.post(
        f"/applications/{application.id}/step/company",
        data=company_data(company_name="Steppe Wind LLP"),
    )
    assert response.status_code == 302
    answer = investor_client.get(
        f"/applications/name-check?name=Steppe+Wind&application={application.id}"
    ).get_json()
    assert answer["state"] == "free"


# --- the live check (JSON) ---------------------------------------------------------------------


def test_the_live_check_needs_a_signed_in_investor(client, auth, reviewer):
    response = client.get("/applications/name-check?name=Silk+Road")
    assert response.status_code == 302
    assert "/login" in response.location
    auth.login(reviewer)
    assert client.get("/applications/name-check?name=Silk+Road").status_code == 403


def test_the_live_check_names_the_clash(investor_client):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    under_review("Golden Caravan Logistics")
    answer = investor_client.get("/applications/name-check?name=ТОО «SILK ROAD»").get_json()
    assert answer["state"] == "taken"
    assert answer["names"] == [{"name": "Silk Road LLP", "number": "KEG-IND-2026-000012"}]
    assert "KEG-IND-2026-000012" in answer["message"]

    answer = investor_client.get(
        "/applications/name-check?name=Logistics Golden Caravan"
    ).get_json()
    assert answer["state"] == "similar"
    assert answer["names"] == [{"name": "Golden Caravan Logistics", "number": None}]
    assert "Golden Caravan Logistics" in answer["confirmation"]

    answer = investor_client.get("/applications/name-check?name=Altyn Dala").get_json()
    assert (answer["state"], answer["message"], answer["names"]) == (
        "free",
        "This name is free.",
        [],
    )


def test_the_live_check_never_shows_another_investors_draft(investor_client, other_investor):
    ApplicationFactory(owner=other_investor, company_name="Secret Plans LLP")
    for name in ("Secret Plans", "Secret Plan", "Plans Secret"):
        answer = investor_client.get(f"/applications/name-check?name={name}").get_json()
        assert answer["state"] == "free"
        assert "Secret" not in answer["message"]


def test_the_live_check_excludes_only_the_investors_own_application(
    investor_client, other_investor
):
    theirs = under_review("Steppe Wind LLP")
    theirs.owner = other_investor
    db.session.commit()
    response = investor_client.get(
        f"/applications/name-check?name=Steppe+Wind&application={theirs.id}"
    )
    assert response.status_code == 404


def test_the_company_step_loads_the_live_check(investor_client, investor):
    application = draft_of(investor)
    page = text_of(investor_client.get(f"/applications/{application.id}/step/company"))
    assert f'data-name-check="/applications/name-check?application={application.id}"' in page
    assert 'aria-live="polite"' in page
    assert "js/name-check.js" in page


# --- the reviewer ------------------------------------------------------------------------------


def test_the_reviewer_sees_similar_names(client, auth, reviewer):
    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    other = under_review("Road Silk Trading")
    application = under_review("ТОО «Silk Roads»")
    auth.login(reviewer)
    page = text_of(client.get(f"/review/applications/{application.id}"))
    assert "Similar names" in page
    assert "Silk Road LLP, registered as KEG-IND-2026-000012" in page
    assert "a few letters apart" in page
    assert "Road Silk Trading" not in page  # other words: not similar
    page = text_of(client.get(f"/review/applications/{other.id}"))
    assert "Similar names" not in page


def test_the_reviewer_sees_the_same_name_under_review(client, auth, reviewer):
    first = under_review("Steppe Wind LLP")
    second = under_review("ТОО «Steppe Wind»", status=lifecycle.IN_REVIEW)
    auth.login(reviewer)
    page = text_of(client.get(f"/review/applications/{second.id}"))
    assert f"Steppe Wind LLP, application #{first.id} under review" in page
    assert "the same name" in page


def test_a_registered_company_is_not_similar_to_itself(client, auth, reviewer):
    application = registered_application(company_name="Silk Road LLP")
    auth.login(reviewer)
    assert "Similar names" not in text_of(client.get(f"/review/applications/{application.id}"))


def test_the_name_checks_pages_are_valid_html(client, auth, investor, reviewer, tmp_path):
    from tests.test_html_valid import nu_errors

    registered_application(company_name="Silk Road LLP", number="KEG-IND-2026-000012")
    application = draft_of(investor)
    url = f"/applications/{application.id}/step/company"
    auth.login(investor)
    pages = {
        "warned": client.post(url, data=company_data(company_name="Silk Roads")),
        "refused": client.post(url, data=company_data(company_name="Silk Road")),
        "saved": client.get(url),
    }
    submitted = under_review("Silk Roads")
    auth.logout()
    auth.login(reviewer)
    pages["review"] = client.get(f"/review/applications/{submitted.id}")
    assert "Similar names" in text_of(pages["review"])
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_text(response.get_data(as_text=True), encoding="utf-8")
    assert not nu_errors(tmp_path)
