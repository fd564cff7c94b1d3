"""The application lifecycle: its states, the only moves between them, and who may make each.

Every status change in the portal goes through `check_move`; nothing else decides.
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
# States that wait for a decision (counted as "open" in queues and the funnel).
OPEN = frozenset({SUBMITTED, IN_REVIEW, INFO_REQUESTED})
DECIDED = frozenset({APPROVED, REJECTED})


class IllegalMove(Exception):
    """A status change the lifecycle does not allow, or not to this person."""


def find_move(source: str, action: str) -> Move | None:
    return next((m for m in MOVES if m.source == source and m.action == action), None)


def allowed_actions(source: str, by: str) -> list[str]:
    return [m.action for m in MOVES if m.source == source and m.by == by]


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


def is_editable(application) -> bool:
    return application.status in EDITABLE
