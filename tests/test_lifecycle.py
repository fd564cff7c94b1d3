"""The lifecycle: only the moves of PRODUCT.md exist, each by the right person."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.lifecycle import (
    APPROVED,
    DRAFT,
    IN_REVIEW,
    INFO_REQUESTED,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
)
from portal.models import Application
from portal.models.base import utcnow
from portal.services import applications as app_service
from tests.factories import (
    ApplicationFactory,
    UserFactory,
    complete_application,
    registered_application,
)

ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "in_review"),
    ("in_review", "approved"),
    ("in_review", "info_requested"),
    ("info_requested", "submitted"),
    ("in_review", "rejected"),
    ("draft", "withdrawn"),
    ("submitted", "withdrawn"),
    ("info_requested", "withdrawn"),
}


def test_the_moves_are_exactly_those_of_the_product():
    assert {(m.source, m.target) for m in lifecycle.MOVES} == ALLOWED


ACTIONS = sorted({m.action for m in lifecycle.MOVES})


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (s, a)
        for s, a in itertools.product(lifecycle.STATES, ACTIONS)
        if lifecycle.find_move(s, a) is None
    ],
)
def test_every_move_not_in_the_lifecycle_is_refused(app, state, action):
    application = ApplicationFactory(status=state)
    staff = UserFactory(role="reviewer")
    for actor in (application.owner, staff):
        with pytest.raises(lifecycle.IllegalMove):
            app_service.transition(application, action, actor)
    db.session.rollback()
    db.session.refresh(application)
    assert application.status == state
    assert application.events == []


@pytest.mark.parametrize("move", lifecycle.MOVES, ids=lambda m: f"{m.source}-{m.action}")
def test_each_move_only_by_its_maker(app, move):
    application = ApplicationFactory(status=move.source)
    wrong = (
        UserFactory(role="investor") if move.by == lifecycle.STAFF else UserFactory(role="reviewer")
    )
    with pytest.raises(lifecycle.IllegalMove):
        app_service.transition(application, move.action, wrong)
    db.session.rollback()
    right = application.owner if move.by == lifecycle.OWNER else UserFactory(role="reviewer")
    event = app_service.transition(application, move.action, right, comment="ok")
    db.session.commit()
    assert application.status == move.target
    assert (event.from_status, event.to_status, event.actor_id) == (
        move.source,
        move.target,
        right.id,
    )


def test_editable_only_in_draft_and_info_requested():
    assert {"draft", "info_requested"} == lifecycle.EDITABLE


def test_each_action_leads_to_one_state_whichever_it_starts_from():
    for move in lifecycle.MOVES:
        assert lifecycle.target_of(move.action) == move.target


# --- what the pages offer and say in each state -------------------------------------------

# state: (the owner's, the reviewer who has it, a colleague's)
OFFERS = {
    DRAFT: ({"submit", "withdraw"}, set(), set()),
    SUBMITTED: ({"withdraw"}, {"take"}, {"take"}),
    IN_REVIEW: (set(), {"approve", "request_info", "reject"}, {lifecycle.TAKE_OVER}),
    INFO_REQUESTED: ({"resubmit", "withdraw"}, set(), set()),
    APPROVED: (set(), set(), set()),
    REJECTED: (set(), set(), set()),
    WITHDRAWN: (set(), set(), set()),
}


@pytest.mark.parametrize("state", lifecycle.STATES)
def test_each_person_is_offered_only_their_moves(app, state):
    holder, colleague = UserFactory(role="reviewer"), UserFactory(role="admin")
    application = ApplicationFactory(status=state, assignee=holder)
    offers = [
        lifecycle.actions_for(application, who) for who in (application.owner, holder, colleague)
    ]
    assert tuple(offers) == OFFERS[state]
    assert lifecycle.actions_for(application, UserFactory(role="investor")) == frozenset()


PREDICATES = (
    "is_editable",
    "is_with_reviewers",
    "awaits_taking",
    "is_held",
    "awaits_answer",
    "is_decided",
    "is_approved",
)
TRUE_IN = {
    DRAFT: {"is_editable"},
    SUBMITTED: {"is_with_reviewers", "awaits_taking"},
    IN_REVIEW: {"is_with_reviewers", "is_held"},
    INFO_REQUESTED: {"is_editable", "awaits_answer"},
    APPROVED: {"is_decided", "is_approved"},
    REJECTED: {"is_decided"},
    WITHDRAWN: set(),
}


@pytest.mark.parametrize("state", lifecycle.STATES)
def test_an_application_answers_where_it_stands(state):
    application = Application(status=state)
    assert {p for p in PREDICATES if getattr(application, p)} == TRUE_IN[state]


def test_only_an_application_back_from_the_investor_is_resubmitted():
    assert Application(status=SUBMITTED, assignee_id=7).resubmitted
    assert not Application(status=SUBMITTED).resubmitted
    assert not Application(status=IN_REVIEW, assignee_id=7).resubmitted


def in_state(application: Application, state: str, **fields) -> Application:
    """A complete application put in `state` (its documents are added while it is a draft)."""
    for name, value in {"status": state, **fields}.items():
        setattr(application, name, value)
    db.session.commit()
    return application


TAKE_IT_BUTTON = ">Take it</button>"
TAKE_OVER_BUTTON = ">Take over</button>"
DECISIONS = ("Send the request", "Approve and register", "Reject the application")
EVERY_OFFER = (TAKE_IT_BUTTON, TAKE_OVER_BUTTON, *DECISIONS)


@pytest.mark.parametrize(
    ("state", "holder", "says", "offers"),
    [
        (
            SUBMITTED,
            None,
            ["Nobody has taken this application yet.", "waiting 3 days"],
            [TAKE_IT_BUTTON],
        ),
        (
            SUBMITTED,
            "colleague",
            ["Nobody has taken", "Last reviewed by Dauren Seitkali."],
            [TAKE_IT_BUTTON],
        ),
        (IN_REVIEW, "me", ["You have this application since", "waiting 3 days"], list(DECISIONS)),
        (
            IN_REVIEW,
            "colleague",
            ["Dauren Seitkali has this application since"],
            [TAKE_OVER_BUTTON],
        ),
        (INFO_REQUESTED, "colleague", ["Waiting for the investor to answer Dauren Seitkali"], []),
        (APPROVED, "colleague", ["Decided by Dauren Seitkali on"], []),
        (REJECTED, "colleague", ["Decided by Dauren Seitkali on"], []),
        (WITHDRAWN, "colleague", [], []),
    ],
)
def test_the_review_page_says_who_has_it_and_offers_the_lifecycles_moves(
    client, auth, reviewer, state, holder, says, offers
):
    colleague = UserFactory(role="reviewer", full_name="Dauren Seitkali")
    now = utcnow()
    application = in_state(
        complete_application(),
        state,
        submitted_at=now - timedelta(days=3),
        assignee={"me": reviewer, "colleague": colleague}.get(holder),
        assigned_at=now if holder else None,
        decided_at=now if state in lifecycle.DECIDED else None,
    )
    auth.login(reviewer)
    page = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    for text in says:
        assert text in page
    if state not in lifecycle.WITH_REVIEWERS:
        assert "waiting 3 days" not in page
    for text in EVERY_OFFER:
        assert (text in page) == (text in offers), text


@pytest.mark.parametrize(
    ("state", "resume", "asks", "button"),
    [
        (DRAFT, True, False, "Submit the application"),
        (INFO_REQUESTED, True, True, "Resubmit the application"),
        (SUBMITTED, False, False, None),
        (WITHDRAWN, False, False, None),
    ],
)
def test_the_investor_continues_only_what_is_editable(
    investor_client, investor, state, resume, asks, button
):
    application = in_state(complete_application(investor), state)
    resume_link = f"/applications/{application.id}/resume"
    listing = investor_client.get("/applications/").get_data(as_text=True)
    detail = investor_client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert (resume_link in listing) == resume
    assert ("Continue where you stopped" in detail) == resume
    assert ("The reviewer asks for more information" in detail) == asks
    assert "Certificate (PDF)" not in listing
    assert "Your company is registered" not in detail
    if button:
        step = investor_client.get(f"/applications/{application.id}/step/review")
        page = step.get_data(as_text=True)
        assert button in page
        assert ("Your answer to the reviewer (optional)" in page) == asks


def test_an_approved_application_offers_its_certificate(investor_client, investor):
    application = registered_application(investor)
    listing = investor_client.get("/applications/").get_data(as_text=True)
    detail = investor_client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f"/applications/{application.id}/resume" not in listing
    assert "Certificate (PDF)" in listing
    assert "Your company is registered" in detail
