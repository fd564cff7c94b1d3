"""The reviewers' side: the queue, taking an application, decisions, and what the investor gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import current_app

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    ApplicationEvent,
    OutgoingEmail,
    Registration,
    Sector,
    Zone,
)
from portal.models import RejectionReason as Reason
from portal.services import DomainError, review
from portal.services import applications as app_service
from tests.conftest import count_queries, csrf_token_in
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    UserFactory,
    complete_application,
    sector,
    zone,
)

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
    # The submission's receipt (tests/test_forms.py reads it): these tests read the decisions'.
    db.session.execute(db.delete(OutgoingEmail))
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


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def reviewer_client(client, auth, reviewer):
    auth.login(reviewer)
    return client


STAFF_PAGES = ["/review/", "/review/applications/{id}"]
DECISIONS = ["take", "request-info", "approve", "reject"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_an_investor_cannot_reach_the_queue_or_the_review_pages(investor_client, investor, path):
    application = submitted(owner=investor)
    assert investor_client.get(path.format(id=application.id)).status_code == 403


@pytest.mark.parametrize("decision", DECISIONS)
def test_an_investor_cannot_post_a_decision_even_on_their_own_application(
    investor_client, investor, decision
):
    application = submitted(owner=investor)
    response = investor_client.post(
        f"/review/applications/{application.id}/{decision}",
        data={"message": "x", "reason": "1", "explanation": "x"},
    )
    assert response.status_code == 403
    db.session.refresh(application)
    assert application.status == lifecycle.SUBMITTED


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/review/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("decision", DECISIONS)
def test_decisions_are_post_only(reviewer_client, decision):
    application = submitted()
    url = f"/review/applications/{application.id}/{decision}"
    assert reviewer_client.get(url).status_code == 405


def test_decisions_need_the_csrf_token(make_app, reviewer):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    application = submitted()
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_in(page)
    client.post("/login", data={"email": reviewer.email, "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/review/applications/{application.id}/take").status_code == 400
    db.session.refresh(application)
    assert application.status == lifecycle.SUBMITTED


def test_staff_land_on_the_queue_after_signing_in(client, auth, reviewer):
    response = auth.login(reviewer)
    assert response.headers["Location"].endswith("/review/")
    page = client.get("/review/").get_data(as_text=True)
    assert "Review queue" in page


def test_the_queue_page_keeps_its_filters_in_the_url(app, reviewer_client):
    app.config["PAGE_SIZE"] = 2
    for days in (5, 4, 3):
        submitted(zone=zone("KEG-LOG"), sector=sector("logistics"), days_ago=days)
    submitted()  # another zone
    kegl = zone("KEG-LOG").id
    response = reviewer_client.get(f"/review/?zone={kegl}&sort=oldest&q=Silk")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1–2 of 3 applications" in page
    # The next page, and the status tabs, keep the filters.
    assert f"/review/?page=2&amp;zone={kegl}&amp;sort=oldest&amp;q=Silk" in page
    assert f"/review/?zone={kegl}&amp;sort=oldest&amp;q=Silk&amp;status=approved" in page
    second = reviewer_client.get(f"/review/?page=2&zone={kegl}&sort=oldest&q=Silk")
    assert "3–3 of 3 applications" in second.get_data(as_text=True)


def test_a_filter_that_does_not_parse_is_shown_and_ignored(reviewer_client):
    submitted()
    response = reviewer_client.get("/review/?submitted_from=yesterday&zone=abc&status=nonsense")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid date value" in page
    assert "1–1 of 1 application" in page


def test_the_queue_counts_each_status(reviewer_client, reviewer):
    submitted()
    submitted()
    in_review(reviewer)
    page = reviewer_client.get("/review/").get_data(as_text=True)
    assert 'Open <span class="count">3</span>' in page
    assert 'Submitted <span class="count">2</span>' in page
    assert 'In review <span class="count">1</span>' in page


def test_a_reviewer_filters_the_queue_to_their_own_or_untaken_applications(
    reviewer_client, reviewer
):
    colleague = UserFactory(role="reviewer", full_name="Gulnara Abenova")
    mine = in_review(reviewer, company_name="Mine Trading LLP")
    theirs = in_review(colleague, company_name="Theirs Trading LLP")
    untaken = submitted(company_name="Untaken Trading LLP")

    def companies(query: str) -> set[str]:
        page = reviewer_client.get("/review/" + query).get_data(as_text=True)
        return {a.company_name for a in (mine, theirs, untaken) if a.company_name in page}

    assert companies("?assignee=me") == {"Mine Trading LLP"}
    assert companies("?assignee=none") == {"Untaken Trading LLP"}
    assert companies(f"?assignee={colleague.id}") == {"Theirs Trading LLP"}
    assert companies("?assignee=") == {
        "Mine Trading LLP",
        "Theirs Trading LLP",
        "Untaken Trading LLP",
    }
    page = reviewer_client.get("/review/?assignee=me").get_data(as_text=True)
    assert '<option selected value="me">Me</option>' in page
    assert f'<option value="{colleague.id}">Gulnara Abenova</option>' in page
    assert 'Open <span class="count">1</span>' in page  # the tabs count under the filter
    assert "/review/?assignee=me&amp;status=approved" in page  # and keep it
    # An id that is not a reviewer's is refused next to the field and ignored.
    odd = reviewer_client.get("/review/?assignee=999999").get_data(as_text=True)
    assert "Not a valid choice" in odd
    assert "1–3 of 3 applications" in odd


def test_the_queue_marks_applications_back_from_the_investor(
    app, request_ctx, reviewer_client, reviewer
):
    submitted(company_name="First Time LLP")
    answered = in_review(reviewer, company_name="Answered LLP")
    review.request_info(answered, reviewer, "Add the plan.")
    app_service.submit(answered, answered.owner)
    db.session.commit()
    rows = reviewer_client.get("/review/").get_data(as_text=True).split("<tr>")[2:]
    marked = {
        name
        for name in ("First Time LLP", "Answered LLP")
        for row in rows
        if name in row and "answered the request" in row
    }
    assert marked == {"Answered LLP"}


def test_the_queue_names_sectors_and_reasons_in_the_reviewers_language(reviewer_client, reviewer):
    submitted(sector=sector("pharma"))
    application = in_review(reviewer)
    reviewer_client.post("/language", data={"code": "zh"})
    queue = reviewer_client.get("/review/").get_data(as_text=True)
    assert "<td>医药</td>" in queue and "<td>纺织</td>" in queue
    assert ">医药</option>" in queue  # the sector filter
    assert "Pharmaceuticals" not in queue and "Textiles" not in queue
    page = reviewer_client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    assert "文件不完整或无法辨认" in page
    assert "Incomplete or unreadable documents" not in page


def test_the_investor_reads_the_rejection_reason_in_their_language(
    app, request_ctx, client, auth, reviewer
):
    application = in_review(reviewer)
    application.owner.locale = "ru"
    review.reject(application, reviewer, reason().id, "Скан паспорта нечитаем.")
    db.session.commit()
    (mail,) = mails()
    assert "Документы неполны или неразборчивы" in mail.body
    assert "Incomplete or unreadable documents" not in mail.body
    auth.login(application.owner)
    client.post("/language", data={"code": "ru"})
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Документы неполны или неразборчивы" in page
    assert "Скан паспорта нечитаем." in page


def test_the_reviewer_reads_everything_with_documents_and_timeline(reviewer_client, reviewer):
    application = submitted(company_name="Nomad Silk LLP")
    page = reviewer_client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    for text in ("Nomad Silk LLP", "Xinjiang Textile Co.", "passport.pdf", "charter.pdf"):
        assert text in page
    assert application.owner.email in page
    assert "Nobody has taken this application yet." in page
    document = application.documents[0]
    inline = reviewer_client.get(f"/applications/documents/{document.id}")
    assert inline.status_code == 200
    assert inline.headers["Content-Type"] == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline")
    inline.close()
    download = reviewer_client.get(f"/applications/documents/{document.id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()


def test_a_reviewer_cannot_open_a_draft_or_its_documents(reviewer_client):
    draft = complete_application()
    assert reviewer_client.get(f"/review/applications/{draft.id}").status_code == 404
    assert (
        reviewer_client.get(f"/applications/documents/{draft.documents[0].id}").status_code == 404
    )


def test_another_investor_cannot_open_the_documents(client, auth, other_investor):
    application = submitted()
    auth.login(other_investor)
    assert client.get(f"/applications/documents/{application.documents[0].id}").status_code == 404


def test_the_page_shows_who_has_the_application(client, auth, reviewer):
    colleague = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    application = in_review(colleague)
    auth.login(reviewer)
    page = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    assert "Dauren Seitkali has this application" in page
    assert "Take over" in page
    assert "Approve and register" not in page


def test_take_request_information_resubmit_and_approve_through_the_pages(
    client, auth, reviewer, investor, outbox
):
    application = submitted(owner=investor)
    auth.login(reviewer)
    base = f"/review/applications/{application.id}"
    response = client.post(f"{base}/take")
    assert response.headers["Location"].endswith(base)
    assert "You have this application" in client.get(base).get_data(as_text=True)

    # An empty request is refused next to the field.
    response = client.post(f"{base}/request-info", data={"message": " "})
    assert response.status_code == 422
    assert "Write what the investor should add or change." in response.get_data(as_text=True)

    client.post(f"{base}/request-info", data={"message": "Please sign the charter."})
    db.session.refresh(application)
    assert application.status == lifecycle.INFO_REQUESTED
    assert outbox.last_link(f"/applications/{application.id}")

    # The investor reads the request on the application and on every step, then resubmits.
    auth.logout()
    auth.login(investor)
    for url in (f"/applications/{application.id}", f"/applications/{application.id}/step/company"):
        assert "Please sign the charter." in client.get(url).get_data(as_text=True)
    step = client.get(f"/applications/{application.id}/step/review").get_data(as_text=True)
    assert "Your answer to the reviewer (optional)" in step
    client.post(
        f"/applications/{application.id}/step/review",
        data={"confirm": "y", "answer": "Signed on every page; the new scan is uploaded."},
    )
    db.session.refresh(application)
    assert application.status == lifecycle.SUBMITTED
    assert application.events[-1].comment == "Signed on every page; the new scan is uploaded."

    # The reviewer reads the answer in the timeline.
    auth.logout()
    auth.login(reviewer)
    assert "Signed on every page; the new scan is uploaded." in client.get(base).get_data(
        as_text=True
    )
    client.post(f"{base}/take")
    response = client.post(f"{base}/approve", data={"comment": ""}, follow_redirects=True)
    assert "the company is registered as KEG-IND-" in response.get_data(as_text=True)
    number = db.session.scalar(db.select(Registration.number))

    auth.logout()
    auth.login(investor)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Approved" in page
    assert number in page
    assert number in outbox.messages()[-1]["Subject"]


def test_the_reviewer_sees_what_the_investor_changed_since_the_request(
    app, request_ctx, reviewer_client, reviewer
):
    import io

    from portal.services import documents as doc_service
    from tests.factories import PDF_BYTES

    application = in_review(reviewer, company_name="Before Name LLP")
    review.request_info(application, reviewer, "Please add the business plan.")
    db.session.commit()
    page = f"/review/applications/{application.id}"
    # While the investor works on it, nothing is compared yet.
    assert "What changed since the request" not in reviewer_client.get(page).get_data(as_text=True)
    owner = application.owner
    app_service.update_fields(
        application,
        "company",
        {"company_name": "After Name LLP", "sector_id": sector("electronics").id},
    )
    app_service.update_fields(application, "investment", {"planned_jobs": 1250})
    doc_service.add_document(application, io.BytesIO(PDF_BYTES), "plan.pdf", "business_plan", owner)
    app_service.submit(application, owner, comment="Plan added.")
    db.session.commit()

    html = reviewer_client.get(page).get_data(as_text=True)
    assert "What changed since the request for information" in html
    assert "Please add the business plan." in html
    assert "<del>Before Name LLP</del>" in html and "<ins>After Name LLP</ins>" in html
    assert "<del>Textiles</del>" in html and "<ins>Electronics</ins>" in html
    assert "<ins>1,250</ins>" in html
    assert "<ins>plan.pdf — Business plan</ins>" in html
    assert "Founders" not in html.split("What changed")[1].split("</table>")[0]


def test_a_resubmission_without_changes_says_so(app, request_ctx, reviewer_client, reviewer):
    application = in_review(reviewer)
    review.request_info(application, reviewer, "Is the address final?")
    app_service.submit(application, application.owner, comment="Yes, it is.")
    db.session.commit()
    html = reviewer_client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    assert "The investor resubmitted without changing the application." in html


def test_rejection_keeps_what_was_typed_when_the_reason_is_missing(reviewer_client, reviewer):
    application = in_review(reviewer)
    base = f"/review/applications/{application.id}"
    response = reviewer_client.post(
        f"{base}/reject", data={"reason": "", "explanation": "The passport has expired."}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose a reason from the list." in page
    assert "The passport has expired." in page
    reviewer_client.post(
        f"{base}/reject",
        data={"reason": str(reason("founders_unverified").id), "explanation": "Expired passport."},
    )
    db.session.refresh(application)
    assert application.status == lifecycle.REJECTED
    assert application.events[-1].reason.code == "founders_unverified"


def test_a_decision_on_an_application_decided_meanwhile_changes_nothing(
    reviewer_client, reviewer, request_ctx
):
    application = in_review(reviewer)
    review.approve(application, reviewer)
    db.session.commit()
    response = reviewer_client.post(
        f"/review/applications/{application.id}/reject",
        data={"reason": str(reason().id), "explanation": "Too late."},
        follow_redirects=True,
    )
    assert "Nothing changed: the application is now Approved." in response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.status == lifecycle.APPROVED
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 1


# --- a fixed number of queries ---------------------------------------------------------------


def many_rows(count: int, reviewers) -> None:
    """Applications in every state the queue shows, each with its own owner and reviewer."""
    with time_machine.travel(NOON):
        for n in range(count):
            application = submitted(days_ago=n % 7)
            if n % 3:
                with application_request():
                    review.take(application, reviewers[n % len(reviewers)])
                    if n % 3 == 2:
                        review.approve(application, reviewers[n % len(reviewers)])
                db.session.commit()


def application_request():
    return current_app.test_request_context()


def test_the_queue_runs_the_same_number_of_queries_for_3_or_30_rows(app, reviewer_client, reviewer):
    app.config["PAGE_SIZE"] = 50
    reviewers = [reviewer, *(UserFactory(role="reviewer") for _ in range(4))]
    many_rows(3, reviewers)
    few = count_queries(reviewer_client, "/review/?status=all")
    many_rows(27, reviewers)
    page = reviewer_client.get("/review/?status=all").get_data(as_text=True)
    assert page.count("<tr>") == 31  # the header and thirty rows
    assert count_queries(reviewer_client, "/review/?status=all") == few


def spread_over_zones_and_sectors(count: int, reviewers) -> None:
    """`count` applications in every zone and sector, each with its own investor, some taken."""
    zones = list(db.session.scalars(db.select(Zone).order_by(Zone.code)))
    sectors = list(db.session.scalars(db.select(Sector).order_by(Sector.code)))
    with time_machine.travel(NOON):
        for n in range(count):
            application = submitted(days_ago=n)
            application.zone = zones[n % len(zones)]
            application.sector = sectors[n % len(sectors)]
            if n % 2:
                application.assignee = reviewers[n % len(reviewers)]
            db.session.commit()


def test_a_full_queue_page_runs_as_many_queries_as_a_short_one(reviewer_client, reviewer):
    """Five or twenty-five rows (the page size), each naming its zone, sector, investor and
    reviewer in the page's language: the same statements."""
    reviewers = [reviewer, *(UserFactory(role="reviewer") for _ in range(3))]
    reviewer_client.post("/language", data={"code": "ru"})
    spread_over_zones_and_sectors(5, reviewers)
    few = count_queries(reviewer_client, "/review/?status=all")
    spread_over_zones_and_sectors(20, reviewers)
    page = reviewer_client.get("/review/?status=all").get_data(as_text=True)
    assert page.count("<tr>") == 26  # the header and a full page of 25
    assert count_queries(reviewer_client, "/review/?status=all") == few


