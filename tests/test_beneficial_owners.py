"""Beneficial owners: declared on their own step, checked against the founders, seen in full by
reviewers and, on the public record, only as registers show persons with significant control."""

from __future__ import annotations

import html as html_text
import re
from datetime import date
from decimal import Decimal

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, Founder
from portal.services import applications as app_service
from portal.services import owners, review
from tests.factories import (
    ApplicationFactory,
    UserFactory,
    beneficial_owner,
    complete_application,
    registered_application,
)

TODAY = date(2026, 11, 28)


def founders(*rows) -> list[Founder]:
    return [
        Founder(position=i, kind=kind, name=name, nationality=country, share=Decimal(share))
        for i, (kind, name, country, share) in enumerate(rows)
    ]


def with_founders(investor, *rows) -> Application:
    application = ApplicationFactory(owner=investor)
    application.founders = founders(*rows)
    db.session.commit()
    return application


BEHIND_A_COMPANY = (("legal", "Xinjiang Textile Co.", "CN", "100"),)


def owner_data(index: int = 0, **overrides) -> dict:
    """The form fields of one owner: Li Wei, 30% through the founding company."""
    fields = {
        "name": "Li Wei",
        "birth_date": "1978-09-03",
        "nationality": "CN",
        "residence": "AE",
        "controls": ["shares", "votes"],
        "shares_percent": "30",
        "votes_percent": "30",
        "held_through": "Xinjiang Textile Co.",
    }
    fields.update(overrides)
    return {f"owners-{index}-{name}": value for name, value in fields.items()}


def post_owners(client, application, action="next", **data):
    return client.post(
        f"/applications/{application.id}/step/owners", data={"action": action, **data}
    )


