"""The application lifecycle: its states, the only moves between them, and who may make each.

Every status change in the portal goes through `check_move`; nothing else decides. Pages and
models ask the predicates and `actions_for` below rather than comparing statuses, so a new state
or move is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
INFO_REQUESTED = "info_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATES = (DRAFT, SUBMITTED, IN_REVIEW, INFO_REQUESTED, APPROVED, REJECTED, WITHDRAWN)

STATE_LABELS = {
    DRAFT: _l("Draft"),
    SUBMITTED: _l("Submitted"),
    IN_REVIEW: _l("In review"),
    INFO_REQUESTED: _l("Information requested"),
    APPROVED: _l("Approved"),
    REJECTED: _l("Rejected"),
    WITHDRAWN: _l("Withdrawn"),
}

# Who makes a move: the investor who owns the application, or staff (reviewers and admins).
OWNER = "owner"
STAFF = "staff"


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    by: str


MOVES = (
    Move("submit", DRAFT, SUBMITTED, OWNER),
    Move("take", SUBMITTED, IN_REVIEW, STAFF),
    Move("approve", IN_REVIEW, APPROVED, STAFF),
    Move("request_info", IN_REVIEW, INFO_REQUESTED, STAFF),
    Move("resubmit", INFO_REQUESTED, SUBMITTED, OWNER),
    Move("reject", IN_REVIEW, REJECTED, STAFF),
    Move("withdraw", DRAFT, WITHDRAWN, OWNER),
    Move("withdraw", SUBMITTED, WITHDRAWN, OWNER),
    Move("withdraw", INFO_REQUESTED, WITHDRAWN, OWNER),
)

# States in which the investor may change what the application says.
EDITABLE = frozenset({DRAFT, INFO_REQUESTED})
# States in which the reviewers have the next step (the review page counts the days it waits).
WITH_REVIEWERS = frozenset({SUBMITTED, IN_REVIEW})
# States that wait for a decision (counted as "open" in queues and the funnel).
OPEN = WITH_REVIEWERS | {INFO_REQUESTED}
DECIDED = frozenset({APPROVED, REJECTED})
# States in which one reviewer has the application: only they move it on, a colleague takes it over.
HELD = frozenset({IN_REVIEW})

# Not a move: a reviewer takes an application from the colleague who has it (the status stays).
TAKE_OVER = "take_over"


class IllegalMove(Exception):
    """A status change the lifecycle does not allow, or not to this person."""


def find_move(source: str, action: str) -> Move | None:
    return next((m for m in MOVES if m.source == source and m.action == action), None)


def allowed_actions(source: str, by: str) -> list[str]:
    return [m.action for m in MOVES if m.source == source and m.by == by]


def target_of(action: str) -> str:
    """The state `action` leads to: each action has one, whichever state it starts from."""
    (target,) = {m.target for m in MOVES if m.action == action}
    return target


def actions_for(application, user) -> frozenset[str]:
    """What the pages offer `user` on the application now: the moves they may make, except that
    a colleague of the reviewer who has it is offered `TAKE_OVER` instead of that reviewer's moves.
    """
    actions = set()
    if application.owner_id == user.id:
        actions.update(allowed_actions(application.status, OWNER))
    if user.is_staff:
        if application.status in HELD and application.assignee_id != user.id:
            actions.add(TAKE_OVER)
        else:
            actions.update(allowed_actions(application.status, STAFF))
    return frozenset(actions)


def check_move(application, action: str, user) -> Move:
    """The move `action` from the application's current state, if `user` may make it."""
    move = find_move(application.status, action)
    if move is None:
        raise IllegalMove(f"cannot {action} an application that is {application.status}")
    if move.by == OWNER and application.owner_id != user.id:
        raise IllegalMove(f"only the applicant may {action}")
    if move.by == STAFF and not user.is_staff:
        raise IllegalMove(f"only reviewers may {action}")
    return move


# What templates and models ask (as `application.is_editable` and so on), never the status itself.


def is_editable(application) -> bool:
    return application.status in EDITABLE


def is_with_reviewers(application) -> bool:
    return application.status in WITH_REVIEWERS


def awaits_taking(application) -> bool:
    """In the queue: submitted (or resubmitted), and no reviewer has taken it since."""
    return application.status == SUBMITTED


def is_held(application) -> bool:
    """A reviewer has it (`application.assignee`) and decides it."""
    return application.status in HELD


def awaits_answer(application) -> bool:
    """A reviewer asked the investor for more information; the investor edits and resubmits."""
    return application.status == INFO_REQUESTED


def is_decided(application) -> bool:
    return application.status in DECIDED


def is_approved(application) -> bool:
    """Approved, and so registered: it has a number and a certificate."""
    return application.status == APPROVED


def is_resubmitted(application) -> bool:
    """Back in the queue after the investor answered a request for information: only a
    reviewer's take sets the assignee, and a first submission has none yet."""
    return awaits_taking(application) and application.assignee_id is not None
