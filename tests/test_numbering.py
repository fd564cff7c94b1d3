"""Registration numbers: ZONE-YEAR-NNNNNN, gapless per zone and year, safe under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy.exc import IntegrityError

from portal import lifecycle
from portal.extensions import db
from portal.models import Registration, RegistrationCounter
from portal.services.numbering import assign_registration
from tests.conftest import ON_POSTGRES
from tests.factories import ApplicationFactory, UserFactory, zone

NOON = datetime(2026, 5, 14, 7, 0, tzinfo=UTC)


def numbers() -> list[str]:
    return list(db.session.scalars(db.select(Registration.number).order_by(Registration.number)))


def test_numbers_run_per_zone_and_year_from_one(app):
    first, second = ApplicationFactory(), ApplicationFactory()
    logistics = ApplicationFactory(zone=zone("KEG-LOG"))
    assert assign_registration(first, NOON).number == "KEG-IND-2026-000001"
    assert assign_registration(second, NOON).number == "KEG-IND-2026-000002"
    assert assign_registration(logistics, NOON).number == "KEG-LOG-2026-000001"
    db.session.commit()
    registration = db.session.scalar(
        db.select(Registration).where(Registration.application_id == second.id)
    )
    assert (registration.company_name, registration.zone.code, registration.sector.code) == (
        second.company_name,
        "KEG-IND",
        "textiles",
    )
    assert registration.registered_on == date(2026, 5, 14)


def test_the_date_and_year_are_those_of_the_zones_time_zone(app):
    # 20:30 UTC on New Year's Eve is already 1 January in Almaty (UTC+5) and Shanghai (UTC+8).
    new_year_eve = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
    khorgos = assign_registration(ApplicationFactory(), new_year_eve)
    lianyungang = assign_registration(ApplicationFactory(zone=zone("LYG")), new_year_eve)
    assert (khorgos.number, khorgos.registered_on) == ("KEG-IND-2027-000001", date(2027, 1, 1))
    assert (lianyungang.number, lianyungang.registered_on) == ("LYG-2027-000001", date(2027, 1, 1))
    # 18:30 UTC is still 31 December in Almaty.
    earlier = assign_registration(ApplicationFactory(), datetime(2026, 12, 31, 18, 30, tzinfo=UTC))
    assert (earlier.number, earlier.registered_on) == ("KEG-IND-2026-000001", date(2026, 12, 31))


def test_an_approval_that_rolls_back_gives_its_number_back(app):
    assign_registration(ApplicationFactory(), NOON)
    db.session.commit()
    failed = ApplicationFactory()
    assert assign_registration(failed, NOON).number == "KEG-IND-2026-000002"
    db.session.rollback()
    assert assign_registration(ApplicationFactory(), NOON).number == "KEG-IND-2026-000002"
    db.session.commit()
    assert numbers() == ["KEG-IND-2026-000001", "KEG-IND-2026-000002"]


def test_an_application_is_registered_only_once(app):
    application = ApplicationFactory()
    assign_registration(application, NOON)
    db.session.commit()
    with pytest.raises(IntegrityError):
        assign_registration(application, NOON)
    db.session.rollback()
    counter = db.session.scalars(db.select(RegistrationCounter)).one()
    assert counter.last_seq == 1


needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="concurrent approvals need PostgreSQL (set DATABASE_URL); SQLite serializes writers",
)


def approve_together(make_app, jobs: list[tuple[int, int]]) -> list[BaseException]:
    """Approve (application id, reviewer id) pairs at the same instant, one thread each.

    Each thread is an app with its own engine and connection, as a separate gunicorn process
    would be; a barrier releases them together. Returns what the approvals raised.
    """
    from portal.models import Application, User
    from portal.services import review

    apps = [make_app() for _ in jobs]
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def approve(process_app, application_id: int, reviewer_id: int) -> None:
        try:
            with process_app.test_request_context():
                application = db.session.get(Application, application_id)
                reviewer = db.session.get(User, reviewer_id)
                barrier.wait(timeout=30)
                review.approve(application, reviewer)
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - the test looks at them
            errors.append(exc)

    threads = [
        threading.Thread(target=approve, args=(process_app, *job))
        for process_app, job in zip(apps, jobs, strict=True)
    ]
    with time_machine.travel(NOON, tick=True):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    db.session.expire_all()
    return errors


@pytest.mark.postgres
@needs_postgres
def test_reviewers_approving_at_the_same_instant_get_distinct_gapless_numbers(app, make_app):
    count = 8
    reviewers = [UserFactory(role="reviewer") for _ in range(count)]
    applications = [ApplicationFactory(status=lifecycle.IN_REVIEW, assignee=r) for r in reviewers]
    jobs = [(a.id, r.id) for a, r in zip(applications, reviewers, strict=True)]
    assert approve_together(make_app, jobs) == []
    assert numbers() == [f"KEG-IND-2026-{seq:06d}" for seq in range(1, count + 1)]
    assert {a.status for a in applications} == {lifecycle.APPROVED}


@pytest.mark.postgres
@needs_postgres
def test_one_application_approved_twice_at_the_same_instant_is_registered_once(app, make_app):
    reviewer = UserFactory(role="reviewer")
    application = ApplicationFactory(status=lifecycle.IN_REVIEW, assignee=reviewer)
    errors = approve_together(make_app, [(application.id, reviewer.id)] * 4)
    assert len(errors) == 3
    assert all(isinstance(e, lifecycle.IllegalMove) for e in errors)
    assert numbers() == ["KEG-IND-2026-000001"]
    assert [e.action for e in application.events] == ["approve"]