def errors(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>', html)
    return {field: html_text.unescape(message) for field, message in found}


def summary_links(response) -> list[str]:
    html = response.get_data(as_text=True)
    summary = html.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([\w-]+)">', summary)


# --- the step ---------------------------------------------------------------------------------


def test_the_owners_step_comes_after_the_founders(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)
    response = investor_client.post(
        f"/applications/{application.id}/step/founders",
        data={
            "action": "next",
            "founders-0-kind": "legal",
            "founders-0-name": "Xinjiang Textile Co.",
            "founders-0-nationality": "CN",
            "founders-0-share": "100",
        },
    )
    assert response.location.endswith(f"/applications/{application.id}/step/owners")
    html = investor_client.get(response.location).get_data(as_text=True)
    assert "<h1>Beneficial owners</h1>" in html
    # A founder is a company: the page starts with one owner to fill in.
    assert "Owner 1" in html and 'name="owners-0-name"' in html
    assert '<option value="Xinjiang Textile Co.">Through Xinjiang Textile Co.</option>' in html


def test_an_investor_declares_an_owner_behind_a_founding_company(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    response = post_owners(investor_client, application, **owner_data())

    assert response.status_code == 302
    assert response.location.endswith(f"/applications/{application.id}/step/documents")
    (owner,) = db.session.get(Application, application.id).owners
    assert (owner.name, owner.birth_date, owner.nationality, owner.residence) == (
        "Li Wei",
        date(1978, 9, 3),
        "CN",
        "AE",
    )
    assert owner.controls == ["shares", "votes"]
    assert (owner.shares_percent, owner.votes_percent) == (Decimal("30.00"), Decimal("30.00"))
    assert owner.held_through == "Xinjiang Textile Co."
    assert app_service.step_problems(owner.application, "owners") == []


def test_owners_are_required_when_a_founder_is_a_legal_entity(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    response = post_owners(investor_client, application)  # the empty row is no owner

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = (
        "A founder is a legal entity: list the natural persons who own or control the company, "
        "or declare that there are none."
    )
    assert message in errors(response)["owners"]
    assert summary_links(response) == ["owners-list"]
    assert 'id="owners-list"' in html
    # The review step lists it, and the application cannot be submitted.
    review_page = investor_client.get(f"/applications/{application.id}/step/review")
    assert message in review_page.get_data(as_text=True)
    assert any(p.step == "owners" for p in app_service.submission_problems(application))


def test_without_a_legal_entity_founder_no_owner_is_required(investor, app):
    application = with_founders(investor, ("natural", "Aruzhan Bekova", "KZ", "100"))
    assert app_service.step_problems(application, "owners") == []


def test_the_declaration_that_there_is_none_needs_a_reason(investor_client, investor):
    application = with_founders(investor, ("legal", "Widely Held Holdings plc", "GB", "100"))

    response = post_owners(investor_client, application, owners_none_declared="y")

    assert response.status_code == 422
    assert errors(response)["owners_none_reason"] == (
        "Say why no natural person holds at least 25%, or controls the company by other means."
    )
    assert "owners_none_reason" in summary_links(response)

    reason = "Listed on the LSE; no shareholder holds 25%."
    response = post_owners(
        investor_client, application, owners_none_declared="y", owners_none_reason=reason
    )

    assert response.status_code == 302
    stored = db.session.get(Application, application.id)
    assert stored.owners_none_declared and stored.owners_none_reason == reason
    assert app_service.step_problems(stored, "owners") == []


def test_the_declaration_and_listed_owners_contradict_each_other(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    response = post_owners(
        investor_client,
        application,
        owners_none_declared="y",
        owners_none_reason="Nobody",
        **owner_data(),
    )

    assert response.status_code == 422
    assert (
        "Either list the beneficial owners or declare that there are none"
        in (errors(response)["owners_none_declared"])
    )


def test_a_natural_person_founder_with_25_percent_must_be_listed(investor_client, investor):
    application = with_founders(
        investor,
        ("natural", "Aruzhan Bekova", "KZ", "60"),
        ("legal", "Xinjiang Textile Co.", "CN", "40"),
    )

    response = post_owners(investor_client, application, **owner_data())

    assert response.status_code == 422
    assert errors(response)["owners"] == (
        "Aruzhan Bekova holds 60% of the shares as a founder: list them as a beneficial owner."
    )
    # Nor can the declaration stand beside her shares.
    response = post_owners(
        investor_client, application, owners_none_declared="y", owners_none_reason="None"
    )
    assert "Aruzhan Bekova holds 60% of the shares" in errors(response)["owners"]
    # Listed (whatever the spacing and case of her name), the step is complete.
    response = post_owners(
        investor_client,
        application,
        **owner_data(),
        **owner_data(
            1,
            name="  aruzhan   BEKOVA ",
            birth_date="1985-04-12",
            nationality="KZ",
            residence="KZ",
            shares_percent="60",
            votes_percent="60",
            held_through="",
        ),
    )
    assert response.status_code == 302


def test_an_owner_cannot_hold_more_through_a_founder_than_that_founders_share(
    investor_client, investor
):
    application = with_founders(
        investor,
        ("legal", "Xinjiang Textile Co.", "CN", "40"),
        ("legal", "Qorgas Logistics LLP", "KZ", "60"),
    )

    response = post_owners(investor_client, application, **owner_data(shares_percent="45"))

    assert response.status_code == 422
    assert errors(response)["owners-0-shares_percent"] == (
        "Through Xinjiang Textile Co. at most 40%: that founder's share."
    )


def test_an_owner_held_through_a_founder_no_longer_listed_is_asked_again(investor_client, investor):
    application = with_founders(investor, ("legal", "Xinjiang Silk Co.", "CN", "100"))
    application.owners = [beneficial_owner(held_through="Xinjiang Textile Co.")]
    db.session.commit()

    html = investor_client.get(f"/applications/{application.id}/step/owners").get_data(as_text=True)
    # Shown as it was stored, not silently replaced by another choice.
    assert re.search(r'<option selected value="Xinjiang Textile Co.">', html)
    response = post_owners(investor_client, application, **owner_data())
    assert errors(response)["owners-0-held_through"] == (
        "Xinjiang Textile Co. is no longer a founding legal entity: choose again."
    )


# --- validation next to each field, nothing typed lost ----------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("birth_date", "2030-01-01", "Enter a date of birth in the past."),
        ("birth_date", "2015-06-01", "A beneficial owner must be at least 18 years old."),
        ("birth_date", "3 Sept 1978", "Not a valid date value."),
        ("shares_percent", "150", "Enter a percent from 0 to 100."),
        ("votes_percent", "-5", "Enter a percent from 0 to 100."),
        ("shares_percent", "thirty", "Enter a number, for example 1500000.50."),
        ("name", "", "This field is required."),
    ],
)
@pytest.mark.parametrize("action", ["save", "next"])
def test_a_refused_value_is_shown_next_to_its_field_and_nothing_typed_is_lost(
    investor_client, investor, field, typed, message, action
):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    response = post_owners(investor_client, application, action, **owner_data(**{field: typed}))

    assert response.status_code == 422
    assert errors(response)[f"owners-0-{field}"] == message
    assert f"owners-0-{field}" in summary_links(response)
    html = response.get_data(as_text=True)
    assert re.search(rf'id="owners-0-{field}"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*id="owners-0-{field}"', html
    )
    # What was typed is on the page again, and nothing half-checked was stored.
    assert f'value="{typed}"' in html or not typed
    assert 'value="Li Wei"' in html or field == "name"
    assert db.session.get(Application, application.id).owners == []
    if action == "save":
        assert "Not saved yet: correct the fields marked below." in html


def test_an_owner_without_any_control_is_no_beneficial_owner(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    data = owner_data(shares_percent="10", votes_percent="")
    del data["owners-0-controls"]
    response = post_owners(investor_client, application, **data)

    assert response.status_code == 422
    assert errors(response)["owners-0-controls"].startswith(
        "Choose at least one nature of control: a beneficial owner holds shares or votes"
    )
    assert "owners-0-controls" in summary_links(response)
    # Saved as a draft, it waits: the review step names the owner and the field.
    post_owners(investor_client, application, "save", **data)
    review_page = investor_client.get(f"/applications/{application.id}/step/review")
    assert "Owner 1 — Nature of control" in review_page.get_data(as_text=True)


def test_the_nature_of_control_agrees_with_the_percentages(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    response = post_owners(
        investor_client,
        application,
        **owner_data(controls=["shares", "influence"], shares_percent="10", votes_percent="40"),
    )

    found = errors(response)
    assert found["owners-0-shares_percent"] == (
        "Enter 25 or more: the nature of control says “Owns shares: at least 25%”."
    )
    assert found["owners-0-controls"] == ("With 40%, tick “Holds voting rights: at least 25%”.")


def test_owners_are_added_and_removed_without_javascript(investor_client, investor):
    application = with_founders(investor, *BEHIND_A_COMPANY)

    added = post_owners(investor_client, application, "add", **owner_data())
    html = added.get_data(as_text=True)
    assert "Owner 2" in html and 'value="Li Wei"' in html
    # Enter in a field presses the first submit button: "Save and continue", not add/remove.
    first = re.search(r"<button[^>]*>", html.split('class="card step-form"', 1)[1]).group(0)
    assert 'value="next"' in first

    second = owner_data(1, name="Chen Jie", birth_date="1990-01-15", held_through="")
    removed = post_owners(investor_client, application, "remove-0", **owner_data(), **second)
    assert removed.status_code == 302
    (left,) = db.session.get(Application, application.id).owners
    assert left.name == "Chen Jie"


# --- reviewers, the public record, other investors ---------------------------------------------


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def test_the_reviewer_sees_the_owners_in_full(app, request_ctx, client, auth):
    reviewer = UserFactory(role="reviewer")
    application = complete_application()
    application.owners[1].residence = "AE"
    app_service.submit(application, application.owner)
    review.take(application, reviewer)
    db.session.commit()

    auth.login(reviewer)
    html = client.get(f"/review/applications/{application.id}").get_data(as_text=True)

    assert "<h2>Beneficial owners</h2>" in html
    assert re.search(r"<td>Sep\w* 3, 1978</td>", html)  # the full date of birth
    assert "<td>United Arab Emirates</td>" in html  # the country of residence
    assert "Owns shares: at least 25%" in html
    assert "Through Xinjiang Textile Co." in html


def test_the_reviewer_sees_changed_owners_after_a_request_for_information(
    app, request_ctx, client, auth
):
    reviewer = UserFactory(role="reviewer")
    application = complete_application()
    app_service.submit(application, application.owner)
    review.take(application, reviewer)
    review.request_info(application, reviewer, "Who stands behind the Xinjiang company?")
    db.session.commit()
    rows = app_service.owner_rows(application)
    rows[1] = {**rows[1], "name": "Chen Jie"}
    stored, problems = app_service.save_owners(application, rows, False, "")
    assert stored and problems == []
    app_service.submit(application, application.owner, comment="Corrected.")
    db.session.commit()

    auth.login(reviewer)
    html = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    changes = html.split('class="card changes"')[1].split("</section>")[0]
    assert "Beneficial owners" in changes
    assert "Chen Jie" in changes


def test_the_public_record_shows_only_name_month_and_year_nationality_and_control(client, app):
    application = registered_application(number="KEG-IND-2026-000042")
    li_wei = application.owners[1]
    li_wei.residence = "AE"
    db.session.commit()

    html = client.get("/registry/KEG-IND-2026-000042").get_data(as_text=True)

    section = html.split('id="owners"', 1)[1].split("</section>", 1)[0]
    assert "<h3>Li Wei</h3>" in section
    assert "Born September 1978 · Nationality: China" in section
    assert "<li>Owns shares: at least 25%</li>" in section
    assert "<h3>Aruzhan Bekova</h3>" in section and "Born April 1985" in section
    # Never the day of birth, never the residence, nor the extent or the founder behind it.
    for secret in ("1978-09-03", "Sep 3, 1978", "September 3, 1978", "3 September 1978"):
        assert secret not in html
    assert not re.search(r"Sep\w* 3, 1978", html)
    assert "United Arab Emirates" not in html
    assert "Xinjiang Textile Co." not in html


def test_the_public_owner_record_holds_no_day_and_no_residence(app):
    from dataclasses import fields

    from portal.services.public_registry import PublicOwner, company

    registered_application(number="KEG-IND-2026-000043")
    record = company("KEG-IND-2026-000043")

    assert {f.name for f in fields(PublicOwner)} == {
        "name",
        "birth_year",
        "birth_month",
        "nationality",
        "controls",
    }
    assert [(o.name, o.birth_year, o.birth_month) for o in record.owners] == [
        ("Aruzhan Bekova", 1985, 4),
        ("Li Wei", 1978, 9),
    ]


def test_another_investor_never_reaches_the_owners(client, auth, investor, other_investor):
    application = complete_application(investor)

    auth.login(other_investor)
    for url in (
        f"/applications/{application.id}/step/owners",
        f"/applications/{application.id}",
        f"/applications/{application.id}/step/review",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Li Wei" not in response.get_data(as_text=True)
    response = client.post(
        f"/applications/{application.id}/step/owners", data={"action": "next", **owner_data()}
    )
    assert response.status_code == 404
    assert [o.name for o in db.session.get(Application, application.id).owners] == [
        "Aruzhan Bekova",
        "Li Wei",
    ]


def test_owners_cannot_be_changed_once_submitted(app, request_ctx, investor_client, investor):
    application = complete_application(investor)
    app_service.submit(application, investor)
    db.session.commit()
    assert application.status == lifecycle.SUBMITTED

    response = post_owners(investor_client, application, **owner_data())

    assert response.status_code == 403


# --- the rules, on plain values ---------------------------------------------------------------


def test_an_owner_turning_18_today_is_old_enough():
    row = {
        "name": "Dana",
        "birth_date": date(2008, 11, 28),
        "controls": ["directors"],
        "shares_percent": None,
        "votes_percent": None,
        "held_through": "",
    }
    assert owners.row_problems(row, 0, [], TODAY) == []
    younger = {**row, "birth_date": date(2008, 11, 29)}
    assert [p.field for p in owners.row_problems(younger, 0, [], TODAY)] == ["owners-0-birth_date"]


def test_control_by_other_means_needs_no_percentages():
    row = {"name": "Dana", "birth_date": date(1980, 1, 1), "controls": ["influence"]}
    company = founders(("legal", "Holding", "KZ", "100"))
    assert owners.problems([row], False, "", company, TODAY) == []


def test_the_owners_shares_cannot_add_up_to_more_than_100():
    rows = [
        {"name": n, "birth_date": date(1980, 1, 1), "controls": ["shares"], "shares_percent": p}
        for n, p in (("A", Decimal(60)), ("B", Decimal(50)))
    ]
    company = founders(("legal", "Holding", "KZ", "100"))
    found = owners.problems(rows, False, "", company, TODAY)
    assert [p.message for p in found] == ["The owners' shares add up to 110%: more than 100%."]


def test_the_complete_application_factory_passes_every_check(app):
    application = complete_application()
    assert app_service.submission_problems(application) == []
    assert beneficial_owner().held_through == "Xinjiang Textile Co."