def test_the_queue_shows_days_and_counts_in_each_language_in_turn(reviewer_client, reviewer):
    """Formatted days and numbers are kept per language: switching back and forth shows each."""
    with time_machine.travel(NOON):
        submitted(days_ago=0)
    for _ in range(2):
        reviewer_client.post("/language", data={"code": "en"})
        english = reviewer_client.get("/review/").get_data(as_text=True)
        reviewer_client.post("/language", data={"code": "zh"})
        chinese = reviewer_client.get("/review/").get_data(as_text=True)
        assert "May 14, 2026" in english and "2026年5月14日" not in english
        assert "2026年5月14日" in chinese and "May 14, 2026" not in chinese


def test_a_failed_send_never_loses_the_decision(app, monkeypatch, reviewer_client, reviewer):
    from portal.services import mail

    def smtp_down(msg):
        raise OSError("connection refused")

    app.config["MAIL_SERVER"] = "smtp.invalid"
    monkeypatch.setattr(mail, "_send_smtp", smtp_down)
    application = in_review(reviewer)
    response = reviewer_client.post(f"/review/applications/{application.id}/approve")
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == lifecycle.APPROVED
    (message,) = mails()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "connection refused" in message.last_error
    # The next run of `flask outbox deliver` (or the RQ worker) sends it.
    monkeypatch.setattr(mail, "_send_smtp", lambda msg: None)
    message.next_attempt_at = message.created_at
    db.session.commit()
    assert mail.deliver_pending() == (1, 0)
