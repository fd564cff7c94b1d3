"""The lifecycle: only the moves of PRODUCT.md exist, each by the right person."""

from __future__ import annotations

import itertools

import pytest

from portal import lifecycle
from portal.extensions import db
from portal.services import applications as app_service
from tests.factories import ApplicationFactory, UserFactory

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
