"""The application form: steps, drafts that resume, validation next to the field, submission."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, ApplicationEvent
from portal.services import applications as app_service
from tests.conftest import count_queries
from tests.factories import ApplicationFactory, complete_application, sector, zone


def new_application(client) -> int:
    response = client.post("/applications/new")
    assert response.status_code == 302
    return int(re.search(r"/applications/(\d+)/step/company", response.location).group(1))


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


def errors(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', html))


def test_company_step_saves_and_moves_on(investor_client, investor):
    app_id = new_application(investor_client)
    response = investor_client.post(f"/applications/{app_id}/step/company", data=company_data())
    assert response.status_code == 302
    assert response.location.endswith(f"/applications/{app_id}/step/investment")
    application = db.session.get(Application, app_id)
    assert application.company_name == "Eastern Gate Textiles LLP"
    assert application.zone.code == "KEG-IND"
    assert application.current_step == "investment"
    assert application.owner_id == investor.id


def test_ineligible_sector_is_refused_with_a_clear_message(investor_client):
    app_id = new_application(investor_client)
    data = company_data(zone_id=str(zone("KEG-LOG").id), sector_id=str(sector("pharma").id))
    response = investor_client.post(f"/applications/{app_id}/step/company", data=data)
    assert response.status_code == 422
    assert "does not admit the Pharmaceuticals sector" in errors(response)["sector_id"]
    # Nothing typed is lost.
    html = response.get_data(as_text=True)
    assert 'value="Eastern Gate Textiles LLP"' in html
    assert db.session.get(Application, app_id).current_step == "company"


def test_invalid_field_shows_its_error_and_keeps_the_rest(investor_client):
    app_id = new_application(investor_client)
    data = company_data(activity_code="textiles", contact_email="not an email")
    response = investor_client.post(f"/applications/{app_id}/step/company", data=data)
    assert response.status_code == 422
    found = errors(response)
    assert "13.92.0" in found["activity_code"]
    assert "valid e-mail" in found["contact_email"]
    html = response.get_data(as_text=True)
    assert 'value="textiles"' in html
    assert 'aria-describedby="activity_code-help activity_code-error"' in html
    # The valid fields were saved to the draft.
    application = db.session.get(Application, app_id)
    assert application.company_name == "Eastern Gate Textiles LLP"
    assert application.activity_code == ""


def test_save_draft_keeps_partial_input_without_complaining(investor_client):
    app_id = new_application(investor_client)
    response = investor_client.post(
        f"/applications/{app_id}/step/company",
        data={"company_name": "Half Done LLP", "action": "save"},
    )
    assert response.status_code == 302
    assert db.session.get(Application, app_id).company_name == "Half Done LLP"


def test_continue_requires_the_step_to_be_complete(investor_client):
    app_id = new_application(investor_client)
    response = investor_client.post(
        f"/applications/{app_id}/step/company",
        data={"company_name": "Half Done LLP", "action": "next"},
    )
    assert response.status_code == 422
    assert errors(response)["address"] == "This field is required."


def test_draft_resumes_where_the_investor_stopped_even_after_logout(
    investor_client, auth, investor
):
    app_id = new_application(investor_client)
    investor_client.post(f"/applications/{app_id}/step/company", data=company_data())
    investor_client.post(
        f"/applications/{app_id}/step/investment",
        data={"investment_amount": "2 500 000,50", "investment_currency": "EUR", "action": "save"},
    )
    auth.logout()
    auth.login(investor)
    response = investor_client.get(f"/applications/{app_id}/resume")
    assert response.location.endswith(f"/applications/{app_id}/step/investment")
    page = investor_client.get(response.location).get_data(as_text=True)
    assert 'value="2500000.50"' in page
    application = db.session.get(Application, app_id)
    assert application.investment_amount == Decimal("2500000.50")
    assert application.investment_currency == "EUR"


def test_investment_amount_must_be_a_positive_number(investor_client):
    app_id = new_application(investor_client)
    response = investor_client.post(
        f"/applications/{app_id}/step/investment",
        data={
            "investment_amount": "lots",
            "investment_currency": "USD",
            "planned_jobs": "-3",
            "action": "next",
        },
    )
    found = errors(response)
    assert "Enter a number" in found["investment_amount"]
    assert "whole number" in found["planned_jobs"]
    assert 'value="lots"' in response.get_data(as_text=True)


def test_currencies_and_countries_come_from_babel_in_the_page_language(investor_client):
    app_id = new_application(investor_client)
    html = investor_client.get(f"/applications/{app_id}/step/investment").get_data(as_text=True)
    for code in ("KZT", "CNY", "USD", "EUR", "RUB"):
        assert f'value="{code}"' in html
    assert "Kazakhstani Tenge" in html
    investor_client.post("/language", data={"code": "ru", "next": "/"})
    html = investor_client.get(f"/applications/{app_id}/step/company").get_data(as_text=True)
    assert "Казахстан" in html


def founders_data(rows, action="next") -> dict:
    data = {"action": action}
    for i, (kind, name, nationality, share) in enumerate(rows):
        data.update(
            {
                f"founders-{i}-kind": kind,
                f"founders-{i}-name": name,
                f"founders-{i}-nationality": nationality,
                f"founders-{i}-share": share,
            }
        )
    return data


def test_founders_shares_must_add_up_to_100(investor_client):
    app_id = new_application(investor_client)
    rows = [("natural", "Aruzhan Bekova", "KZ", "60"), ("legal", "Xinjiang Co.", "CN", "30")]
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    )
    assert response.status_code == 422
    assert "add up to 90%" in response.get_data(as_text=True)
    rows[1] = ("legal", "Xinjiang Co.", "CN", "40")
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    )
    assert response.status_code == 302
    application = db.session.get(Application, app_id)
    assert [(f.name, f.share) for f in application.founders] == [
        ("Aruzhan Bekova", Decimal("60.00")),
        ("Xinjiang Co.", Decimal("40.00")),
    ]


def test_founders_can_be_added_and_removed_without_javascript(investor_client):
    app_id = new_application(investor_client)
    rows = [("natural", "A One", "KZ", "50"), ("natural", "B Two", "CN", "50")]
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows, action="add")
    )
    html = response.get_data(as_text=True)
    assert 'name="founders-2-name"' in html
    assert 'value="B Two"' in html
    rows.append(("natural", "C Three", "RU", "0"))
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows, action="remove-2")
    )
    assert response.status_code == 302
    assert [f.name for f in db.session.get(Application, app_id).founders] == ["A One", "B Two"]


def test_founder_rows_with_errors_are_kept_as_typed(investor_client):
    app_id = new_application(investor_client)
    rows = [("natural", "", "KZ", "fifty")]
    response = investor_client.post(
        f"/applications/{app_id}/step/founders", data=founders_data(rows)
    )
    assert response.status_code == 422
    found = errors(response)
    assert "founders-0-name" in found
    assert "founders-0-share" in found
    assert 'value="fifty"' in response.get_data(as_text=True)


def test_review_lists_what_is_missing_and_refuses_to_submit(investor_client):
    app_id = new_application(investor_client)
    page = investor_client.get(f"/applications/{app_id}/step/review")
    assert "Before you can submit" in page.get_data(as_text=True)
    response = investor_client.post(f"/applications/{app_id}/step/review", data={"confirm": "y"})
    assert response.status_code == 422
    assert db.session.get(Application, app_id).status == lifecycle.DRAFT


def test_submitting_a_complete_application_records_an_event_and_confirms(investor_client, investor):
    application = complete_application(owner=investor)
    step = investor_client.get(f"/applications/{application.id}/step/review")
    assert "answer to the reviewer" not in step.get_data(as_text=True)  # nothing to answer yet
    response = investor_client.post(
        f"/applications/{application.id}/step/review", data={"confirm": "y", "answer": "Hi"}
    )
    assert response.status_code == 302
    page = investor_client.get(response.location).get_data(as_text=True)
    assert "your application is submitted" in page
    db.session.refresh(application)
    assert application.status == lifecycle.SUBMITTED
    event = db.session.scalars(db.select(ApplicationEvent)).one()
    assert (event.actor_id, event.from_status, event.to_status) == (
        investor.id,
        "draft",
        "submitted",
    )
    assert event.created_at is not None
    assert event.comment == ""
    # Submitted applications can no longer be edited.
    assert investor_client.get(f"/applications/{application.id}/step/company").status_code == 403


def test_submission_needs_the_confirmation_tick(investor_client, investor):
    application = complete_application(owner=investor)
    response = investor_client.post(f"/applications/{application.id}/step/review", data={})
    assert response.status_code == 422
    assert "Tick the box" in response.get_data(as_text=True)


def test_unconfirmed_investor_cannot_submit(client, auth):
    from tests.factories import UserFactory

    investor = UserFactory(email_confirmed_at=None)
    auth.login(investor)
    application = complete_application(owner=investor)
    response = client.post(f"/applications/{application.id}/step/review", data={"confirm": "y"})
    assert response.status_code == 422
    assert "Confirm your e-mail address" in response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.status == lifecycle.DRAFT


def test_submission_rechecks_eligibility_changed_since_the_draft(investor_client, investor):
    application = complete_application(owner=investor)
    application.zone.sectors = [s for s in application.zone.sectors if s.code != "textiles"]
    db.session.commit()
    response = investor_client.post(
        f"/applications/{application.id}/step/review", data={"confirm": "y"}
    )
    assert response.status_code == 422
    assert "does not admit" in response.get_data(as_text=True)


def test_my_applications_lists_status_and_the_detail_shows_the_timeline(investor_client, investor):
    application = complete_application(owner=investor)
    investor_client.post(f"/applications/{application.id}/step/review", data={"confirm": "y"})
    html = investor_client.get("/applications/").get_data(as_text=True)
    assert application.company_name in html
    assert "Submitted" in html
    detail = investor_client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Timeline" in detail
    assert "Submitted" in detail


def test_investor_can_withdraw_an_undecided_application(investor_client, investor):
    application = complete_application(owner=investor)
    investor_client.post(f"/applications/{application.id}/step/review", data={"confirm": "y"})
    response = investor_client.post(
        f"/applications/{application.id}/withdraw", data={"comment": "Changed plans"}
    )
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == lifecycle.WITHDRAWN
    assert application.events[-1].comment == "Changed plans"
    again = investor_client.post(f"/applications/{application.id}/withdraw", data={})
    assert again.status_code == 302
    assert application.events[-1].to_status == lifecycle.WITHDRAWN
    assert len(application.events) == 2


def test_only_the_owner_is_offered_and_allowed_to_withdraw(
    client, auth, investor, other_investor, reviewer
):
    application = complete_application(owner=investor)
    app_service.submit(application, investor)
    db.session.commit()
    auth.login(investor)
    assert "Withdraw this application" in client.get(f"/applications/{application.id}").get_data(
        as_text=True
    )
    auth.logout()
    auth.login(reviewer)
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    assert "Withdraw this application" not in page.get_data(as_text=True)
    assert client.post(f"/applications/{application.id}/withdraw").status_code == 403
    # The lifecycle itself refuses anyone but the owner, whatever the page offered.
    with pytest.raises(lifecycle.IllegalMove):
        app_service.withdraw(application, other_investor)
    db.session.rollback()
    assert db.session.get(Application, application.id).status == lifecycle.SUBMITTED


def test_an_ineligible_sector_is_refused_even_when_saving_a_draft(investor_client):
    app_id = new_application(investor_client)
    data = company_data(
        zone_id=str(zone("KEG-LOG").id), sector_id=str(sector("pharma").id), action="save"
    )
    response = investor_client.post(f"/applications/{app_id}/step/company", data=data)
    assert response.status_code == 422
    assert "does not admit the Pharmaceuticals sector" in errors(response)["sector_id"]
    assert "Saved, except the fields marked below." in response.get_data(as_text=True)
    # A field merely missing is no refusal when saving a draft.
    partial = company_data(address="", action="save")
    response = investor_client.post(f"/applications/{app_id}/step/company", data=partial)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "step", ["company", "investment", "founders", "owners", "documents", "review"]
)
def test_every_step_renders_with_a_progress_indicator(investor_client, investor, step):
    application = ApplicationFactory(owner=investor)
    html = investor_client.get(f"/applications/{application.id}/step/{step}").get_data(as_text=True)
    assert 'aria-current="step"' in html
    assert html.count('class="step-number"') == 6


def test_review_names_each_missing_field_by_its_label(investor_client):
    app_id = new_application(investor_client)
    html = investor_client.get(f"/applications/{app_id}/step/review").get_data(as_text=True)
    assert "Economic activity code (OKED) — This field is required." in html
    assert "Planned jobs — This field is required." in html


def test_my_applications_runs_the_same_number_of_queries_for_few_and_many(
    investor_client, investor
):
    complete_application(owner=investor)
    few = count_queries(investor_client, "/applications/")
    for code in ("ICBC", "KEG-LOG", "LYG", "KEG-IND"):
        ApplicationFactory(owner=investor, zone=zone(code))
    assert count_queries(investor_client, "/applications/") == few
