"""The reviewers' side: the queue, taking an application, decisions, and what the investor gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, ApplicationEvent, OutgoingEmail, Registration
from portal.models import RejectionReason as Reason
from portal.services import DomainError, review
from portal.services import applications as app_service
from tests.factories import ApplicationFactory, UserFactory, complete_application, sector, zone

NOON = datetime(2026, 5, 14, 7, 0, tzinfo=UTC)


@pytest.fixture
def request_ctx(app):
    """Services build links to the application: a request context, as in a view."""
    with app.test_request_context():
        yield


def submitted(owner=None, days_ago: int = 0, **kwargs) -> Application:
    application = complete_application(owner, **kwargs)
    app_service.submit(application, application.owner)
    application.submitted_at = NOON - timedelta(days=days_ago)
    db.session.commit()
    return application


def in_review(reviewer, **kwargs) -> Application:
    application = submitted(**kwargs)
    review.take(application, reviewer)
    db.session.commit()
    return application


def reason(code: str = "incomplete_documents") -> Reason:
    return db.session.scalar(db.select(Reason).where(Reason.code == code))


def mails() -> list[OutgoingEmail]:
    return list(db.session.scalars(db.select(OutgoingEmail).order_by(OutgoingEmail.id)))


# --- the service -----------------------------------------------------------------------------


def test_taking_puts_the_application_in_review_with_the_reviewer(app, reviewer):
    application = submitted()
    event_ = review.take(application, reviewer)
    db.session.commit()
    assert application.status == lifecycle.IN_REVIEW
    assert application.assignee_id == reviewer.id
    assert application.assigned_at is not None
    assert (event_.actor_id, event_.from_status, event_.to_status) == (
        reviewer.id,
        lifecycle.SUBMITTED,
        lifecycle.IN_REVIEW,
    )


def test_a_colleague_takes_over_and_the_timeline_says_so(app, reviewer):
    colleague = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    application = in_review(reviewer)
    review.take(application, colleague)
    db.session.commit()
    assert application.assignee_id == colleague.id
    assert application.status == lifecycle.IN_REVIEW
    last = application.events[-1]
    assert (last.action, last.actor_id, last.from_status, last.to_status) == (
        review.REASSIGN,
        colleague.id,
        lifecycle.IN_REVIEW,
        lifecycle.IN_REVIEW,
    )


def test_only_the_reviewer_who_has_it_decides(app, request_ctx, reviewer):
    colleague = UserFactory(role="reviewer")
    application = in_review(reviewer)
    with pytest.raises(DomainError, match="Take it over"):
        review.approve(application, colleague)
    db.session.rollback()
    assert application.status == lifecycle.IN_REVIEW


def test_another_reviewers_actions_are_recorded_under_their_own_name(app, request_ctx, reviewer):
    colleague = UserFactory(role="reviewer")
    application = in_review(reviewer)
    review.take(application, colleague)
    review.request_info(application, colleague, "Please upload a readable charter.")
    db.session.commit()
    actors = [(e.action, e.actor_id) for e in application.events]
    assert actors == [
        ("submit", application.owner_id),
        ("take", reviewer.id),
        (review.REASSIGN, colleague.id),
        ("request_info", colleague.id),
    ]


def test_request_for_information_needs_a_message(app, request_ctx, reviewer):
    application = in_review(reviewer)
    with pytest.raises(DomainError) as refused:
        review.request_info(application, reviewer, "   ")
    assert refused.value.field == "message"
    db.session.rollback()
    assert application.status == lifecycle.IN_REVIEW
    assert mails() == []


def test_request_for_information_lets_the_investor_edit_and_resubmit(app, request_ctx, reviewer):
    application = in_review(reviewer)
    review.request_info(application, reviewer, "The charter is unsigned.")
    db.session.commit()
    assert lifecycle.is_editable(application)
    (mail,) = mails()
    assert mail.recipient == application.owner.email
    assert "The charter is unsigned." in mail.body
    assert f"/applications/{application.id}" in mail.body
    app_service.submit(application, application.owner)
    db.session.commit()
    assert application.status == lifecycle.SUBMITTED
    assert application.events[-1].action == "resubmit"


def test_approval_registers_the_company_and_tells_the_investor(app, request_ctx, reviewer):
    application = in_review(reviewer)
    with time_machine.travel(NOON):
        registration = review.approve(application, reviewer, "Welcome to the zone.")
    db.session.commit()
    assert application.status == lifecycle.APPROVED
    assert application.decided_at is not None
    assert registration.number == "KEG-IND-2026-000001"
    (mail,) = mails()
    assert "KEG-IND-2026-000001" in mail.subject
    assert "KEG-IND-2026-000001" in mail.body
    assert "Welcome to the zone." in mail.body
    assert f"http://localhost/applications/{application.id}" in mail.body


def test_rejection_needs_an_active_reason_and_an_explanation(app, request_ctx, reviewer):
    application = in_review(reviewer)
    retired = reason("other")
    retired.active = False
    db.session.commit()
    for given, explanation, field in (
        (None, "Because.", "reason"),
        (retired, "Because.", "reason"),
        (reason(), "  ", "explanation"),
    ):
        with pytest.raises(DomainError) as refused:
            review.reject(application, reviewer, given, explanation)
        assert refused.value.field == field
        db.session.rollback()
    event_ = review.reject(application, reviewer, reason().id, "The passport scan is unreadable.")
    db.session.commit()
    assert application.status == lifecycle.REJECTED
    assert (event_.reason.code, event_.comment) == (
        "incomplete_documents",
        "The passport scan is unreadable.",
    )
    (mail,) = mails()
    assert "Incomplete or unreadable documents" in mail.body
    assert "The passport scan is unreadable." in mail.body


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        (s, d)
        for s in lifecycle.STATES
        for d in ("take", "request_info", "approve", "reject")
        if s != lifecycle.IN_REVIEW and not (s == lifecycle.SUBMITTED and d == "take")
    ],
)
def test_every_decision_outside_the_lifecycle_is_refused(
    app, request_ctx, reviewer, status, decision
):
    application = ApplicationFactory(status=status, assignee=reviewer, submitted_at=NOON)
    calls = {
        "take": lambda: review.take(application, reviewer),
        "request_info": lambda: review.request_info(application, reviewer, "More, please."),
        "approve": lambda: review.approve(application, reviewer),
        "reject": lambda: review.reject(application, reviewer, reason(), "No."),
    }
    with pytest.raises(lifecycle.IllegalMove):
        calls[decision]()
    db.session.rollback()
    assert application.status == status
    assert application.events == []
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0
    assert mails() == []


def test_an_investor_cannot_decide_even_through_the_service(app, request_ctx, reviewer):
    application = in_review(reviewer)
    for call in (
        lambda: review.take(application, application.owner),
        lambda: review.approve(application, application.owner),
    ):
        with pytest.raises(lifecycle.IllegalMove):
            call()
        db.session.rollback()
    assert application.status == lifecycle.IN_REVIEW


def test_events_are_never_rewritten_by_later_decisions(app, request_ctx, reviewer):
    application = in_review(reviewer)
    review.request_info(application, reviewer, "First question.")
    db.session.commit()
    app_service.submit(application, application.owner)
    review.take(application, reviewer)
    review.approve(application, reviewer)
    db.session.commit()
    comments = db.session.scalars(
        db.select(ApplicationEvent.comment)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.id)
    ).all()
    assert comments == ["", "", "First question.", "", "", ""]


# --- the queue as a query --------------------------------------------------------------------


def test_queue_shows_open_applications_oldest_first_and_never_drafts(app, reviewer):
    ApplicationFactory()  # a draft
    newer = submitted(days_ago=1)
    older = submitted(days_ago=9)
    taken = in_review(reviewer)
    page = review.queue(review.QueueFilters())
    assert [a.id for a in page.items] == [older.id, newer.id, taken.id]
    assert review.days_waiting(older, now=NOON) == 9


def test_queue_filters_by_zone_sector_dates_and_search(app, request_ctx, reviewer):
    logistics = submitted(zone=zone("KEG-LOG"), sector=sector("logistics"), days_ago=3)
    textiles = submitted(company_name="Jibek Joly Textiles LLP", days_ago=20)
    approved = in_review(reviewer, company_name="Altyn Kazan LLP")
    with time_machine.travel(NOON):
        number = review.approve(approved, reviewer).number
    db.session.commit()

    def ids(**kw):
        return {a.id for a in review.queue(review.QueueFilters(**kw)).items}

    assert ids(zone_id=zone("KEG-LOG").id) == {logistics.id}
    assert ids(sector_id=sector("textiles").id) == {textiles.id}
    assert ids(submitted_from=(NOON - timedelta(days=5)).date()) == {logistics.id}
    assert ids(submitted_to=(NOON - timedelta(days=5)).date()) == {textiles.id}
    assert ids(q="jibek joly") == {textiles.id}
    assert ids(q=logistics.owner.email.upper()) == {logistics.id}
    assert ids(q=number, status="all") == {approved.id}
    assert ids(q="100%") == set()
    assert ids(status=lifecycle.APPROVED) == {approved.id}


def test_status_counts_group_in_the_database(app, reviewer):
    submitted()
    submitted()
    in_review(reviewer)
    ApplicationFactory()  # drafts are not counted
    counts = review.status_counts()
    assert (counts["submitted"], counts["in_review"], counts["open"], counts["all"]) == (2, 1, 3, 3)
    assert counts["approved"] == 0
