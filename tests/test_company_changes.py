"""Changes after registration: the owner files a change of the company's record, a reviewer
takes it through the same moves, and approval updates the register with a new version and a new
certificate version; the earlier certificate verifies as superseded."""

from __future__ import annotations

from datetime import date

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, OutgoingEmail, RegistrationVersion
from portal.services import (
    DomainError,
    company_changes,
    company_status,
    daily_counts,
    public_registry,
    review,
    signing,
    statements,
)
from portal.services import applications as app_service
from portal.services.zone_time import today
from tests import factories

NUMBER = "KEG-IND-2026-000042"
NAME = "Silk Road Textiles LLP"


@pytest.fixture
def registered(investor):
    return factories.registered_application(
        investor, number=NUMBER, company_name=NAME, registered_on=date(2026, 3, 14)
    )


@pytest.fixture
def registration(registered):
    return registered.registration


def filed(registration, investor, **fields):
    """A change filed by the owner with `fields` changed on the company step, submitted."""
    change = company_changes.file_change(registration, investor)
    if fields:
        app_service.update_fields(change, "company", fields)
    db.session.commit()
    return change


def submitted(registration, investor, **fields):
    change = filed(registration, investor, **fields)
    app_service.submit(change, investor)
    db.session.commit()
    return change


def approved(change, reviewer):
    review.take(change, reviewer)
    db.session.commit()
    review.approve(change, reviewer)
    db.session.commit()
    return change


# --- filing ------------------------------------------------------------------------------------


def test_a_change_starts_as_a_copy_of_the_record_and_keeps_zone_sector_and_legal_form(
    registration, registered, investor
):
    change = company_changes.file_change(registration, investor)

    assert change.is_change and change.changes_id == registration.id
    assert change.status == lifecycle.DRAFT and change.owner_id == investor.id
    assert (change.company_name, change.address) == (NAME, registered.address)
    assert [f.name for f in change.founders] == [f.name for f in registered.founders]
    assert [o.name for o in change.owners] == [o.name for o in registered.owners]
    assert change.documents == []

    app_service.update_fields(
        change, "company", {"zone_id": factories.zone("ICBC").id, "legal_form": "jsc"}
    )
    assert change.zone_id == registered.zone_id and change.legal_form == registered.legal_form


def test_a_change_that_changes_nothing_is_refused_at_submission(registration, investor):
    change = filed(registration, investor)

    problems = app_service.submission_problems(change)

    assert [p.message for p in problems] == [
        "This change changes nothing in the company's record yet."
    ]
    with pytest.raises(DomainError):
        app_service.submit(change, investor)


def test_a_change_needs_no_documents_and_no_investment_step(registration, investor):
    change = filed(registration, investor, address="Nurkent, building 9")

    assert app_service.steps_of(change) == ("company", "founders", "owners", "documents", "review")
    assert app_service.submission_problems(change) == []


def test_only_the_owner_files_a_change_and_only_one_at_a_time(registration, investor):
    stranger = factories.UserFactory()
    with pytest.raises(DomainError):
        company_changes.file_change(registration, stranger)

    first = filed(registration, investor)
    with pytest.raises(DomainError) as refused:
        company_changes.file_change(registration, investor)

    assert refused.value.field == "open_change"
    assert company_changes.open_change(registration) == first


def test_a_struck_off_company_files_no_change(registration, investor, admin):
    company_status.change_status(
        registration, lifecycle.STRUCK_OFF, admin, "Liquidated", today(registration.zone)
    )
    db.session.commit()

    with pytest.raises(DomainError):
        company_changes.file_change(registration, investor)


def test_the_company_keeps_its_own_name_without_a_clash_but_not_anothers(registration, investor):
    factories.registered_application(number="KEG-IND-2026-000043", company_name="Jade Looms LLP")
    change = filed(registration, investor)

    assert app_service.name_clash(change) is None  # its own name
    app_service.update_fields(change, "company", {"company_name": "Jade Looms LLP"})
    assert "KEG-IND-2026-000043" in app_service.name_clash(change)


# --- the pages ---------------------------------------------------------------------------------


def test_the_owner_files_a_change_from_the_company_page(client, auth, investor, registered):
    auth.login(investor)
    page = client.get(f"/applications/{registered.id}").get_data(as_text=True)
    response = client.post(f"/applications/{registered.id}/change")
    change = db.session.scalars(
        db.select(Application).where(Application.kind == lifecycle.CHANGE)
    ).one()
    company_step = client.get(response.location).get_data(as_text=True)

    assert "File a change" in page
    assert response.location.endswith(f"/applications/{change.id}/step/company")
    assert "Company name" in company_step and "Proposed company name" not in company_step
    assert 'name="zone_id"' not in company_step  # stays as registered
    assert client.get(f"/applications/{change.id}/step/investment").status_code == 404
    # Asking again goes to the open change.
    again = client.post(f"/applications/{registered.id}/change")
    assert again.location.endswith(f"/applications/{change.id}")


def test_another_investor_cannot_file_a_change_of_the_company(client, auth, registered):
    auth.login(factories.UserFactory())

    assert client.post(f"/applications/{registered.id}/change").status_code == 404
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 1


# --- review ------------------------------------------------------------------------------------


def test_the_queue_filters_by_kind_and_marks_changes(
    client, auth, reviewer, investor, registration
):
    change = submitted(registration, investor, address="Nurkent, building 9")
    other = factories.complete_application(company_name="Caspian Looms LLP")
    app_service.submit(other, other.owner)
    db.session.commit()
    auth.login(reviewer)

    changes_only = client.get("/review/?kind=change").get_data(as_text=True)
    registrations_only = client.get("/review/?kind=registration").get_data(as_text=True)

    assert f"/review/applications/{change.id}" in changes_only
    assert "Caspian Looms LLP" not in changes_only
    assert NUMBER in changes_only  # the company it changes
    assert "Caspian Looms LLP" in registrations_only
    assert f"/review/applications/{change.id}" not in registrations_only


