"""A registered company's status on the register: suspended, restored, struck off (final), each
with a reason and an effective date, by admins and the reviewers they give the right to; shown
on the public record, in the registry, on /verify and in the check of a certificate's signed
statement."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.models import AuditEntry, CompanyStatusEvent, OutgoingEmail
from portal.services import DomainError, company_status, public_registry, signing, statements
from portal.services.zone_time import today
from tests import factories
from tests.conftest import ON_POSTGRES

NUMBER = "KEG-IND-2026-000123"
COMPANY = "Silk Road Textiles LLP"
REGISTERED_ON = date(2026, 3, 14)


@pytest.fixture
def registered(investor):
    return factories.registered_application(
        investor, number=NUMBER, company_name=COMPANY, registered_on=REGISTERED_ON
    )


@pytest.fixture
def registration(registered):
    return registered.registration


def change(registration, target, user, reason="Annual accounts not filed", on=None):
    """The service's change, committed as the admins' page commits it."""
    on = on or today(registration.zone)
    event = company_status.change_status(registration, target, user, reason, on)
    db.session.commit()
    return event


def admin_post(client, auth, admin, status, reason="Annual accounts not filed", on=None, **kw):
    auth.login(admin)
    data = {"status": status, "reason": reason, "effective_on": on or "", **kw}
    return client.post(f"/admin/companies/{NUMBER}", data=data)


# --- the model and the lifecycle ------------------------------------------------------------


def test_a_new_company_is_active_since_its_registration_date(registration):
    assert registration.status == lifecycle.ACTIVE
    assert registration.status_since == REGISTERED_ON
    assert registration.status_reason == ""
    assert registration.is_active and not registration.is_struck_off


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        (lifecycle.ACTIVE, lifecycle.SUSPENDED, True),
        (lifecycle.SUSPENDED, lifecycle.ACTIVE, True),
        (lifecycle.ACTIVE, lifecycle.STRUCK_OFF, True),
        (lifecycle.SUSPENDED, lifecycle.STRUCK_OFF, True),
        (lifecycle.STRUCK_OFF, lifecycle.ACTIVE, False),
        (lifecycle.STRUCK_OFF, lifecycle.SUSPENDED, False),
        (lifecycle.ACTIVE, lifecycle.ACTIVE, False),
        (lifecycle.SUSPENDED, lifecycle.SUSPENDED, False),
    ],
)
def test_the_lifecycle_allows_only_its_company_moves(app, admin, source, target, allowed):
    company = type("Company", (), {"status": source})()
    if allowed:
        assert lifecycle.check_company_move(company, target, admin).target == target
    else:
        with pytest.raises(lifecycle.IllegalMove):
            lifecycle.check_company_move(company, target, admin)


def test_only_admins_and_reviewers_given_the_right_may_move_a_company(app, reviewer, investor):
    company = type("Company", (), {"status": lifecycle.ACTIVE})()
    for user in (reviewer, investor):
        assert lifecycle.company_moves_for(company, user) == []
        with pytest.raises(lifecycle.IllegalMove):
            lifecycle.check_company_move(company, lifecycle.SUSPENDED, user)
    reviewer.company_status_right = investor.company_status_right = True
    assert lifecycle.check_company_move(company, lifecycle.SUSPENDED, reviewer).action == "suspend"
    assert lifecycle.company_moves_for(company, investor) == []  # never an investor


# --- the service ------------------------------------------------------------------------------


def test_suspend_restore_and_strike_off_are_recorded_in_the_history(registration, admin):
    day = today(registration.zone)
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed", day - timedelta(2))
    change(registration, lifecycle.ACTIVE, admin, "Accounts filed", day - timedelta(1))
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated by its founders", day)

    assert registration.status == lifecycle.STRUCK_OFF
    assert registration.status_since == day
    assert registration.status_reason == "Liquidated by its founders"
    assert registration.status_changed_by_id == admin.id
    assert registration.status_changed_at is not None
    events = company_status.events(registration)
    assert [(e.from_status, e.to_status, e.reason) for e in events] == [
        (lifecycle.ACTIVE, lifecycle.STRUCK_OFF, "Liquidated by its founders"),
        (lifecycle.SUSPENDED, lifecycle.ACTIVE, "Accounts filed"),
        (lifecycle.ACTIVE, lifecycle.SUSPENDED, "Accounts not filed"),
    ]
    assert all(e.actor_id == admin.id for e in events)
    assert [c.to_status for c in company_status.history(NUMBER.lower())] == [
        lifecycle.STRUCK_OFF,
        lifecycle.ACTIVE,
        lifecycle.SUSPENDED,
    ]


def test_struck_off_is_final(registration, admin):
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated")
    for target in (lifecycle.ACTIVE, lifecycle.SUSPENDED, lifecycle.STRUCK_OFF):
        with pytest.raises(lifecycle.IllegalMove):
            company_status.change_status(
                registration, target, admin, "Try again", today(registration.zone)
            )
        db.session.rollback()
    assert registration.status == lifecycle.STRUCK_OFF
    assert db.session.scalar(db.select(db.func.count(CompanyStatusEvent.id))) == 1


def test_a_reviewer_cannot_change_a_companys_status(registration, reviewer):
    with pytest.raises(lifecycle.IllegalMove):
        change(registration, lifecycle.SUSPENDED, reviewer)
    db.session.rollback()
    assert registration.status == lifecycle.ACTIVE


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(registration, admin, reason):
    with pytest.raises(DomainError) as refused:
        change(registration, lifecycle.SUSPENDED, admin, reason)
    assert refused.value.field == "reason"


def test_the_effective_date_cannot_be_in_the_future(registration, admin):
    tomorrow = today(registration.zone) + timedelta(days=1)
    with pytest.raises(DomainError) as refused:
        change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated", tomorrow)
    assert refused.value.field == "effective_on"


def test_the_effective_date_cannot_come_before_the_present_status(registration, admin):
    with pytest.raises(DomainError) as refused:
        change(registration, lifecycle.SUSPENDED, admin, "Late", REGISTERED_ON - timedelta(1))
    assert refused.value.field == "effective_on"


def test_a_change_writes_an_audit_entry(registration, admin):
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed")

    entry = db.session.scalars(db.select(AuditEntry)).one()
    assert entry.actor_id == admin.id
    assert entry.action == "company.suspend"
    assert NUMBER in entry.target
    assert "Accounts not filed" in entry.details


def test_the_owner_is_emailed_in_their_language(registration, registered, admin):
    registered.owner.locale = "ru"
    db.session.commit()

    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated by its founders")

    message = db.session.scalars(db.select(OutgoingEmail)).one()
    assert message.recipient == registered.owner.email
    assert COMPANY in message.subject
    assert "Liquidated by its founders" in message.body
    assert f"http://localhost/registry/{NUMBER}" in message.body


# --- the admins' page -------------------------------------------------------------------------


def test_an_admin_strikes_a_company_off_through_the_form(client, auth, admin, registration):
    on = today(registration.zone).isoformat()
    response = admin_post(client, auth, admin, lifecycle.STRUCK_OFF, "Liquidated", on)

    assert response.status_code == 302
    assert response.location.endswith(f"/admin/companies/{NUMBER}")
    assert registration.status == lifecycle.STRUCK_OFF
    page = client.get(response.location).get_data(as_text=True)
    assert "is now Struck off" in page
    assert "its status no longer changes" in page


def test_the_form_defaults_to_today_and_says_the_reason_is_public(
    client, auth, admin, registration
):
    auth.login(admin)
    page = client.get(f"/admin/companies/{NUMBER}").get_data(as_text=True)

    assert f'value="{today(registration.zone).isoformat()}"' in page
    assert "Shown publicly" in page


def test_the_form_shows_a_missing_reason_and_a_future_date_next_to_their_fields(
    client, auth, admin, registration
):
    response = admin_post(client, auth, admin, lifecycle.SUSPENDED, reason="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reason-error"' in page

    tomorrow = (today(registration.zone) + timedelta(days=1)).isoformat()
    response = admin_post(client, auth, admin, lifecycle.SUSPENDED, on=tomorrow)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="effective_on-error"' in page and "cannot be in the future" in page
    assert registration.status == lifecycle.ACTIVE


def test_the_form_refuses_a_move_after_a_strike_off(client, auth, admin, registration):
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated")

    response = admin_post(client, auth, admin, lifecycle.ACTIVE, on=REGISTERED_ON.isoformat())

    assert response.status_code == 302
    assert registration.status == lifecycle.STRUCK_OFF
    assert "Nothing changed" in client.get(response.location).get_data(as_text=True)


@pytest.mark.parametrize("role", ["reviewer", "investor"])
def test_without_the_right_nobody_but_admins_reaches_the_company_status_page(
    client, auth, registration, role, request
):
    auth.login(request.getfixturevalue(role))

    assert client.get(f"/admin/companies/{NUMBER}").status_code == 403
    response = client.post(
        f"/admin/companies/{NUMBER}",
        data={"status": lifecycle.SUSPENDED, "reason": "x", "effective_on": "2026-03-20"},
    )
    assert response.status_code == 403
    assert registration.status == lifecycle.ACTIVE


def test_admins_find_a_company_by_its_number(client, auth, admin, registration):
    auth.login(admin)

    found = client.get("/admin/companies", query_string={"number": NUMBER.lower()})
    missing = client.get("/admin/companies", query_string={"number": "KEG-IND-2026-999999"})

    assert found.status_code == 302 and found.location.endswith(f"/admin/companies/{NUMBER}")
    assert missing.status_code == 422
    assert "No company is registered under this number." in missing.get_data(as_text=True)


# --- the public record, the registry, /verify ---------------------------------------------------


def test_the_public_page_shows_the_status_its_reason_date_and_history(client, registration, admin):
    day = today(registration.zone)
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed", day - timedelta(1))
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated by its founders", day)

    page = client.get(f"/registry/{NUMBER}").get_data(as_text=True)

    assert 'id="status"' in page
    assert "Struck off" in page and "Liquidated by its founders" in page
    assert "Accounts not filed" in page  # the history
    assert admin.email not in page  # never who made the change


def test_the_public_record_data_has_the_status(registration, admin):
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed")

    record = public_registry.record(public_registry.company(NUMBER))

    assert record["status"] == lifecycle.SUSPENDED
    assert record["status_reason"] == "Accounts not filed"
    assert record["status_since"] == today(registration.zone).isoformat()


def test_the_registry_filters_by_status_and_marks_non_active_companies(client, investor, admin):
    active = factories.registered_application(investor, company_name="Steady Trading LLP")
    gone = factories.registered_application(investor, company_name="Gone Logistics LLP")
    change(gone.registration, lifecycle.STRUCK_OFF, admin, "Liquidated")

    everything = client.get("/registry").get_data(as_text=True)
    struck_off = client.get("/registry", query_string={"status": lifecycle.STRUCK_OFF})
    only_active = client.get("/registry", query_string={"status": lifecycle.ACTIVE})

    assert "Steady Trading LLP" in everything and "Gone Logistics LLP" in everything
    assert "badge-company-struck_off" in everything
    assert "badge-company-active" not in everything  # only non-active companies get a badge
    assert "Gone Logistics LLP" in struck_off.get_data(as_text=True)
    assert "Steady Trading LLP" not in struck_off.get_data(as_text=True)
    assert "Gone Logistics LLP" not in only_active.get_data(as_text=True)
    assert active.registration.number in only_active.get_data(as_text=True)


def test_verify_says_a_struck_off_company_is_not_valid_since_the_date(client, registration, admin):
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated", REGISTERED_ON + timedelta(30))

    page = client.get(f"/verify/{NUMBER}").get_data(as_text=True)

    assert "This certificate is not valid since" in page
    assert "Apr 13, 2026" in page
    assert "Liquidated" in page
    assert "This certificate is valid" not in page


def test_verify_says_a_suspended_company_is_suspended(client, registration, admin):
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed")

    page = client.get(f"/verify/{NUMBER}").get_data(as_text=True)

    assert "The company is suspended since" in page
    assert "Accounts not filed" in page
    assert "This certificate is valid" not in page


def _statement(registration) -> str:
    statement = statements.Statement.of(registration, issued_on=REGISTERED_ON)
    return statements.sign(statement, signing.current_keys())


def test_a_struck_off_companys_certificate_statement_is_struck_off_since_the_date(
    client, registration, admin
):
    token = _statement(registration)
    on = REGISTERED_ON + timedelta(30)
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated", on)

    check = statements.check_online(token, registration, signing.published_keys())
    page = client.get(f"/verify/{NUMBER}", query_string={"s": token}).get_data(as_text=True)

    assert check.verdict == statements.Verdict.STRUCK_OFF and check.is_struck_off
    assert check.since == on
    assert not check.is_valid and not check.is_forged
    assert "This certificate is not valid since Apr 13, 2026" in page
    assert "signed by the portal" in page
    assert "This certificate is forged" not in page


def test_a_suspended_companys_statement_is_suspended_and_a_restored_one_valid_again(
    client, registration, admin
):
    token = _statement(registration)
    day = today(registration.zone)
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed", day - timedelta(1))

    suspended = statements.check_online(token, registration, signing.published_keys())
    change(registration, lifecycle.ACTIVE, admin, "Accounts filed", day)
    restored = statements.check_online(token, registration, signing.published_keys())

    assert suspended.verdict == statements.Verdict.SUSPENDED
    assert suspended.since == day - timedelta(1)
    assert restored.is_valid


def test_a_forged_statement_stays_forged_whatever_the_status(client, registration, admin):
    statement = statements.Statement.of(registration, issued_on=REGISTERED_ON)
    other = statements.Statement(**{**statement.__dict__, "company_name": "Other LLP"})
    token = statements.sign(other, signing.current_keys())
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated")

    check = statements.check_online(token, registration, signing.published_keys())

    assert check.is_forged


def test_a_change_of_status_renews_the_cached_public_pages(make_app):
    from portal import page_cache

    page_cache._local.clear()
    cached = make_app(CACHE_TYPE="SimpleCache")
    with cached.app_context():
        admin = factories.UserFactory(role="admin")
        application = factories.registered_application(
            number=NUMBER, company_name=COMPANY, registered_on=REGISTERED_ON
        )
        client = cached.test_client()
        assert "This certificate is valid" in client.get(f"/verify/{NUMBER}").get_data(True)
        listed = client.get("/registry", query_string={"status": lifecycle.STRUCK_OFF})
        assert COMPANY not in listed.get_data(as_text=True)

        change(application.registration, lifecycle.STRUCK_OFF, admin, "Liquidated")

        verify = client.get(f"/verify/{NUMBER}").get_data(as_text=True)
        listed = client.get("/registry", query_string={"status": lifecycle.STRUCK_OFF})
        assert "This certificate is not valid since" in verify
        assert COMPANY in listed.get_data(as_text=True)


def test_the_review_page_shows_the_status_and_admins_get_the_link_to_change_it(
    client, auth, reviewer, admin, registered
):
    change(registered.registration, lifecycle.SUSPENDED, admin, "Accounts not filed")
    link = f'href="/admin/companies/{NUMBER}"'

    auth.login(reviewer)
    as_reviewer = client.get(f"/review/applications/{registered.id}").get_data(as_text=True)
    auth.logout()
    auth.login(admin)
    as_admin = client.get(f"/review/applications/{registered.id}").get_data(as_text=True)

    assert "badge-company-suspended" in as_reviewer and link not in as_reviewer
    assert link in as_admin


def test_the_status_pages_are_valid_html(app, client, auth, admin, registered, tmp_path):
    from tests.test_html_valid import nu_errors

    registration = registered.registration
    token = _statement(registration)
    change(registration, lifecycle.SUSPENDED, admin, "Accounts not filed")
    auth.login(admin)
    pages = {
        "admin-companies": client.get("/admin/companies", query_string={"number": "X-1"}),
        "admin-company-errors": admin_post(client, auth, admin, lifecycle.STRUCK_OFF, reason=""),
        "review-approved": client.get(f"/review/applications/{registered.id}"),
    }
    change(registration, lifecycle.STRUCK_OFF, admin, "Liquidated")
    pages["admin-company-struck-off"] = client.get(f"/admin/companies/{NUMBER}")
    auth.logout()
    pages["registry"] = client.get("/registry")
    pages["company"] = client.get(f"/registry/{NUMBER}")
    pages["verify-struck-off"] = client.get(f"/verify/{NUMBER}", query_string={"s": token})
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, response in pages.items():
        assert response.status_code in (200, 422), name
        (folder / f"{name}.html").write_text(response.get_data(as_text=True), encoding="utf-8")

    errors = nu_errors(folder)

    assert not errors, "\n".join(errors)


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="concurrent changes need PostgreSQL (set DATABASE_URL); SQLite serializes writers",
)
def test_two_admins_suspending_at_the_same_instant_record_one_change(app, make_app, registration):
    from portal.models import Registration, User

    admins = [factories.UserFactory(role="admin") for _ in range(4)]
    # Read here: an expired attribute of the test's objects must not be loaded in a thread.
    registration_id, admin_ids = registration.id, [a.id for a in admins]
    apps = [make_app() for _ in admins]
    barrier = threading.Barrier(len(admins))
    errors: list[BaseException] = []

    def suspend(process_app, admin_id: int) -> None:
        try:
            with process_app.test_request_context():
                company = db.session.get(Registration, registration_id)
                admin = db.session.get(User, admin_id)
                barrier.wait(timeout=30)
                company_status.change_status(
                    company, lifecycle.SUSPENDED, admin, "Accounts not filed", REGISTERED_ON
                )
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - the test looks at them
            errors.append(exc)

    threads = [
        threading.Thread(target=suspend, args=pair) for pair in zip(apps, admin_ids, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()

    assert len(errors) == 3
    assert all(isinstance(e, lifecycle.IllegalMove) for e in errors)
    assert registration.status == lifecycle.SUSPENDED
    assert db.session.scalar(db.select(db.func.count(CompanyStatusEvent.id))) == 1


# --- reviewers given the right ----------------------------------------------------------------


def grant(client, auth, admin, user, granted: bool):
    auth.login(admin)
    response = client.post(
        f"/admin/users/{user.id}/company-status-right", data={"granted": "1" if granted else "0"}
    )
    auth.logout()
    return response


def test_an_admin_gives_a_reviewer_the_right_and_the_reviewer_suspends_a_company(
    client, auth, admin, reviewer, registered
):
    assert grant(client, auth, admin, reviewer, True).status_code == 302
    db.session.refresh(reviewer)
    assert reviewer.changes_company_status
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "user.company_status_right")
    ).one()
    assert entry.actor_id == admin.id and "False → True" in entry.details

    auth.login(reviewer)
    home = client.get("/review/").get_data(as_text=True)
    review_page = client.get(f"/review/applications/{registered.id}").get_data(as_text=True)
    status_page = client.get(f"/admin/companies/{NUMBER}").get_data(as_text=True)
    response = client.post(
        f"/admin/companies/{NUMBER}",
        data={
            "status": lifecycle.SUSPENDED,
            "reason": "Accounts not filed",
            "effective_on": today(registered.registration.zone).isoformat(),
        },
    )

    assert 'href="/admin/companies"' in home  # in the header: "Companies"
    assert f'href="/admin/companies/{NUMBER}"' in review_page
    assert 'class="admin-nav"' not in status_page  # the rest of the administration stays closed
    assert client.get("/admin/users").status_code == 403
    assert response.status_code == 302
    assert registered.registration.status == lifecycle.SUSPENDED
    assert registered.registration.status_changed_by_id == reviewer.id


def test_a_right_taken_back_closes_the_pages_again(client, auth, admin, reviewer, registration):
    grant(client, auth, admin, reviewer, True)
    grant(client, auth, admin, reviewer, False)
    db.session.refresh(reviewer)

    auth.login(reviewer)
    assert client.get(f"/admin/companies/{NUMBER}").status_code == 403
    with pytest.raises(lifecycle.IllegalMove):
        change(registration, lifecycle.SUSPENDED, reviewer)


def test_only_a_reviewer_is_given_the_right(client, auth, admin, investor):
    auth.login(admin)
    response = client.post(
        f"/admin/users/{investor.id}/company-status-right", data={"granted": "1"}
    )
    db.session.refresh(investor)

    assert response.status_code == 302
    assert "Only a reviewer is given this right" in client.get(response.location).get_data(
        as_text=True
    )
    assert not investor.company_status_right and not investor.changes_company_status


def test_the_users_page_offers_the_right_for_reviewers_only(
    client, auth, admin, reviewer, investor
):
    auth.login(admin)
    page = client.get("/admin/users").get_data(as_text=True)

    assert f"/admin/users/{reviewer.id}/company-status-right" in page
    assert f"/admin/users/{investor.id}/company-status-right" not in page
    assert f"/admin/users/{admin.id}/company-status-right" not in page