def test_the_reviewer_sees_old_against_new(client, auth, reviewer, investor, registration):
    change = submitted(
        registration, investor, address="Nurkent, building 9", director_name="Dana Sarsen"
    )
    auth.login(reviewer)

    page = client.get(f"/review/applications/{change.id}").get_data(as_text=True)

    assert f"A change to the record of {NAME} ({NUMBER})" in page
    assert "<ins>Nurkent, building 9</ins>" in page
    assert "<ins>Dana Sarsen</ins>" in page
    assert "<del>" in page


def test_a_request_for_information_and_a_rejection_leave_the_register_as_it_was(
    investor, reviewer, registration
):
    change = submitted(registration, investor, address="Nurkent, building 9")
    review.take(change, reviewer)
    review.request_info(change, reviewer, "Attach the lease of the new building.")
    db.session.commit()
    app_service.update_fields(change, "company", {"address": "Nurkent, building 10"})
    app_service.submit(change, investor, comment="Lease attached")
    db.session.commit()
    review.take(change, reviewer)
    reason = review.active_rejection_reasons()[0]
    review.reject(change, reviewer, reason, "The lease is not signed.")
    db.session.commit()

    assert registration.version == 1 and registration.record == registration.application
    assert public_registry.company(NUMBER).address != "Nurkent, building 10"
    mail = db.session.scalars(db.select(OutgoingEmail).order_by(OutgoingEmail.id.desc())).first()
    assert "your change to the record of" in mail.body


# --- approval ----------------------------------------------------------------------------------


def test_approval_updates_the_register_with_a_version_and_mails_the_owner(
    investor, reviewer, registration
):
    change = submitted(
        registration, investor, company_name="Silk Road Weaving LLP", address="Nurkent, 9"
    )
    approved(change, reviewer)

    version = db.session.scalars(db.select(RegistrationVersion)).one()
    record = public_registry.company(NUMBER)
    assert registration.version == 2 and version.version == 2
    assert version.approved_by_id == reviewer.id and version.application_id == change.id
    assert set(version.changed.split(",")) == {"company_name", "address"}
    assert (record.name, record.address, record.version) == (
        "Silk Road Weaving LLP",
        "Nurkent, 9",
        2,
    )
    assert registration.company_name == "Silk Road Weaving LLP"
    mail = db.session.scalars(db.select(OutgoingEmail).order_by(OutgoingEmail.id.desc())).first()
    assert "certificate version 2" in mail.subject
    assert public_registry.versions(NUMBER)[0].changed == ("company_name", "address")


def test_a_change_is_not_counted_as_a_registration(investor, reviewer, registration):
    before = daily_counts.stored()

    approved(submitted(registration, investor, address="Nurkent, building 9"), reviewer)

    assert daily_counts.stored() == before == daily_counts.recount()


def test_the_new_certificate_is_version_2_and_the_old_one_verifies_as_superseded(
    client, investor, reviewer, registration
):
    keys = signing.current_keys()
    old = statements.sign(statements.Statement.of(registration, issued_on=date(2026, 3, 14)), keys)
    approved(submitted(registration, investor, company_name="Silk Road Weaving LLP"), reviewer)

    current = statements.sign(
        statements.Statement.of(
            registration,
            issued_on=today(registration.zone),
            version=statements.current_version(registration),
        ),
        keys,
    )
    published = signing.published_keys()
    old_check = statements.check_online(old, registration, published)
    new_check = statements.check_online(current, registration, published)
    page = client.get(f"/verify/{NUMBER}?s={old}").get_data(as_text=True)

    assert statements.current_version(registration) == 2
    assert new_check.is_valid
    assert old_check.is_superseded and old_check.current == 2
    assert old_check.since == today(registration.zone)
    assert "This certificate was superseded on" in page and "by version 2" in page
    assert "Silk Road Weaving LLP" in page  # the record as it stands


def test_a_forged_old_statement_is_still_forged(client, investor, reviewer, registration):
    keys = signing.current_keys()
    forged = statements.sign(
        statements.Statement(
            number=NUMBER,
            company_name="Silk Road Textiles Ltd",  # never the company's name
            zone="KEG-IND",
            sector="textiles",
            registered_on=date(2026, 3, 14),
            version=1,
            issued_on=date(2026, 3, 14),
        ),
        keys,
    )
    approved(submitted(registration, investor, company_name="Silk Road Weaving LLP"), reviewer)

    assert statements.check_online(forged, registration, signing.published_keys()).is_forged


def test_the_public_page_and_the_api_list_the_versions(client, investor, reviewer, registration):
    approved(submitted(registration, investor, address="Nurkent, building 9"), reviewer)

    page = client.get(f"/registry/{NUMBER}").get_data(as_text=True)
    record = client.get(f"/api/v1/companies/{NUMBER}").get_json()

    assert "Changes to the record" in page and "Address in the zone" in page
    assert record["certificate_version"] == 2
    assert record["versions"] == [
        {
            "version": 2,
            "effective_on": today(registration.zone).isoformat(),
            "changed": ["address"],
            "name": NAME,
        }
    ]
    assert "approved_by" not in str(record)


def test_the_dashboard_counts_an_approved_change_on_its_day(investor, reviewer, registration):
    from portal.services import stats

    approved(submitted(registration, investor, address="Nurkent, building 9"), reviewer)

    day = today(registration.zone)
    series = stats.companies(stats.Filters(day, day))
    assert [(d.changed, d.registered) for d in series.days] == [(1, 0)]
